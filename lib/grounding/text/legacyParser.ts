// Legacy (Molmo-1 era) point/track parsers that Molmo2's module-level `extract_*` functions fall back
// to when no `<points coords=…>` text is found: `LegacyPointFormatting.extract_points` /
// `extract_multi_image_points` (olmo/preprocessing/point_formatter.py) and the
// `ObjectTrackingParser` formats (olmo/eval/object_tracking_utils.py).
import { literalEval, numericValue, Unsupported, type PyValue } from "./pyLiteral";
import { asciiDigits, PY_DIGIT, PY_WS, PyException, pyFixed, pyFloat, pyIntFromString, pyRound, pySplit, pyStrip } from "./pyCompat";
import type { FramePoints, Point2 } from "./types";

/** Which legacy track text to parse; the Molmo2 evaluators always pass `video_point_track_per_frame`. */
export type LegacyTrackFormat = "video_point_track_per_frame" | "video_point_ground_start_end" | "video_single_point_track_per_frame";

function scaleFrom100(a: number, b: number, width: number, height: number): Point2 {
  return { x: (a / 100.0) * width, y: (b / 100.0) * height };
}

/** `LegacyPointFormatting.extract_points`: Click(x, y), `N xxx yyy`, `N x.x y.y`, `(x, y)`, `x1="" y1=""`, `p=xxx,yyy`. */
export function legacyPoints(text: string, width: number, height: number): Point2[] {
  const out: Point2[] = [];
  for (const m of text.matchAll(/Click\(([0-9]+\.[0-9]), ?([0-9]+\.[0-9])\)/g)) {
    const a = Number(m[1]);
    const b = Number(m[2]);
    if (Math.max(a, b) > 100) continue;
    out.push(scaleFrom100(a, b, width, height));
  }
  if (out.length) return out;

  for (const m of text.matchAll(/[0-9]+ ([0-9]{3}) ([0-9]{3})/g)) {
    const a = Number(m[1]);
    const b = Number(m[2]);
    if (Math.max(a, b) > 1000) continue;
    out.push({ x: (a / 1000.0) * width, y: (b / 1000.0) * height });
  }
  if (out.length) return out;

  for (const m of text.matchAll(/[0-9]+ ([0-9]+\.[0-9]) ([0-9]+\.[0-9])/g)) {
    const a = Number(m[1]);
    const b = Number(m[2]);
    if (Math.max(a, b) > 100) continue;
    out.push(scaleFrom100(a, b, width, height));
  }
  if (out.length) return out;

  for (const m of text.matchAll(/\(([0-9]+\.[0-9]),? ?([0-9]+\.[0-9])\)/g)) {
    const a = Number(m[1]);
    const b = Number(m[2]);
    if (Math.max(a, b) > 100) continue;
    out.push(scaleFrom100(a, b, width, height));
  }
  const ws = `[${PY_WS}]`;
  const xy = new RegExp(`x${PY_DIGIT}*="${ws}*([0-9]+(?:\\.[0-9]+)?)"${ws}+y${PY_DIGIT}*="${ws}*([0-9]+(?:\\.[0-9]+)?)"`, "gu");
  for (const m of text.matchAll(xy)) {
    const a = Number(m[1]);
    const b = Number(m[2]);
    if (Math.max(a, b) > 100) continue;
    out.push(scaleFrom100(a, b, width, height));
  }
  const eq = new RegExp(`(?:${PY_DIGIT}+|p)${ws}*=${ws}*([0-9]{3})${ws}*,${ws}*([0-9]{3})`, "gu");
  for (const m of text.matchAll(eq)) {
    const a = Number(m[1]) / 10.0;
    const b = Number(m[2]) / 10.0;
    if (Math.max(a, b) > 100) continue;
    out.push(scaleFrom100(a, b, width, height));
  }
  return out;
}

/** `LegacyPointFormatting.extract_multi_image_points`: `<points t 1 x y 2 x y/>` blocks in 0–100 units.
 * Any malformed block makes the whole call return `None` (here: `null`). */
export function legacyMultiImagePoints(text: string, width: number, height: number): Array<{ frame: number; x: number; y: number }> | null {
  const out: Array<{ frame: number; x: number; y: number }> = [];
  try {
    const block = new RegExp(`<points[${PY_WS}]+([^/>]*?)[${PY_WS}]*/>`, "gu");
    for (const m of text.matchAll(block)) {
      const tokens = pySplit(m[1]);
      if (tokens.length === 0) continue;
      const ts = pyFloat(tokens[0]);
      const triplet = tokens.slice(1);
      if (triplet.length % 3 !== 0) return null;
      for (let i = 0; i < triplet.length; i += 3) {
        const x = pyFloat(triplet[i + 1]);
        const y = pyFloat(triplet[i + 2]);
        if (npMax(x, y) > 100) continue;
        const p = scaleFrom100(x, y, width, height);
        out.push({ frame: ts, x: p.x, y: p.y });
      }
    }
  } catch (e) {
    if (e instanceof PyException) return null;
    throw e;
  }
  return out;
}

