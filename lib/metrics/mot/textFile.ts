// Reader for MOTChallenge 2D-box text files (gt.txt and tracker <seq>.txt), mirroring TrackEval's
// `_load_simple_text_file` + `MotChallenge2DBox._load_raw_file`: comma (or, if the first line has no comma,
// whitespace) delimited rows `frame,id,bb_left,bb_top,bb_width,bb_height,conf,class,visibility[,...]`,
// one trailing empty field dropped, frame = int(float(col0)), ids/classes/zero-marks truncated to integers.
import { MotInputError } from "./errors";

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

/**
 * Parses a MOT text file into `numTimesteps` frames (index t holds frame t+1).
 * `displayName` is used in error messages (e.g. `MOT17-02/gt/gt.txt`).
 */
const POW10 = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22];

/**
 * Parses a comma-separated line of plain decimals ([spaces][-+]digits[.digits][spaces]) into `out`, dropping one
 * trailing empty field like TrackEval. Returns false (caller falls back to the general path) for anything else:
 * blank lines, exponents, empty fields, more than 15 significant digits, more than 64 fields. Returns the field count
 * or -1. The value digits / 10^k is a single
 * correctly rounded division of exact doubles, so it equals Number(field) (Clinger's fast path).
 */
function scanNumbers(text: string, start: number, end: number, out: Float64Array): number {
  let p = start;
  let n = 0;
  for (;;) {
    while (p < end && text.charCodeAt(p) === 32) p++;
    // Nothing left: a blank line (general path skips it) or one trailing empty field after a comma (dropped).
    if (p >= end) return n > 0 ? n : -1;
    let c = text.charCodeAt(p);
    let neg = false;
    if (c === 45 || c === 43) {
      neg = c === 45;
      p++;
    }
    let mant = 0;
    let nd = 0;
    let sig = 0;
    let frac = 0;
    let dot = false;
    for (; p < end; p++) {
      c = text.charCodeAt(p);
      if (c >= 48 && c <= 57) {
        nd++;
        if (mant !== 0 || c !== 48) sig++;
        mant = mant * 10 + (c - 48);
        if (dot) frac++;
      } else if (c === 46 && !dot) dot = true;
      else break;
    }
    if (nd === 0 || sig > 15 || frac > 22 || n === out.length) return -1;
    while (p < end && text.charCodeAt(p) === 32) p++;
    const v = frac === 0 ? mant : mant / POW10[frac];
    out[n++] = neg ? -v : v;
    if (p >= end) return n;
    if (text.charCodeAt(p) !== 44) return -1;
    p++;
  }
}

export function parseMotText(text: string, displayName: string, numTimesteps: number, isGt: boolean): MotFrame[] {
  const minCols = isGt ? 8 : 7;
  // Growable flat storage of the used columns: frame, id, x, y, w, h, conf, class (class = 1 when absent).
  let cap = 1024;
  let rows = new Float64Array(cap * 8);
  let lineOf = new Int32Array(cap);
  let colsOf = new Int32Array(cap);
  let n = 0;
  const firstNl = text.search(/\S/);
  const firstLineEnd = firstNl < 0 ? -1 : text.indexOf("\n", firstNl);
  const firstLine = firstNl < 0 ? "" : text.slice(firstNl, firstLineEnd < 0 ? text.length : firstLineEnd);
  const comma = firstLine === "" || firstLine.includes(",");
  const values = new Float64Array(64);
  let nv = 0;
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
    nv = comma ? scanNumbers(text, lineStart, lineEnd, values) : -1;
    if (nv < 0) {
      // General path (whitespace-delimited files, exponents, errors): split and Number() each field.
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
    if (n === cap) {
      cap *= 2;
      const r2 = new Float64Array(cap * 8);
      r2.set(rows);
      rows = r2;
      const l2 = new Int32Array(cap);
      l2.set(lineOf);
      lineOf = l2;
      const c2 = new Int32Array(cap);
      c2.set(colsOf);
      colsOf = c2;
    }
    const o = n * 8;
    rows[o] = frame;
    rows[o + 1] = id;
    rows[o + 2] = values[2];
    rows[o + 3] = values[3];
    rows[o + 4] = values[4];
    rows[o + 5] = values[5];
    rows[o + 6] = values[6];
    rows[o + 7] = nv >= 8 ? Math.trunc(values[7]) : 1;
    lineOf[n] = ln;
    colsOf[n] = nv;
    n++;
  }

  // Bucket rows by frame, keeping file order within a frame (counting sort).
  const counts = new Int32Array(numTimesteps + 1);
  for (let k = 0; k < n; k++) counts[rows[k * 8]]++;
  const frames: MotFrame[] = new Array(numTimesteps);
  const fill = new Int32Array(numTimesteps + 1);
  for (let t = 0; t < numTimesteps; t++) {
    const c = counts[t + 1];
    frames[t] = { ids: new Int32Array(c), boxes: new Float64Array(4 * c), classes: new Int32Array(c), conf: new Float64Array(c), lines: new Int32Array(c) };
  }
  const firstCols = new Int32Array(numTimesteps + 1);
  for (let k = 0; k < n; k++) {
    const o = k * 8;
    const t = rows[o];
    const f = frames[t - 1];
    const i = fill[t]++;
    // numpy needs one column count per frame (TrackEval converts a frame's rows to one float array).
    if (i === 0) firstCols[t] = colsOf[k];
    else if (colsOf[k] !== firstCols[t]) {
      throw new MotInputError(`${displayName} line ${lineOf[k]}: has ${colsOf[k]} fields but line ${f.lines[0]} of the same frame has ${firstCols[t]}`);
    }
    f.ids[i] = rows[o + 1];
    f.boxes[4 * i] = rows[o + 2];
    f.boxes[4 * i + 1] = rows[o + 3];
    f.boxes[4 * i + 2] = rows[o + 4];
    f.boxes[4 * i + 3] = rows[o + 5];
    f.conf[i] = isGt ? Math.trunc(rows[o + 6]) : rows[o + 6];
    f.classes[i] = rows[o + 7];
    f.lines[i] = lineOf[k];
  }
  return frames;
}
