// MOTChallenge text (`frame,id,bb_left,bb_top,bb_width,bb_height,conf,x,y,z`, 1-based frames). Point tracks
// travel as boxes with this convention:
// - export: a `boxSize` × `boxSize` box (default 10 px) centred on the point; `conf` = 1 for visible and 0 for
//   occluded points (TrackEval treats conf 0 in ground truth as "do not evaluate", which is what an occluded
//   point is); x, y, z = -1; outside/unknown frames are not written;
// - import: the point is the box centre (left + width / 2, top + height / 2); conf 0 → occluded, else visible.
//   Rows are dense, so a frame missing for an id after its first row becomes an `outside` keyframe.
import { interpolateTrack } from "../tracks/interpolate";
import type { Keyframe, KeyframeSource, TrackSet } from "../tracks/types";
import { failure, guard, type ImportResult } from "./result";
import { keyframesOnGrid } from "./sampled";

const COLUMNS = ["frame", "id", "bb_left", "bb_top", "bb_width", "bb_height", "conf", "x", "y", "z"] as const;

export interface MotImportOptions {
  fileName?: string;
  width: number;
  height: number;
  fps: number;
  /** Frame count of the video; default: the largest frame in the file. */
  frameCount?: number;
  source?: KeyframeSource;
}

export function importMot(text: string, options: MotImportOptions): ImportResult<TrackSet> {
  const file = options.fileName ?? "gt.txt";
  return guard((warnings) => {
    const rows = new Map<number, { kf: Keyframe; line: number }[]>();
    const seen = new Map<string, number>();
    let maxFrame = 0;
    let extraColumns = 0;
    const lines = text.split(/\r?\n/);
    lines.forEach((rawLine, li) => {
      const line = li + 1;
      const where = `${file} line ${line}`;
      if (rawLine.trim() === "") return;
      const cells = rawLine.split(",").map((c) => c.trim());
      if (cells.length < 6 || cells.length > 10) throw failure(where, `expected 6 to 10 comma-separated fields (${COLUMNS.join(",")}), found ${cells.length}`, { line });
      const v: number[] = cells.map((c, i) => {
        const n = c === "" ? NaN : Number(c);
        if (!Number.isFinite(n)) throw failure(where, `field '${COLUMNS[i]}' is not a number: '${c}'`, { line, field: COLUMNS[i] });
        return n;
      });
      const [frame1, id, left, top, w, h] = v;
      if (!Number.isInteger(frame1) || frame1 < 1) throw failure(where, `field 'frame' must be an integer >= 1 (frames are 1-based): '${cells[0]}'`, { line, field: "frame" });
      if (!Number.isInteger(id) || id < 0) throw failure(where, `field 'id' must be a non-negative integer: '${cells[1]}'`, { line, field: "id" });
      if (w < 0) throw failure(where, `field 'bb_width' is negative: '${cells[4]}'`, { line, field: "bb_width" });
      if (h < 0) throw failure(where, `field 'bb_height' is negative: '${cells[5]}'`, { line, field: "bb_height" });
      if (options.frameCount !== undefined && frame1 > options.frameCount) {
        throw failure(where, `field 'frame' ${frame1} is beyond the video's ${options.frameCount} frames`, { line, field: "frame" });
      }
      const key = `${frame1}/${id}`;
      const dup = seen.get(key);
      if (dup !== undefined) throw failure(where, `id ${id} already has a row for frame ${frame1} (line ${dup})`, { line, field: "id" });
      seen.set(key, line);
      if (v.slice(7).some((x) => x !== -1)) extraColumns++;
      maxFrame = Math.max(maxFrame, frame1);
      const conf = v.length > 6 ? v[6] : 1;
      const kf: Keyframe = { frame: frame1 - 1, x: left + w / 2, y: top + h / 2, state: conf === 0 ? "occluded" : "visible", source: options.source ?? "human" };
      const list = rows.get(id) ?? [];
      list.push({ kf, line });
      rows.set(id, list);
    });
    if (extraColumns) warnings.push(`${file}: ${extraColumns} row(s) have values other than -1 in columns 8-10 (x, y, z or class/visibility); point tracks do not hold them`);
    const frameCount = options.frameCount ?? maxFrame;
    if (frameCount < 1) throw failure(file, "no rows and no frame count given");
    const grid = Array.from({ length: frameCount }, (_, i) => i);
    const objects = [...rows.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([id, list]) => {
        const present = list.map((r) => r.kf).sort((a, b) => a.frame - b.frame);
        return { objectId: String(id), keyframes: keyframesOnGrid(present, grid) };
      });
    return { video: { width: options.width, height: options.height, fps: options.fps, frameCount }, objects };
  });
}

export interface MotExportOptions {
  /** Side of the square box written around each point, in pixels (default 10). */
  boxSize?: number;
}

/** Writes MOTChallenge rows sorted by frame then id. Object ids must be non-negative integer strings. */
export function exportMot(set: TrackSet, options: MotExportOptions = {}): string {
  const size = options.boxSize ?? 10;
  if (!(size > 0)) throw new RangeError(`boxSize must be positive, got ${size}`);
  const ids = set.objects.map((o) => {
    if (!/^(0|[1-9][0-9]*)$/.test(o.objectId)) throw new RangeError(`MOT needs non-negative integer object ids; got '${o.objectId}'`);
    return Number(o.objectId);
  });
  const rows: { frame: number; id: number; text: string }[] = [];
  set.objects.forEach((o, i) => {
    for (const p of interpolateTrack(o.keyframes, { frameCount: set.video.frameCount, shotBoundaries: set.video.shotBoundaries })) {
      if (!p || p.state === "outside") continue;
      const conf = p.state === "occluded" ? 0 : 1;
      rows.push({ frame: p.frame, id: ids[i], text: `${p.frame + 1},${ids[i]},${p.x - size / 2},${p.y - size / 2},${size},${size},${conf},-1,-1,-1` });
    }
  });
  rows.sort((a, b) => a.frame - b.frame || a.id - b.id);
  return rows.map((r) => r.text + "\n").join("");
}
