// Parser for Molmo2 `<points coords=…>` / `<tracks coords=…>` text, a port of
// allenai/molmo2 `UnifiedPointFormatter.extract_multi_image_points` / `extract_tracks`
// (coordinate_scale "1000"). Both html-v1 (tab) and html-v2 (`;`) separators are accepted, as there.
import { PyException, pyRound } from "./pyCompat";
import type { FramePoints } from "./types";

// Python's `.` excludes only "\n"; JS's `.` also excludes \r, \u2028, \u2029, hence `[^\n]`.
const COORD_RE = /<(?:points|tracks)[^\n]*? coords="([0-9\t:;, .]+)"\/?>/g;
const FRAME_RE = /(?:^|\t|:|,|;)([0-9.]+) ([0-9. ]+)/g;
/** The reference's `points_regex`; `scanPointTriples` implements it without a regex. */
export const POINTS_RE = /([0-9]+) ([0-9]{3,4}) ([0-9]{3,4})/g;
const FLOAT_DIGITS_DOTS = /^(?:[0-9]+\.?[0-9]*|\.[0-9]+)$/;

/** One parsed point: frame field (image index / timestamp), raw id text, pixel x/y, offset of the point in the text. */
export interface RawPoint {
  frame: number;
  id: string;
  x: number;
  y: number;
  offset: number;
}

/** Python `float()` of a `[0-9.]+` capture. */
function floatOfDigitsAndDots(s: string, offset: number): number {
  if (!FLOAT_DIGITS_DOTS.test(s)) throw new PyException("ValueError", `could not convert string to float: '${s}'`, offset);
  return Number(s);
}

const isDigit = (c: number) => c >= 48 && c <= 57;

/**
 * All matches of `([0-9]+) ([0-9]{3,4}) ([0-9]{3,4})` (Python `finditer` / JS global exec semantics) in a string
 * of digits, dots and spaces, without a regex: a match starting inside a digit run has the same continuation as one
 * starting at that run's first digit, so only run starts (or the resume point) need trying. Group 2 must be a whole
 * run of 3–4 digits (a space must follow it); group 3 takes the first 3–4 digits of its run.
 * Calls `emit(idStart, idEnd, x, y)` per match. `POINTS_RE` is the specification (and the fuzz-test oracle).
 */
export function scanPointTriples(s: string, emit: (idStart: number, idEnd: number, x: number, y: number) => void): void {
  const n = s.length;
  let i = 0;
  while (i < n) {
    if (!isDigit(s.charCodeAt(i))) {
      i++;
      continue;
    }
    let e1 = i + 1;
    while (e1 < n && isDigit(s.charCodeAt(e1))) e1++;
    let ok = e1 < n && s.charCodeAt(e1) === 32;
    let e2 = e1 + 1;
    if (ok) {
      while (e2 < n && isDigit(s.charCodeAt(e2))) e2++;
      const len2 = e2 - (e1 + 1);
      ok = (len2 === 3 || len2 === 4) && e2 < n && s.charCodeAt(e2) === 32;
    }
    let e3 = e2 + 1;
    if (ok) {
      while (e3 < n && e3 - (e2 + 1) < 4 && isDigit(s.charCodeAt(e3))) e3++;
      ok = e3 - (e2 + 1) >= 3;
    }
    if (!ok) {
      i = e1; // every start inside this digit run fails the same way
      continue;
    }
    let x = 0;
    for (let k = e1 + 1; k < e2; k++) x = x * 10 + (s.charCodeAt(k) - 48);
    let y = 0;
    for (let k = e2 + 1; k < e3; k++) y = y * 10 + (s.charCodeAt(k) - 48);
    emit(i, e1, x, y);
    i = e3;
  }
}

/** Per-image sizes (`diff_res` in the reference): the frame field is `int()`-ed and indexes the lists, Python-style. */
function sizeForImage(s: string, widths: number[], heights: number[], offset: number): [number, number, number] {
  if (!/^[0-9]+$/.test(s)) throw new PyException("ValueError", `invalid literal for int() with base 10: '${s}'`, offset);
  const frame = Number(s);
  let i = frame - 1;
  if (i < 0) i += widths.length; // Python negative indexing: image "0" is the last image
  if (i < 0 || i >= widths.length) throw new PyException("IndexError", "list index out of range", offset);
  return [frame, widths[i], heights[i]];
}

type PointVisitor = (frame: number, id: string, x: number, y: number, offset: number) => void;

/** Walks every in-image point of the text in order, as `extract_multi_image_points` yields them. */
function visitPoints(text: string, width: number | number[], height: number | number[], visit: PointVisitor): void {
  const diffRes = Array.isArray(width) && Array.isArray(height);
  if (diffRes && width.length !== height.length) throw new PyException("AssertionError", "width and height lists differ in length");
  // exec loops over module-level regexes (reset here, never re-entered) avoid matchAll's iterator overhead.
  COORD_RE.lastIndex = 0;
  for (let coord = COORD_RE.exec(text); coord; coord = COORD_RE.exec(text)) {
    const body = coord[1];
    const bodyStart = coord.index + coord[0].length - body.length - (coord[0].endsWith("/>") ? 3 : 2);
    FRAME_RE.lastIndex = 0;
    for (let grp = FRAME_RE.exec(body); grp; grp = FRAME_RE.exec(body)) {
      const numStart = grp.index + grp[0].length - grp[2].length;
      const frameOffset = bodyStart + numStart - 1 - grp[1].length;
      let frame: number, w: number, h: number;
      if (diffRes) [frame, w, h] = sizeForImage(grp[1], width, height, frameOffset);
      else {
        frame = floatOfDigitsAndDots(grp[1], frameOffset);
        w = width as number;
        h = height as number;
      }
      const nums = grp[2];
      scanPointTriples(nums, (idStart, idEnd, xv, yv) => {
        const x = (xv / 1000) * w;
        const y = (yv / 1000) * h;
        if (0 <= x && x <= w && 0 <= y && y <= h) visit(frame, nums.slice(idStart, idEnd), x, y, bodyStart + numStart + idStart);
      });
    }
  }
}

/** `extract_multi_image_points(text, w, h, extract_ids=True)`; `width`/`height` may be per-image lists.
 * Throws PyException where Python raises. */
export function unifiedMultiImagePoints(text: string, width: number | number[], height: number | number[]): RawPoint[] {
  const out: RawPoint[] = [];
  visitPoints(text, width, height, (frame, id, x, y, offset) => out.push({ frame, id, x, y, offset }));
  return out;
}

/** `UnifiedPointFormatter.extract_tracks`: group by timestamp (sorted), `frame = round(t * fps)`,
 * a repeated id (same text) within a timestamp is dropped (the first one is kept). */
export function unifiedTracks(text: string, width: number, height: number, fps: number): FramePoints[] {
  type Group = { seen: Set<string>; points: FramePoints["points"] };
  const byTime = new Map<number, Group>();
  // Timestamps usually arrive in runs: remember the current group instead of hashing every point's time.
  let lastTime = NaN;
  let lastGroup: Group | undefined;
  visitPoints(text, width, height, (time, id, x, y) => {
    let group = time === lastTime ? lastGroup : byTime.get(time);
    if (!group) byTime.set(time, (group = { seen: new Set(), points: [] }));
    lastTime = time;
    lastGroup = group;
    if (group.seen.has(id)) return;
    group.seen.add(id);
    group.points.push({ id: Number(id), x, y });
  });
  const out: FramePoints[] = [];
  for (const time of [...byTime.keys()].sort((a, b) => a - b)) out.push({ frame: pyRound(time * fps), time, points: byTime.get(time)!.points });
  return out;
}
