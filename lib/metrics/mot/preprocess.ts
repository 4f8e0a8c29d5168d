// TrackEval `MotChallenge2DBox.get_preprocessed_seq_data` (class 'pedestrian'): box IoU on the raw data, removal of
// tracker boxes matched (IoU >= 0.5 - eps, Hungarian) to GT boxes of distractor classes, then only non-zero-marked
// pedestrian GT is kept; ids are relabelled to contiguous 0..n-1. MOT15 has no classes: no distractor removal and
// only the zero-mark filter.
import { linearSumAssignment, PositiveEntries, uniquePositiveMatchingSparse } from "../assignment";
import { boxIouXywh } from "../similarity";
import type { TrackingSequence } from "../types";
import { MotInputError } from "./errors";
import type { MotFrame } from "./textFile";

const EPS = 2.220446049250313e-16;

export const MOT_CLASS_IDS = {
  pedestrian: 1, person_on_vehicle: 2, car: 3, bicycle: 4, motorbike: 5, non_mot_vehicle: 6, static_person: 7,
  distractor: 8, occluder: 9, occluder_on_ground: 10, occluder_full: 11, reflection: 12, crowd: 13,
} as const;

function distractorClasses(benchmark: string): Set<number> {
  const c = MOT_CLASS_IDS;
  const ids: number[] = [c.person_on_vehicle, c.static_person, c.distractor, c.reflection];
  if (benchmark === "MOT20") ids.push(c.non_mot_vehicle);
  return new Set(ids);
}

function checkUniqueIds(ids: Int32Array, lines: Int32Array, file: string, frame: number, who: string): void {
  if (ids.length < 2) return;
  const sorted = ids.slice().sort();
  let dup = false;
  for (let k = 1; k < sorted.length && !dup; k++) dup = sorted[k] === sorted[k - 1];
  if (!dup) return;
  // Slow path only to name the lines.
  const seen = new Map<number, number>();
  for (let k = 0; k < ids.length; k++) {
    const first = seen.get(ids[k]);
    if (first !== undefined) {
      throw new MotInputError(`${file} line ${lines[k]}: ${who} id ${ids[k]} appears more than once in frame ${frame} (first at line ${first})`);
    }
    seen.set(ids[k], lines[k]);
  }
}

export interface PreprocessOptions {
  benchmark: string;
  /** TrackEval DO_PREPROC (default true; never applied for MOT15). */
  doPreproc?: boolean;
  gtFile: string;
  trackerFile: string;
}