/** `np.max([a, b])`: NaN propagates. */
function npMax(a: number, b: number): number {
  return Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.max(a, b);
}

/** `olmo.util.get_absolute_coordinates`: float32 array, in-place `/= 100`, then times int64 (w, h) in float64. */
function absoluteCoordinatesF32(a: number, b: number, width: number, height: number): Point2 {
  return { x: Math.fround(Math.fround(a) / 100) * width, y: Math.fround(Math.fround(b) / 100) * height };
}

/** Python `len(v)`; TypeError for scalars. */
function pyLen(v: PyValue): number {
  switch (v.t) {
    case "str":
      return [...v.v].length;
    case "list":
    case "tuple":
    case "set":
      return v.items.length;
    case "dict":
      return v.entries.length;
    default:
      throw new PyException("TypeError", `object of type '${v.t}' has no len()`);
  }
}

/** Python `int(v)` on a literal; ValueError (caught by the reference) for bad strings. */
function pyInt(v: PyValue): number {
  switch (v.t) {
    case "bool":
      return v.v ? 1 : 0;
    case "int":
      return v.v;
    case "float":
      if (!Number.isFinite(v.v)) throw new PyException("OverflowError", "cannot convert float infinity to integer");
      return Math.trunc(v.v) + 0;
    case "str":
      return pyIntFromString(v.v);
    default:
      throw new PyException("TypeError", `int() argument must be a string or a number, not '${v.t}'`);
  }
}

/** One `{id: [x, y], …}` block of `extract_video_point_track_per_frame`, or null when the reference skips the frame. */
function perFramePoints(json: string, width: number, height: number): Array<{ id: number; point: Point2 }> | null {
  const parsed = literalEval(json);
  if (parsed.kind === "syntax") return null;
  const obj = parsed.value;
  if (obj.t !== "dict") throw new PyException("AttributeError", `'${obj.t}' object has no attribute 'items'`);
  const points: Array<{ id: number; point: Point2 }> = [];
  for (const [key, coords] of obj.entries) {
    if (pyLen(coords) !== 2) continue;
    let pair: PyValue[];
    if (coords.t === "list" || coords.t === "tuple") pair = coords.items;
    else if (coords.t === "str") pair = [...coords.v].map((c) => ({ t: "str", v: c }) as PyValue);
    else if (coords.t === "dict") pair = coords.entries.map(([k]) => k);
    else throw new Unsupported("set-valued coordinates (iteration order) are not modelled");
    const [x, y] = pair;
    for (const c of pair) {
      if (c.t === "str" || c.t === "none") throw new PyException("TypeError", "'>' not supported between non-numeric values");
      if (c.t !== "int" && c.t !== "float" && c.t !== "bool") throw new Unsupported("nested coordinate sequences are not modelled");
    }
    const a = numericValue(x);
    const b = numericValue(y);
    if (Math.max(a, b) > 100) continue;
    const point = absoluteCoordinatesF32(a, b, width, height);
    let id: number;
    try {
      id = pyInt(key);
    } catch (e) {
      if (e instanceof PyException && e.pyType === "ValueError") return null;
      throw e;
    }
    points.push({ id, point });
  }
  return points;
}

interface TimedPoints<P> {
  time: number;
  points: Array<P & { id: number; point: Point2 }>;
}

/** `convert_point_tracking_to_trajectory_format`: `frame = round(t·fps)`, time written as `"%.2f"`, later duplicate ids overwrite. */
function toTrajectory<P extends object>(entries: Array<TimedPoints<P>>, fps: number): Array<{ frame: number; time: number; points: Array<Omit<P, "point"> & { id: number; x: number; y: number }> }> {
  return entries.map((e) => {
    const frame = pyRound(e.time * fps);
    const points: Array<Omit<P, "point"> & { id: number; x: number; y: number }> = [];
    for (const { point, ...rest } of e.points) {
      const at = points.findIndex((q) => q.id === rest.id);
      const v = { ...rest, x: point.x, y: point.y } as Omit<P, "point"> & { id: number; x: number; y: number };
      if (at >= 0) points[at] = v;
      else points.push(v);
    }
    return { frame, time: Number(pyFixed(e.time, 2)), points };
  });
}

