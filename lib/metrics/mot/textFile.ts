// Reader for MOTChallenge 2D-box text files (gt.txt and tracker <seq>.txt), mirroring TrackEval's
// `_load_simple_text_file` + `MotChallenge2DBox._load_raw_file`: comma (or, if the first line has no comma,
// whitespace) delimited rows `frame,id,bb_left,bb_top,bb_width,bb_height,conf,class,visibility[,...]`,
// one trailing empty field dropped, frame = int(float(col0)), ids/classes/zero-marks truncated to integers.
import { MotInputError } from "./errors";
import { joinedView } from "./contiguous";
import { scanMotColumns, type MotColumns } from "./kernels";

export const MOT_COLUMNS = ["frame", "id", "bb_left", "bb_top", "bb_width", "bb_height", "conf", "class", "visibility"] as const;

/** Detections of one frame, in file order. */
export interface MotFrame {
  ids: Int32Array;
  /** [x, y, w, h] per detection. */
  boxes: Float64Array;
  /** Class per detection (1 for tracker files with fewer than 8 columns). */
  classes: Int32Array;
  /** Column 7: GT zero-mark (truncated to int) or tracker confidence. */
  conf: Float64Array;
  /** First line number (1-based) of each detection, for error messages. */
  lines: Int32Array;
}

function columnName(k: number): string {
  return k < MOT_COLUMNS.length ? MOT_COLUMNS[k] : `column ${k + 1}`;
}

/** Rows of a file in file order: 8 used columns per row (frame, id, x, y, w, h, conf, class; class 1 when absent). */
class RowTable {
  cap: number;
  rows: Float64Array;
  lineOf: Int32Array;
  colsOf: Int32Array;
  n = 0;
  /** `expectedRows`: an upper bound when known (the line count), so the arrays are allocated once. */
  constructor(expectedRows = 1024) {
    this.cap = Math.max(16, expectedRows);
    this.rows = new Float64Array(this.cap * 8);
    this.lineOf = new Int32Array(this.cap);
    this.colsOf = new Int32Array(this.cap);
  }
  /** Makes room for one more row; returns its offset in `rows`. */
  grow(): number {
    if (this.n === this.cap) {
      this.cap *= 2;
      const r2 = new Float64Array(this.cap * 8);
      r2.set(this.rows);
      this.rows = r2;
      const l2 = new Int32Array(this.cap);
      l2.set(this.lineOf);
      this.lineOf = l2;
      const c2 = new Int32Array(this.cap);
      c2.set(this.colsOf);
      this.colsOf = c2;
    }
    return this.n * 8;
  }
}

/**
 * Parses a MOT text file (raw bytes) into `numTimesteps` frames (index t holds frame t+1).
 * `displayName` is used in error messages (e.g. `MOT17-02/gt/gt.txt`).
 *
 * Fast path: a byte scanner (WebAssembly, ./kernels) for the usual file: each line is blank (spaces only) or
 * `[spaces][-+]digits[.digits][spaces]` fields separated by commas, one trailing empty field allowed (dropped, like
 * TrackEval), at least 7 (tracker) or 8 (GT) and at most 64 fields, at most 15 significant and 22 fractional digits
 * per number, a frame in range and an id within int32; the value digits / 10^k is one correctly rounded division of
 * exact doubles, so it equals Number(field) (Clinger's fast path). Anything else (whitespace-delimited files,
 * exponents, non-ASCII bytes, any invalid row) re-parses the whole file on the general string path, which also
 * produces every error message, so both paths give the same frames or the same error.
 */
export function parseMotBytes(bytes: Uint8Array, displayName: string, numTimesteps: number, isGt: boolean): MotFrame[] {
  return framesOf(parseMotColumns(bytes, displayName, numTimesteps, isGt), numTimesteps);
}

/** `parseMotBytes` as columns (what `eval mot` uses: no per-frame objects). */
export function parseMotColumns(bytes: Uint8Array, displayName: string, numTimesteps: number, isGt: boolean): MotColumns {
  const scanned = scanMotColumns(bytes, numTimesteps, isGt);
  if (scanned && "ends" in scanned) return scanned;
  if (scanned) throw fieldCountError(displayName, scanned.line, scanned.fields, scanned.firstLine, scanned.firstFields);
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("utf8");
  return bucketRows(scanRowsGeneral(text, displayName, numTimesteps, isGt), displayName, numTimesteps, isGt);
}

