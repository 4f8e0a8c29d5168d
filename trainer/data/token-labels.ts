// Dense per-image-token attribute labels for the training-only semantic loss (config `semAux`): for every image
// token of every sampled frame, the category, colour and size class of the object that covers it, "background"
// where no object does, and no label where the coverage is ambiguous. They come from the synthetic generator's
// per-instance masks (every annotation of a video carries the masks of its objects) and the manifest's object
// attributes; examples without them (accepted annotations) simply get no labels.
//
// Why: the pointing loss supervises a few tokens per example, through the query; telling a star from a diamond
// then has to be learned through word↔key binding. These labels teach the image tokens the attributes directly.
import { encodeNormalizedPoint, type VideoGrid } from "../../lib/grounding";
import { decodeRle, parseRle, type RleInput } from "../../lib/masks/rle";
import { SYNTH_CATEGORIES } from "../synth/shapes";
import { COLOUR_NAMES, SIZE_CLASSES } from "../synth/scene";

/** An object's attributes as the manifest lists them. */
export interface ObjectAttributes {
  id: number;
  category: string;
  colour: string;
  sizeClass: string;
}

/** The labelled attributes, in the order of the semantic head's output groups. */
export const TOKEN_ATTRIBUTES: ReadonlyArray<{ name: string; values: readonly string[]; of: (o: ObjectAttributes) => string }> = [
  { name: "category", values: SYNTH_CATEGORIES, of: (o) => o.category },
  { name: "colour", values: COLOUR_NAMES, of: (o) => o.colour },
  { name: "size", values: SIZE_CLASSES, of: (o) => o.sizeClass },
];

/** Classes per attribute group: background (0) then the values (1…). */
export const TOKEN_ATTRIBUTE_CLASSES = TOKEN_ATTRIBUTES.map((a) => a.values.length + 1);
/** Width of the semantic head's output: every group's classes side by side. */
export const TOKEN_ATTRIBUTE_WIDTH = TOKEN_ATTRIBUTE_CLASSES.reduce((x, y) => x + y, 0);
/** Where groups 1… start in that output (np.split indices). */
export const TOKEN_ATTRIBUTE_SPLITS = TOKEN_ATTRIBUTE_CLASSES.slice(0, -1).map((_, i) => TOKEN_ATTRIBUTE_CLASSES.slice(0, i + 1).reduce((x, y) => x + y, 0));

/** `[attribute][frame·tokensPerFrame + token]`: −1 no label, 0 background, k ≥ 1 value k − 1 of the attribute. */
export type TokenLabels = Int8Array[];

/** A token is labelled with an object covering at least this share of the token's pixels… */
const TOKEN_SHARE = 0.25;
/** …or at least this share of the object's visible pixels in the frame (small objects split over tokens). */
const OBJECT_SHARE = 0.4;
/** Below this share of its pixels covered by any object, a token is background. */
const BACKGROUND_SHARE = 0.05;

const pixelMaps = new Map<string, Int32Array>();

/** Token of frame 0 (0 … tokensPerFrame − 1) for every native pixel centre, row-major; cached per geometry. */
function pixelTokenMap(grid: VideoGrid, tokensPerFrame: number): Int32Array {
  const key = `${grid.imageWidth}x${grid.imageHeight}:${grid.mapW}x${grid.mapH}:${tokensPerFrame}`;
  const cached = pixelMaps.get(key);
  if (cached) return cached;
  const W = grid.imageWidth;
  const H = grid.imageHeight;
  const map = new Int32Array(W * H);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) map[y * W + x] = encodeNormalizedPoint(grid, (x + 0.5) / W, (y + 0.5) / H, 0).patch;
  }
  for (const t of map) if (t < 0 || t >= tokensPerFrame) throw new RangeError(`pixel token ${t} outside frame 0's ${tokensPerFrame} tokens`);
  if (pixelMaps.size >= 16) pixelMaps.clear(); // a dataset has one or a few geometries
  pixelMaps.set(key, map);
  return map;
}

/** One video's instances on its sampled frames (index = sampled frame): masks (null: absent) and points (null: none). */
export interface SampledInstances {
  masks: Map<number, Array<RleInput | null>>;
  points: Map<number, Array<readonly [number, number] | null>>;
}

/**
 * Labels of one video's sampled frames. Objects missing from `objects` make the tokens they cover unlabelled (their
 * attributes are unknown). The token holding an object's point is labelled with it whatever the coverage (a thin
 * ring covers little of any token); where two such objects disagree on an attribute, that attribute is unlabelled.
 */