/** `parse_tracking_prediction_to_point_tracks`: `time 0.50\n{0: [34.0, 63.0], 1: [72.0, 49.0]}` blocks in 0–100 units. */
export function legacyPerFrameTracks(text: string, width: number, height: number, fps: number): FramePoints[] {
  const re = new RegExp(`time[${PY_WS}]+(${PY_DIGIT}+\\.?${PY_DIGIT}*)[${PY_WS}]*\\n[${PY_WS}]*(\\{[^}]+\\})`, "gu");
  const entries: Array<TimedPoints<object>> = [];
  for (const m of text.matchAll(re)) {
    const seconds = pyFloat(asciiDigits(m[1]));
    const points = perFramePoints(m[2], width, height);
    if (points && points.length) entries.push({ time: seconds, points });
  }
  return toTrajectory(entries, fps);
}

/** `parse_single_point_prediction_to_point_tracks`: `[x, y, t], [x, y, t]` in 0–100 units, object id 0. */
export function legacySinglePointTracks(text: string, width: number, height: number, fps: number): FramePoints[] {
  const num = `([${PY_DIGIT}.-]+)`;
  const ws = `[${PY_WS}]*`;
  const re = new RegExp(`\\[${ws}${num}${ws},${ws}${num}${ws},${ws}${num}${ws}\\]`, "gu");
  const entries: Array<TimedPoints<object>> = [];
  for (const m of text.matchAll(re)) {
    let x: number, y: number, t: number;
    try {
      x = pyFloat(m[1]);
      y = pyFloat(m[2]);
      t = pyFloat(m[3]);
    } catch (e) {
      if (e instanceof PyException) continue;
      throw e;
    }
    if (npMax(x, y) > 100) continue;
    entries.push({ time: t, points: [{ id: 0, point: absoluteCoordinatesF32(x, y, width, height) }] });
  }
  return toTrajectory(entries, fps);
}

/** CPython `float_divmod`: Python's `a // b` and `a % b` on floats (floor semantics, remainder takes b's sign). */
function pyDivmod(a: number, b: number): [number, number] {
  let mod = a % b;
  let div = (a - mod) / b;
  if (mod) {
    if (b < 0 !== mod < 0) {
      mod += b;
      div -= 1.0;
    }
  } else mod = b < 0 ? -0 : 0;
  let floordiv: number;
  if (div) {
    floordiv = Math.floor(div);
    if (div - floordiv > 0.5) floordiv += 1.0;
  } else floordiv = a / b < 0 || Object.is(a / b, -0) ? -0 : 0;
  return [floordiv, mod];
}

/** Python `int(float)`: truncation; inf/nan raise. */
function pyTrunc(x: number): number {
  if (Number.isNaN(x)) throw new PyException("ValueError", "cannot convert float NaN to integer");
  if (!Number.isFinite(x)) throw new PyException("OverflowError", "cannot convert float infinity to integer");
  return Math.trunc(x) + 0;
}

/** Python `f"{n:02}"` for an int. */
function pad2(n: number): string {
  return n < 0 ? `-${String(-n)}` : String(n).padStart(2, "0");
}

/** The `MM:SS.FF` string `parse_grounding_prediction_to_point_tracks` writes for a time in seconds. */
export function legacyClockString(seconds: number): string {
  const [min] = pyDivmod(seconds, 60);
  const [, sec] = pyDivmod(seconds, 60);
  const [, hundredths] = pyDivmod(seconds * 100, 100);
  return `${pad2(pyTrunc(min))}:${pad2(pyTrunc(sec))}.${pad2(pyTrunc(hundredths))}`;
}

/** `parse_grounding_prediction_to_point_tracks`: `id: ([x, y, t], [x, y, t])` lines (first/last appearance, 0–100 units).
 * Frames are `int(t·fps)` (truncated, unlike the other formats) and `time = frame / fps`. */