/** The general path of `parseMotBytes` (any text TrackEval reads; names the file, line and field of bad input). */
export function parseMotText(text: string, displayName: string, numTimesteps: number, isGt: boolean): MotFrame[] {
  return framesOf(bucketRows(scanRowsGeneral(text, displayName, numTimesteps, isGt), displayName, numTimesteps, isGt), numTimesteps);
}

function scanRowsGeneral(text: string, displayName: string, numTimesteps: number, isGt: boolean): RowTable {
  const minCols = isGt ? 8 : 7;
  const table = new RowTable();
  const firstNl = text.search(/\S/);
  const firstLineEnd = firstNl < 0 ? -1 : text.indexOf("\n", firstNl);
  const firstLine = firstNl < 0 ? "" : text.slice(firstNl, firstLineEnd < 0 ? text.length : firstLineEnd);
  const comma = firstLine === "" || firstLine.includes(",");
  const values = new Float64Array(64);
  let nv: number;
  let pos = 0;
  let ln = 0;
  const len = text.length;
  while (pos < len) {
    let end = text.indexOf("\n", pos);
    if (end < 0) end = len;
    ln++;
    const lineStart = pos;
    let lineEnd = end;
    pos = end + 1;
    if (lineEnd > lineStart && text.charCodeAt(lineEnd - 1) === 13) lineEnd--;
    // Split and Number() each field (Number accepts what Python's float() accepts for these files).
    const line = text.slice(lineStart, lineEnd);
    if (line.trim() === "") continue;
    const fields = comma ? line.split(",") : line.trim().split(/\s+/);
    if (fields.length > 1 && fields[fields.length - 1].trim() === "") fields.pop();
    if (fields.length < minCols) {
      throw new MotInputError(
        `${displayName} line ${ln}: has ${fields.length} fields, ${isGt ? "ground truth" : "tracker"} rows need at least ${minCols} (${MOT_COLUMNS.slice(0, minCols).join(",")})`,
      );
    }
    nv = 0;
    for (let k = 0; k < fields.length; k++) {
      const f = fields[k];
      const v = +f;
      if (!Number.isFinite(v) || (v === 0 && f.trim() === "")) {
        throw new MotInputError(`${displayName} line ${ln}: field '${columnName(k)}' is not a number: '${f}'`);
      }
      if (k < values.length) values[k] = v;
      nv++;
    }
    if (nv < minCols) {
      throw new MotInputError(
        `${displayName} line ${ln}: has ${nv} fields, ${isGt ? "ground truth" : "tracker"} rows need at least ${minCols} (${MOT_COLUMNS.slice(0, minCols).join(",")})`,
      );
    }
    const frame = Math.trunc(values[0]);
    if (frame < 1 || frame > numTimesteps) {
      throw new MotInputError(`${displayName} line ${ln}: field 'frame' is ${frame}, outside the sequence's frames 1..${numTimesteps} (seqLength in seqinfo.ini)`);
    }
    const id = Math.trunc(values[1]);
    if (Math.abs(id) > 2147483647) throw new MotInputError(`${displayName} line ${ln}: field 'id' is out of range: ${values[1]}`);
    const o = table.grow();
    const rows = table.rows;
    rows[o] = frame;
    rows[o + 1] = id;
    rows[o + 2] = values[2];
    rows[o + 3] = values[3];
    rows[o + 4] = values[4];
    rows[o + 5] = values[5];
    rows[o + 6] = values[6];
    rows[o + 7] = nv >= 8 ? Math.trunc(values[7]) : 1;
    table.lineOf[table.n] = ln;
    table.colsOf[table.n] = nv;
    table.n++;
  }
  return table;
}

function fieldCountError(displayName: string, line: number, fields: number, firstLine: number, firstFields: number): MotInputError {
  return new MotInputError(`${displayName} line ${line}: has ${fields} fields but line ${firstLine} of the same frame has ${firstFields}`);
}