export function tokenLabels(grid: VideoGrid, tokensPerFrame: number, instances: SampledInstances, objects: readonly ObjectAttributes[]): TokenLabels {
  const { masks, points } = instances;
  const W = grid.imageWidth;
  const H = grid.imageHeight;
  const F = grid.nFrames;
  const T = tokensPerFrame;
  const map = pixelTokenMap(grid, T);
  const area = new Int32Array(T);
  for (const t of map) area[t]++;
  const byId = new Map(objects.map((o) => [o.id, o]));
  // Unknown object or value: no label (−1); value k: k + 1.
  const classOf = (o: ObjectAttributes | undefined): number[] => TOKEN_ATTRIBUTES.map((a) => (o ? a.values.indexOf(a.of(o)) + 1 || -1 : -1));
  const out: TokenLabels = TOKEN_ATTRIBUTES.map(() => new Int8Array(F * T).fill(-1));
  const ids = [...masks.keys()];
  for (let f = 0; f < F; f++) {
    // cover[k·T + t]: pixels of object k in token t
    const cover = new Int32Array(ids.length * T);
    const objectArea = new Int32Array(ids.length);
    ids.forEach((id, k) => {
      const rle = (masks.get(id) as ReadonlyArray<RleInput | null>)[f];
      if (!rle) return;
      const runs = parseRle(rle);
      if (runs.height !== H || runs.width !== W) throw new RangeError(`object ${id}: mask of ${runs.width}×${runs.height} on a ${W}×${H} video`);
      const bits = decodeRle(runs); // row-major
      for (let i = 0; i < W * H; i++) {
        if (bits[i]) {
          cover[k * T + map[i]]++;
          objectArea[k]++;
        }
      }
    });
    for (let t = 0; t < T; t++) {
      let best = -1;
      let total = 0;
      for (let k = 0; k < ids.length; k++) {
        const c = cover[k * T + t];
        total += c;
        if (c > 0 && (best < 0 || c > cover[best * T + t])) best = k;
      }
      let labels: number[] | null = null;
      if (best >= 0 && (cover[best * T + t] >= TOKEN_SHARE * area[t] || cover[best * T + t] >= OBJECT_SHARE * objectArea[best])) labels = classOf(byId.get(ids[best]));
      else if (total < BACKGROUND_SHARE * area[t]) labels = TOKEN_ATTRIBUTES.map(() => 0);
      if (labels) labels.forEach((v, a) => (out[a][f * T + t] = v));
    }
    const pointed = new Map<number, number[]>();
    for (const [id, list] of points) {
      const p = list[f];
      if (!p) continue;
      const t = map[Math.min(H - 1, Math.max(0, Math.floor(p[1]))) * W + Math.min(W - 1, Math.max(0, Math.floor(p[0])))];
      const labels = classOf(byId.get(id));
      const prev = pointed.get(t);
      pointed.set(t, prev ? prev.map((v, a) => (v === labels[a] ? v : -1)) : labels);
    }
    for (const [t, labels] of pointed) labels.forEach((v, a) => (out[a][f * T + t] = v));
  }
  return out;
}

/**
 * The instances of the sampled frames `frames` from TrackAny annotation texts of one video: the synthetic
 * generator's `masks` field (per object, one COCO RLE per native frame) and the visible points of
 * `frame_trajectories`. An object found in several annotations keeps its first masks.
 */
export function instancesFromAnnotations(texts: readonly string[], frames: readonly number[]): SampledInstances {
  const masks = new Map<number, Array<RleInput | null>>();
  const points = new Map<number, Array<readonly [number, number] | null>>();
  for (const text of texts) {
    const json = JSON.parse(text) as { masks?: unknown; frame_trajectories?: unknown };
    for (const entry of (Array.isArray(json.masks) ? json.masks : []) as Array<{ object_id?: unknown; masks?: unknown }>) {
      const id = entry?.object_id;
      const list = entry?.masks;
      if (typeof id !== "number" || !Number.isInteger(id) || !Array.isArray(list)) throw new RangeError("masks: every entry needs an integer object_id and a masks list");
      if (masks.has(id)) continue;
      masks.set(
        id,
        frames.map((f) => {
          const m = list[f] as RleInput | null | undefined;
          if (m === undefined) throw new RangeError(`masks of object ${id}: no entry for frame ${f}`);
          return m;
        }),
      );
    }
    for (const traj of (Array.isArray(json.frame_trajectories) ? json.frame_trajectories : []) as Array<{ frame?: unknown; points?: unknown }>) {
      const i = frames.indexOf(traj?.frame as number);
      if (i < 0 || !Array.isArray(traj.points)) continue;
      for (const p of traj.points as Array<{ id?: unknown; point?: unknown; occluded?: unknown }>) {
        const xy = p?.point;
        if (typeof p?.id !== "number" || p.occluded === true || !Array.isArray(xy) || typeof xy[0] !== "number" || typeof xy[1] !== "number") continue;
        const list = points.get(p.id) ?? frames.map(() => null);
        list[i] = [xy[0], xy[1]];
        points.set(p.id, list);
      }
    }
  }
  return { masks, points };
}