export function legacyStartEndTracks(text: string, width: number, height: number, fps: number): FramePoints[] {
  const ws = `[${PY_WS}]*`;
  const re = new RegExp(`(${PY_DIGIT}+):${ws}\\(${ws}\\[([^\\]]+)\\]${ws},${ws}\\[([^\\]]+)\\]${ws}\\)`, "gu");
  const perFrame = new Map<number, Array<{ id: number; x: number; y: number }>>();
  const put = (frame: number, id: number, p: Point2) => {
    let list = perFrame.get(frame);
    if (!list) perFrame.set(frame, (list = []));
    const at = list.findIndex((q) => q.id === id);
    if (at >= 0) list[at] = { id, x: p.x, y: p.y };
    else list.push({ id, x: p.x, y: p.y });
  };
  for (const m of text.matchAll(re)) {
    let id: number, start: number[], end: number[];
    try {
      id = pyIntFromString(m[1]);
      start = m[2].split(",").map(pyFloat);
      end = m[3].split(",").map(pyFloat);
    } catch (e) {
      if (e instanceof PyException) continue;
      throw e;
    }
    if (start.length !== 3 || end.length !== 3) continue;
    const [sx, sy, st] = start;
    const [ex, ey, et] = end;
    // np.max propagates NaN (then `> 100` is False); get_absolute_coordinates re-checks each pair and its ValueError is caught.
    if (npMax(npMax(sx, sy), npMax(ex, ey)) > 100 || npMax(sx, sy) > 100 || npMax(ex, ey) > 100) continue;
    put(pyTrunc(st * fps), id, absoluteCoordinatesF32(sx, sy, width, height));
    put(pyTrunc(et * fps), id, absoluteCoordinatesF32(ex, ey, width, height));
  }
  return [...perFrame.entries()].map(([frame, points]) => ({ frame, time: frame / fps, points }));
}

/** A point of the occlusion-aware point-tracking format. */
export interface OccludablePoint {
  id: number;
  x: number;
  y: number;
  occluded: boolean;
}

export interface OccludableFramePoints {
  frame: number;
  time: number;
  points: OccludablePoint[];
}

/** Items of a Python sequence/str/dict unpacked by `a, b = v`; sets iterate in hash order (not modelled). */
function unpackItems(v: PyValue): PyValue[] {
  if (v.t === "list" || v.t === "tuple") return v.items;
  if (v.t === "str") return [...v.v].map((c) => ({ t: "str", v: c }) as PyValue);
  if (v.t === "dict") return v.entries.map(([k]) => k);
  throw new Unsupported("set-valued coordinates (iteration order) are not modelled");
}

/**
 * `parse_tracking_prediction_with_occlusion_to_point_trajectory` (olmo/eval/point_tracking_utils.py): `time t` blocks of
 * `{id: [x, y]}` or `{id: [x, y, "yes"]}` in 0–100 units. Reproduced quirks: an entry whose coordinates have neither 2
 * nor 3 items reuses the previous entry's x, y and occlusion (Python loop variables outlive their iteration, even
 * across frames); the reference writer's unquoted `yes` is not a Python literal, so such frames are skipped.
 */
export function legacyOcclusionTracks(text: string, width: number, height: number, fps: number): OccludableFramePoints[] {
  const re = new RegExp(`time[${PY_WS}]+(${PY_DIGIT}+\\.?${PY_DIGIT}*)[${PY_WS}]*\\n[${PY_WS}]*(\\{[^}]+\\})`, "gu");
  const entries: Array<TimedPoints<{ occluded: boolean }>> = [];
  let x: PyValue | undefined;
  let y: PyValue | undefined;
  let occluded = false;
  frames: for (const m of text.matchAll(re)) {
    const seconds = pyFloat(asciiDigits(m[1]));
    const parsed = literalEval(m[2]);
    if (parsed.kind === "syntax") continue;
    const obj = parsed.value;
    if (obj.t !== "dict") throw new PyException("AttributeError", `'${obj.t}' object has no attribute 'items'`);
    const points: Array<{ id: number; point: Point2; occluded: boolean }> = [];
    for (const [key, coords] of obj.entries) {
      const n = pyLen(coords);
      if (n === 2 || n === 3) {
        const items = unpackItems(coords);
        [x, y] = items;
        if (n === 2) occluded = false;
        else {
          const flag = items[2];
          if (flag.t !== "str") throw new PyException("AttributeError", `'${flag.t}' object has no attribute 'strip'`);
          occluded = ["yes", "true", "1"].includes(pyStrip(flag.v).toLowerCase());
        }
      }
      if (x === undefined || y === undefined) throw new PyException("UnboundLocalError", "cannot access local variable 'x' where it is not associated with a value");
      for (const c of [x, y]) {
        if (c.t === "str" || c.t === "none") throw new PyException("TypeError", "'>' not supported between non-numeric values");
        if (c.t !== "int" && c.t !== "float" && c.t !== "bool") throw new Unsupported("nested coordinate sequences are not modelled");
      }
      const a = numericValue(x);
      const b = numericValue(y);
      if (Math.max(a, b) > 100) continue;
      const point = absoluteCoordinatesF32(a, b, width, height);
      let id: number;
      try {
        id = pyInt(key);
      } catch (e) {
        if (e instanceof PyException && e.pyType === "ValueError") continue frames;
        throw e;
      }
      points.push({ id, point, occluded });
    }
    if (points.length) entries.push({ time: seconds, points });
  }
  return toTrajectory(entries, fps);
}