/** Builds the metric input for one sequence from raw GT and tracker frames. */
export function preprocessMotSequence(gt: MotFrame[], tracker: MotFrame[], opts: PreprocessOptions): TrackingSequence {
  const numTimesteps = gt.length;
  if (tracker.length !== numTimesteps) throw new Error("preprocessMotSequence: GT and tracker frame counts differ");
  const doPreproc = (opts.doPreproc ?? true) && opts.benchmark !== "MOT15";
  const distractors = distractorClasses(opts.benchmark);
  const gtIds: Int32Array[] = new Array(numTimesteps);
  const trackerIds: Int32Array[] = new Array(numTimesteps);
  const similarity: Float64Array[] = new Array(numTimesteps);
  let numGtDets = 0;
  let numTrackerDets = 0;
  const positive = new PositiveEntries();
  let iouScratch = new Float64Array(4096);

  // TrackEval checks uniqueness on the raw data first, for every frame (tracker, then GT).
  for (let t = 0; t < numTimesteps; t++) {
    checkUniqueIds(tracker[t].ids, tracker[t].lines, opts.trackerFile, t + 1, "tracker");
    checkUniqueIds(gt[t].ids, gt[t].lines, opts.gtFile, t + 1, "ground-truth");
  }

  for (let t = 0; t < numTimesteps; t++) {
    const g = gt[t];
    const d = tracker[t];
    const G = g.ids.length;
    const H = d.ids.length;
    for (let j = 0; j < H; j++) {
      if (d.classes[j] > 1) {
        throw new MotInputError(
          `${opts.trackerFile} line ${d.lines[j]}: field 'class' is ${d.classes[j]}; evaluation is only valid for the pedestrian class (1)`,
        );
      }
    }
    if (iouScratch.length < G * H) iouScratch = new Float64Array(2 * G * H);
    const sim = boxIouXywh(g.boxes, d.boxes, iouScratch);

    // Step 2: drop tracker boxes matched to distractor-class GT.
    const removeTracker = new Uint8Array(H);
    // Removal needs a matched pair (IoU >= 0.5 - eps) on a distractor row; without any candidate, skip the matching.
    let anyDistractor = false;
    for (let i = 0; i < G && !anyDistractor; i++) {
      if (!distractors.has(g.classes[i])) continue;
      for (let j = 0; j < H; j++) {
        if (sim[i * H + j] >= 0.5 - EPS) {
          anyDistractor = true;
          break;
        }
      }
    }
    if (doPreproc && G > 0 && H > 0) {
      for (let i = 0; i < G; i++) {
        const c = g.classes[i];
        if (c < 1 || c > 13) {
          throw new MotInputError(`${opts.gtFile} line ${g.lines[i]}: field 'class' is ${c}, not a valid MOTChallenge class (1..13)`);
        }
      }
    }
    if (doPreproc && G > 0 && H > 0 && anyDistractor) {
      // TrackEval zeroes IoU < 0.5 - eps, matches, and keeps pairs with score > eps.
      positive.clear();
      for (let i = 0; i < G; i++) {
        for (let j = 0; j < H; j++) if (sim[i * H + j] >= 0.5 - EPS) positive.push(i, j, sim[i * H + j]);
      }
      // Only pairs with score > eps are used, so the unique-positive-matching fast path is exact here.
      let match = uniquePositiveMatchingSparse(positive, G, H);
      if (!match) {
        const neg = new Float64Array(G * H);
        for (let k = 0; k < positive.length; k++) neg[positive.rows[k] * H + positive.cols[k]] = -positive.values[k];
        match = linearSumAssignment(neg, G, H);
      }
      const { rows, cols } = match;
      for (let k = 0; k < rows.length; k++) {
        const v = sim[rows[k] * H + cols[k]];
        if (v >= 0.5 - EPS && v > 0 + EPS && distractors.has(g.classes[rows[k]])) removeTracker[cols[k]] = 1;
      }
    }

    // Step 4: keep non-zero-marked GT of the evaluated class (MOT15: zero-mark filter only).
    const keptGt: number[] = [];
    for (let i = 0; i < G; i++) {
      if (g.conf[i] !== 0 && (!doPreproc || g.classes[i] === MOT_CLASS_IDS.pedestrian)) keptGt.push(i);
    }
    const keptTr: number[] = [];
    for (let j = 0; j < H; j++) if (!removeTracker[j]) keptTr.push(j);

    const Hk = keptTr.length;
    const s = new Float64Array(keptGt.length * Hk);
    for (let a = 0; a < keptGt.length; a++) {
      for (let b = 0; b < Hk; b++) s[a * Hk + b] = sim[keptGt[a] * H + keptTr[b]];
    }
    const gi = new Int32Array(keptGt.length);
    for (let a = 0; a < keptGt.length; a++) gi[a] = g.ids[keptGt[a]];
    const ti = new Int32Array(Hk);
    for (let b = 0; b < Hk; b++) ti[b] = d.ids[keptTr[b]];
    gtIds[t] = gi;
    trackerIds[t] = ti;
    similarity[t] = s;
    numGtDets += keptGt.length;
    numTrackerDets += Hk;
  }

  const numGtIds = relabel(gtIds, opts.gtFile);
  const numTrackerIds = relabel(trackerIds, opts.trackerFile);
  return { numTimesteps, numGtIds, numTrackerIds, numGtDets, numTrackerDets, gtIds, trackerIds, similarity };
}

/** Maps the sorted unique ids to 0..n-1 in place; returns n. */
function relabel(perFrame: Int32Array[], file: string): number {
  const unique = new Set<number>();
  for (const ids of perFrame) for (const id of ids) unique.add(id);
  const sorted = Array.from(unique).sort((a, b) => a - b);
  if (sorted.length > 0 && sorted[0] < 0) {
    throw new MotInputError(`${file}: field 'id' has negative value ${sorted[0]} on an evaluated detection; ids must be >= 0`);
  }
  const map = new Map<number, number>();
  sorted.forEach((id, k) => map.set(id, k));
  for (const ids of perFrame) for (let k = 0; k < ids.length; k++) ids[k] = map.get(ids[k])!;
  return sorted.length;
}