/**
 * Frames as views into one buffer per column: thousands of small typed arrays would each get their own backing
 * store, which costs V8 more (allocation and GC) than the parsing itself.
 */
export function framesOf(c: MotColumns, numTimesteps: number): MotFrame[] {
  const frames: MotFrame[] = new Array(numTimesteps);
  const { ends, ids, boxes, classes, conf, lines } = c;
  for (let t = 0; t < numTimesteps; t++) {
    const a = ends[t];
    const b = ends[t + 1];
    frames[t] = { ids: ids.subarray(a, b), boxes: boxes.subarray(4 * a, 4 * b), classes: classes.subarray(a, b), conf: conf.subarray(a, b), lines: lines.subarray(a, b) };
  }
  return frames;
}

/**
 * Buckets rows by frame, keeping file order within a frame (counting sort); checks one column count per frame.
 * (The general path's form of the `bucket` kernel in ./kernels.)
 */
function bucketRows(table: RowTable, displayName: string, numTimesteps: number, isGt: boolean): MotColumns {
  const { rows, lineOf, colsOf, n } = table;
  const ends = new Int32Array(numTimesteps + 1);
  for (let k = 0; k < n; k++) ends[rows[k * 8]]++;
  for (let t = 1; t <= numTimesteps; t++) ends[t] += ends[t - 1];
  const fill = new Int32Array(numTimesteps + 1);
  const c: MotColumns = { ends, ids: new Int32Array(n), boxes: new Float64Array(4 * n), classes: new Int32Array(n), conf: new Float64Array(n), lines: new Int32Array(n) };
  const firstCols = new Int32Array(numTimesteps + 1);
  for (let k = 0; k < n; k++) {
    const o = k * 8;
    const t = rows[o];
    const i = fill[t]++;
    // numpy needs one column count per frame (TrackEval converts a frame's rows to one float array).
    if (i === 0) firstCols[t] = colsOf[k];
    else if (colsOf[k] !== firstCols[t]) {
      throw fieldCountError(displayName, lineOf[k], colsOf[k], c.lines[ends[t - 1]], firstCols[t]);
    }
    // Frame t (1-based) occupies ends[t - 1] .. ends[t] - 1, rows in file order.
    const at = ends[t - 1] + i;
    c.ids[at] = rows[o + 1];
    c.boxes[4 * at] = rows[o + 2];
    c.boxes[4 * at + 1] = rows[o + 3];
    c.boxes[4 * at + 2] = rows[o + 4];
    c.boxes[4 * at + 3] = rows[o + 5];
    c.conf[at] = isGt ? Math.trunc(rows[o + 6]) : rows[o + 6];
    c.classes[at] = rows[o + 7];
    c.lines[at] = lineOf[k];
  }
  return c;
}

/** Frames as columns again (one array per column; shared with the frames when they are views of one array). */
export function columnsOf(frames: readonly MotFrame[]): MotColumns {
  const T = frames.length;
  const ends = new Int32Array(T + 1);
  for (let t = 0; t < T; t++) ends[t + 1] = ends[t] + frames[t].ids.length;
  const n = ends[T];
  const column = <A extends Int32Array | Float64Array>(pick: (f: MotFrame) => A, make: (len: number) => A, per: number): A => {
    const joined = joinedView(frames.map(pick));
    if (joined) return joined;
    const out = make(per * n);
    for (let t = 0; t < T; t++) out.set(pick(frames[t]), per * ends[t]);
    return out;
  };
  return {
    ends,
    ids: column((f) => f.ids, (len) => new Int32Array(len), 1),
    boxes: column((f) => f.boxes, (len) => new Float64Array(len), 4),
    classes: column((f) => f.classes, (len) => new Int32Array(len), 1),
    conf: column((f) => f.conf, (len) => new Float64Array(len), 1),
    lines: column((f) => f.lines, (len) => new Int32Array(len), 1),
  };
}

/** Whether `parseMotBytes` takes its byte fast path on this file (for tests; the result is the same either way). */
export function motFastPathApplies(bytes: Uint8Array, numTimesteps: number, isGt: boolean): boolean {
  return scanMotColumns(bytes, numTimesteps, isGt) !== null;
}
