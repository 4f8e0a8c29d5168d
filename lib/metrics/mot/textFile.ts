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
export function parseMotText(text: string, displayName: string, numTimesteps: number, isGt: boolean): MotFrame[] {
  const rowsByFrame: number[][][] = Array.from({ length: numTimesteps }, () => []);
  const linesByFrame: number[][] = Array.from({ length: numTimesteps }, () => []);
  const lines = text.split(/\r?\n/);
  let firstContent = lines.find((l) => l.trim() !== "");
  const comma = firstContent === undefined || firstContent.includes(",");
  firstContent = undefined;
  for (let ln = 0; ln < lines.length; ln++) {
    const line = lines[ln];
    if (line.trim() === "") continue;
    let fields = comma ? line.split(",") : line.trim().split(/\s+/);
    if (fields.length > 1 && fields[fields.length - 1].trim() === "") fields = fields.slice(0, -1);
    const where = `${displayName} line ${ln + 1}`;
    const minCols = isGt ? 8 : 7;
    if (fields.length < minCols) {
      throw new MotInputError(
        `${where}: has ${fields.length} fields, ${isGt ? "ground truth" : "tracker"} rows need at least ${minCols} (${MOT_COLUMNS.slice(0, minCols).join(",")})`,
      );
    }
    const values = new Array<number>(fields.length);
    for (let k = 0; k < fields.length; k++) {
      const f = fields[k].trim();
      const v = f === "" ? NaN : Number(f);
      if (!Number.isFinite(v)) throw new MotInputError(`${where}: field '${columnName(k)}' is not a number: '${fields[k]}'`);
      values[k] = v;
    }
    const frame = Math.trunc(values[0]);
    if (frame < 1 || frame > numTimesteps) {
      throw new MotInputError(`${where}: field 'frame' is ${frame}, outside the sequence's frames 1..${numTimesteps} (seqLength in seqinfo.ini)`);
    }
    const bucket = rowsByFrame[frame - 1];
    if (bucket.length > 0 && bucket[0].length !== values.length) {
      throw new MotInputError(`${where}: has ${values.length} fields but line ${linesByFrame[frame - 1][0]} of the same frame has ${bucket[0].length}`);
    }
    bucket.push(values);
    linesByFrame[frame - 1].push(ln + 1);
  }
  const frames: MotFrame[] = new Array(numTimesteps);
  for (let t = 0; t < numTimesteps; t++) {
    const rows = rowsByFrame[t];
    const n = rows.length;
    const f: MotFrame = {
      ids: new Int32Array(n),
      boxes: new Float64Array(4 * n),
      classes: new Int32Array(n),
      conf: new Float64Array(n),
      lines: Int32Array.from(linesByFrame[t]),
    };
    for (let k = 0; k < n; k++) {
      const r = rows[k];
      const id = Math.trunc(r[1]);
      if (Math.abs(id) > 2147483647) throw new MotInputError(`${displayName} line ${f.lines[k]}: field 'id' is out of range: ${r[1]}`);
      f.ids[k] = id;
      f.boxes[4 * k] = r[2];
      f.boxes[4 * k + 1] = r[3];
      f.boxes[4 * k + 2] = r[4];
      f.boxes[4 * k + 3] = r[5];
      f.classes[k] = r.length >= 8 ? Math.trunc(r[7]) : 1;
      f.conf[k] = isGt ? Math.trunc(r[6]) : r[6];
    }
    frames[t] = f;
  }
  return frames;
}
