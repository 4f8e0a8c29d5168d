// TrackEval `MotChallenge2DBox.get_preprocessed_seq_data` (class 'pedestrian'): box IoU on the raw data, removal of
// tracker boxes matched (IoU >= 0.5 - eps, Hungarian) to GT boxes of distractor classes, then only non-zero-marked
// pedestrian GT is kept; ids are relabelled to contiguous 0..n-1. MOT15 has no classes: no distractor removal and
// only the zero-mark filter.
import { linearSumAssignment } from "../assignment";
import { entryValue, EPS } from "../similarity";
import type { TrackingSequence } from "../types";
import { MotInputError } from "./errors";
import { positiveMatcher, prepSequence, type PositiveMatcher } from "./frameKernels";
import { sequenceIous, sequenceIousOfColumns, type MotColumns, type SequenceIous } from "./kernels";
import { columnsOf, framesOf, type MotFrame } from "./textFile";


export const MOT_CLASS_IDS = {
  pedestrian: 1, person_on_vehicle: 2, car: 3, bicycle: 4, motorbike: 5, non_mot_vehicle: 6, static_person: 7,
  distractor: 8, occluder: 9, occluder_on_ground: 10, occluder_full: 11, reflection: 12, crowd: 13,
} as const;

/** 1 at the class ids whose matched tracker boxes are removed (classes are 1..13, checked before use). */
function distractorClasses(benchmark: string): Uint8Array {
  const c = MOT_CLASS_IDS;
  const ids: number[] = [c.person_on_vehicle, c.static_person, c.distractor, c.reflection];
  if (benchmark === "MOT20") ids.push(c.non_mot_vehicle);
  const table = new Uint8Array(14);
  for (const id of ids) table[id] = 1;
  return table;
}

/** GT frame lists already checked for duplicate ids (GT is shared by every tracker of a run). */
const gtChecked = new WeakSet<object>();

/**
 * Checks that no id occurs twice in a frame, frame by frame through `frames(t)`. Ids in a modest range are checked
 * with a table holding, per id, the last frame it was seen in (no per-frame sorting); otherwise with a sorted copy.
 */
class UniqueIdChecker {
  private readonly min: number;
  private readonly lastFrame: Int32Array | null;
  private sorted = new Int32Array(256);
  constructor(frames: readonly MotFrame[]) {
    let min = Infinity;
    let max = -Infinity;
    for (const f of frames) {
      for (let k = 0; k < f.ids.length; k++) {
        if (f.ids[k] < min) min = f.ids[k];
        if (f.ids[k] > max) max = f.ids[k];
      }
    }
    this.min = min;
    this.lastFrame = min <= max && max - min < 1 << 22 ? new Int32Array(max - min + 1) : null;
  }
  private hasDuplicate(ids: Int32Array, frame: number): boolean {
    if (ids.length < 2) return false;
    const last = this.lastFrame;
    if (last) {
      for (let k = 0; k < ids.length; k++) {
        const s = ids[k] - this.min;
        if (last[s] === frame) return true;
        last[s] = frame;
      }
      return false;
    }
    if (this.sorted.length < ids.length) this.sorted = new Int32Array(2 * ids.length);
    const sorted = this.sorted.subarray(0, ids.length);
    sorted.set(ids);
    sorted.sort();
    for (let k = 1; k < sorted.length; k++) if (sorted[k] === sorted[k - 1]) return true;
    return false;
  }
  /** Throws naming the file and both lines when frame `frame` (1-based; each frame checked once) repeats an id. */
  check(f: MotFrame, file: string, frame: number, who: string): void {
    if (this.hasDuplicate(f.ids, frame)) throw duplicateIdError(f, file, frame, who);
  }
}

/** The error for frame `frame` (1-based) of `file`, which repeats an id: names both lines. */
function duplicateIdError(f: Pick<MotFrame, "ids" | "lines">, file: string, frame: number, who: string): MotInputError {
  const seen = new Map<number, number>();
  for (let k = 0; k < f.ids.length; k++) {
    const first = seen.get(f.ids[k]);
    if (first !== undefined) {
      return new MotInputError(`${file} line ${f.lines[k]}: ${who} id ${f.ids[k]} appears more than once in frame ${frame} (first at line ${first})`);
    }
    seen.set(f.ids[k], f.lines[k]);
  }
  throw new Error(`duplicateIdError: frame ${frame} of ${file} has no repeated id`);
}

export interface PreprocessOptions {
  benchmark: string;
  /** TrackEval DO_PREPROC (default true; never applied for MOT15). */
  doPreproc?: boolean;
  gtFile: string;
  trackerFile: string;
}

/** Builds the metric input for one sequence from raw GT and tracker frames (see `preprocessMotColumns`). */
export function preprocessMotSequence(gt: MotFrame[], tracker: MotFrame[], opts: PreprocessOptions): TrackingSequence {
  if (tracker.length !== gt.length) throw new Error("preprocessMotSequence: GT and tracker frame counts differ");
  return preprocessMotColumns(columnsOf(gt), columnsOf(tracker), opts);
}

/**
 * Builds the metric input for one sequence from raw GT and tracker detections as columns (./textFile
 * `parseMotColumns`). The per-frame work runs in the `prep` kernel of ./frameKernels; `preprocessMotSequenceReference`
 * below is the same computation in JS (kept as the statement of the rule the kernel is tested against).
 */
export function preprocessMotColumns(gt: MotColumns, tracker: MotColumns, opts: PreprocessOptions): TrackingSequence {
  const numTimesteps = gt.ends.length - 1;
  if (tracker.ends.length !== gt.ends.length) throw new Error("preprocessMotColumns: GT and tracker frame counts differ");
  const iou = sequenceIousOfColumns(gt.boxes, gt.ends, tracker.boxes, tracker.ends);
  const input = {
    gt,
    tracker,
    frameEnd: iou.frameEnd,
    rowCol: iou.rowCol,
    value: iou.value,
    doPreproc: (opts.doPreproc ?? true) && opts.benchmark !== "MOT15",
    distractors: distractorClasses(opts.benchmark),
    checkTrackerIds: true,
    // (A GT list that passed once cannot fail later, so it is not checked again for the next tracker.)
    checkGtIds: !gtChecked.has(gt),
  };
  let r = prepSequence(input);
  if (r.kind === "idRange") {
    // Ids too far apart for the kernel's table: the JS check (sorting per frame), then the rest in the kernel.
    checkUniqueIds(framesOf(gt, numTimesteps), framesOf(tracker, numTimesteps), opts);
    r = prepSequence({ ...input, checkTrackerIds: false, checkGtIds: false });
  }
  /** Detection k of frame t as a one-detection view (for messages). */
  const at = (c: MotColumns, t: number, k: number) => ({ line: c.lines[c.ends[t] + k], cls: c.classes[c.ends[t] + k] });
  switch (r.kind) {
    case "ok":
      break;
    case "duplicateId": {
      const c = r.side === "gt" ? gt : tracker;
      const f = { ids: c.ids.subarray(c.ends[r.t], c.ends[r.t + 1]), lines: c.lines.subarray(c.ends[r.t], c.ends[r.t + 1]) };
      throw duplicateIdError(f, r.side === "gt" ? opts.gtFile : opts.trackerFile, r.t + 1, r.side === "gt" ? "ground-truth" : "tracker");
    }
    case "class": {
      const d = at(r.side === "gt" ? gt : tracker, r.t, r.k);
      throw r.side === "gt" ? gtClassError(opts, d.line, d.cls) : trackerClassError(opts, d.line, d.cls);
    }
    case "negativeId":
      throw negativeIdError(r.side === "gt" ? opts.gtFile : opts.trackerFile, r.value);
    case "idRange":
      throw new Error("preprocessMotColumns: ids checked twice");
  }
  gtChecked.add(gt);
  const gtIds: Int32Array[] = new Array(numTimesteps);
  const trackerIds: Int32Array[] = new Array(numTimesteps);
  for (let t = 0; t < numTimesteps; t++) {
    gtIds[t] = r.gtIds.subarray(r.gtStart[t], r.gtStart[t + 1]);
    trackerIds[t] = r.trackerIds.subarray(r.trackerStart[t], r.trackerStart[t + 1]);
  }
  // Kept ids too far apart for the kernel's table are relabelled here.
  const numGtIds = r.numGtIds >= 0 ? r.numGtIds : relabel(r.gtIds, opts.gtFile);
  const numTrackerIds = r.numTrackerIds >= 0 ? r.numTrackerIds : relabel(r.trackerIds, opts.trackerFile);
  return {
    numTimesteps,
    numGtIds,
    numTrackerIds,
    numGtDets: r.gtIds.length,
    numTrackerDets: r.trackerIds.length,
    gtIds,
    trackerIds,
    sparseSimilarity: { start: r.simStart, rows: r.simRows, cols: r.simCols, values: r.simValues },
  };
}

/** TrackEval checks uniqueness on the raw data first, for every frame (tracker, then GT). */
function checkUniqueIds(gt: readonly MotFrame[], tracker: readonly MotFrame[], opts: PreprocessOptions): void {
  // (A GT list that passed once cannot fail later, so it is not checked again for the next tracker.)
  const trackerIdCheck = new UniqueIdChecker(tracker);
  const gtIdCheck = gtChecked.has(gt) ? null : new UniqueIdChecker(gt);
  for (let t = 0; t < gt.length; t++) {
    trackerIdCheck.check(tracker[t], opts.trackerFile, t + 1, "tracker");
    gtIdCheck?.check(gt[t], opts.gtFile, t + 1, "ground-truth");
  }
  gtChecked.add(gt);
}

function trackerClassError(opts: PreprocessOptions, line: number, cls: number): MotInputError {
  return new MotInputError(`${opts.trackerFile} line ${line}: field 'class' is ${cls}; evaluation is only valid for the pedestrian class (1)`);
}

function gtClassError(opts: PreprocessOptions, line: number, cls: number): MotInputError {
  return new MotInputError(`${opts.gtFile} line ${line}: field 'class' is ${cls}, not a valid MOTChallenge class (1..13)`);
}

/** `preprocessMotSequence` in JS, frame by frame (the reference the `prep` kernel is tested against). */
export function preprocessMotSequenceReference(gt: MotFrame[], tracker: MotFrame[], opts: PreprocessOptions): TrackingSequence {
  const numTimesteps = gt.length;
  if (tracker.length !== numTimesteps) throw new Error("preprocessMotSequence: GT and tracker frame counts differ");
  // Non-zero IoUs of the raw frames (row-major per frame; computed for the whole sequence in one WebAssembly call).
  const iou = sequenceIous(gt.map((f) => f.boxes), tracker.map((f) => f.boxes));
  const total = iou.frameEnd[numTimesteps];
  // Kept ids of all frames in two buffers; frames get views (see framesOf in textFile.ts for why).
  let totalGt = 0;
  let totalTr = 0;
  let maxG = 0;
  let maxH = 0;
  let maxEntries = 0;
  for (let t = 0; t < numTimesteps; t++) {
    totalGt += gt[t].ids.length;
    totalTr += tracker[t].ids.length;
    maxG = Math.max(maxG, gt[t].ids.length);
    maxH = Math.max(maxH, tracker[t].ids.length);
    maxEntries = Math.max(maxEntries, iou.frameEnd[t + 1] - iou.frameEnd[t]);
  }
  const s: SequenceState = {
    opts,
    doPreproc: (opts.doPreproc ?? true) && opts.benchmark !== "MOT15",
    distractors: distractorClasses(opts.benchmark),
    iou,
    positive: positiveMatcher(maxG, maxH, maxEntries),
    newRow: new Int32Array(64),
    newCol: new Int32Array(64),
    simStart: new Int32Array(numTimesteps + 1),
    simRows: new Int32Array(total),
    simCols: new Int32Array(total),
    simValues: new Float64Array(total),
    nSim: 0,
    gtIds: new Array(numTimesteps),
    trackerIds: new Array(numTimesteps),
    gtIdBuffer: new Int32Array(totalGt),
    trackerIdBuffer: new Int32Array(totalTr),
    numGtDets: 0,
    numTrackerDets: 0,
  };

  checkUniqueIds(gt, tracker, opts);

  // One call per frame (not one long loop): small hot functions reach optimised code sooner than one large one.
  for (let t = 0; t < numTimesteps; t++) preprocessFrame(s, t, gt[t], tracker[t]);

  const { gtIds, trackerIds, simStart, nSim } = s;
  const numGtIds = relabel(s.gtIdBuffer.subarray(0, s.numGtDets), opts.gtFile);
  const numTrackerIds = relabel(s.trackerIdBuffer.subarray(0, s.numTrackerDets), opts.trackerFile);
  const sparseSimilarity = { start: simStart, rows: s.simRows.subarray(0, nSim), cols: s.simCols.subarray(0, nSim), values: s.simValues.subarray(0, nSim) };
  return { numTimesteps, numGtIds, numTrackerIds, numGtDets: s.numGtDets, numTrackerDets: s.numTrackerDets, gtIds, trackerIds, sparseSimilarity };
}

/** What `preprocessFrame` reads and fills for the whole sequence. */
interface SequenceState {
  opts: PreprocessOptions;
  doPreproc: boolean;
  distractors: Uint8Array;
  iou: SequenceIous;
  /** A frame's IoUs >= 0.5 - eps, for the distractor matching (written into the matching kernel's memory). */
  positive: PositiveMatcher;
  /** New index of each raw GT row / tracker column of the frame (-1 = dropped). */
  newRow: Int32Array;
  newCol: Int32Array;
  /** Kept similarities of every frame (at most all non-zero IoUs), frame t's from simStart[t]. */
  simStart: Int32Array;
  simRows: Int32Array;
  simCols: Int32Array;
  simValues: Float64Array;
  nSim: number;
  gtIds: Int32Array[];
  trackerIds: Int32Array[];
  gtIdBuffer: Int32Array;
  trackerIdBuffer: Int32Array;
  numGtDets: number;
  numTrackerDets: number;
}

function preprocessFrame(s: SequenceState, t: number, g: MotFrame, d: MotFrame): void {
  const { opts, doPreproc, distractors, positive } = s;
  const { frameEnd, rowCol, value } = s.iou;
  const G = g.ids.length;
  const H = d.ids.length;
  for (let j = 0; j < H; j++) {
    if (d.classes[j] > 1) {
      throw trackerClassError(opts, d.lines[j], d.classes[j]);
    }
  }
  const e0 = frameEnd[t];
  const e1 = frameEnd[t + 1];
  if (s.newRow.length < G) s.newRow = new Int32Array(2 * G);
  if (s.newCol.length < H) s.newCol = new Int32Array(2 * H);
  const { newRow, newCol } = s;
  // newCol[j] = 1 marks a removed tracker box until the kept ones are numbered below.
  newCol.fill(0, 0, H);

  if (doPreproc && G > 0 && H > 0) {
    for (let i = 0; i < G; i++) {
      const c = g.classes[i];
      if (c < 1 || c > 13) {
        throw gtClassError(opts, g.lines[i], g.classes[i]);
      }
    }
    // Step 2: drop tracker boxes matched to distractor-class GT. TrackEval zeroes IoU < 0.5 - eps, matches, and
    // keeps pairs with score > eps; removal needs such a pair on a distractor row, so without one skip the matching.
    const pr = positive.rows;
    const pc = positive.cols;
    const pv = positive.values;
    let n = 0;
    let anyDistractor = false;
    for (let e = e0; e < e1; e++) {
      const v = value[2 * e + 1];
      if (v >= 0.5 - EPS) {
        const i = rowCol[4 * e];
        pr[n] = i;
        pc[n] = rowCol[4 * e + 1];
        pv[n++] = v;
        if (distractors[g.classes[i]] === 1) anyDistractor = true;
      }
    }
    if (anyDistractor) {
      // Only pairs with score > eps are used, so the unique-positive-matching fast path is exact here.
      let match = positive.solve(n, G, H);
      if (!match) {
        const neg = new Float64Array(G * H);
        for (let k = 0; k < n; k++) neg[pr[k] * H + pc[k]] = -pv[k];
        match = linearSumAssignment(neg, G, H);
      }
      const { rows, cols } = match;
      for (let k = 0; k < rows.length; k++) {
        const v = entryValue(pr, pc, pv, 0, n, rows[k], cols[k], H);
        if (v >= 0.5 - EPS && v > 0 + EPS && distractors[g.classes[rows[k]]] === 1) newCol[cols[k]] = 1;
      }
    }
  }

  // Step 4: keep non-zero-marked GT of the evaluated class (MOT15: zero-mark filter only); number the kept rows
  // and columns (-1 = dropped) and carry the kept pairs' IoUs over in the same row-major order.
  let Gk = 0;
  for (let i = 0; i < G; i++) {
    newRow[i] = g.conf[i] !== 0 && (!doPreproc || g.classes[i] === MOT_CLASS_IDS.pedestrian) ? Gk++ : -1;
  }
  let Hk = 0;
  for (let j = 0; j < H; j++) newCol[j] = newCol[j] === 1 ? -1 : Hk++;
  const { simRows, simCols, simValues } = s;
  let n = s.nSim;
  for (let e = e0; e < e1; e++) {
    const a = newRow[rowCol[4 * e]];
    const b = newCol[rowCol[4 * e + 1]];
    if (a >= 0 && b >= 0) {
      simRows[n] = a;
      simCols[n] = b;
      simValues[n++] = value[2 * e + 1];
    }
  }
  s.nSim = n;
  s.simStart[t + 1] = n;
  const gi = s.gtIdBuffer.subarray(s.numGtDets, s.numGtDets + Gk);
  for (let i = 0; i < G; i++) if (newRow[i] >= 0) gi[newRow[i]] = g.ids[i];
  const ti = s.trackerIdBuffer.subarray(s.numTrackerDets, s.numTrackerDets + Hk);
  for (let j = 0; j < H; j++) if (newCol[j] >= 0) ti[newCol[j]] = d.ids[j];
  s.gtIds[t] = gi;
  s.trackerIds[t] = ti;
  s.numGtDets += Gk;
  s.numTrackerDets += Hk;
}

function negativeIdError(file: string, min: number): MotInputError {
  return new MotInputError(`${file}: field 'id' has negative value ${min} on an evaluated detection; ids must be >= 0`);
}

/** Maps the sorted unique ids (all frames' kept ids, one flat array) to 0..n-1 in place; returns n. */
function relabel(ids: Int32Array, file: string): number {
  let min = Infinity;
  let max = -Infinity;
  for (let k = 0; k < ids.length; k++) {
    if (ids[k] < min) min = ids[k];
    if (ids[k] > max) max = ids[k];
  }
  if (min === Infinity) return 0;
  if (min < 0) throw negativeIdError(file, min);
  if (max - min < 1 << 22) {
    // Usual case (ids in a modest range): a lookup table instead of a Set and Map.
    const slot = new Int32Array(max - min + 1);
    for (let k = 0; k < ids.length; k++) slot[ids[k] - min] = 1;
    let n = 0;
    for (let v = 0; v < slot.length; v++) if (slot[v] !== 0) slot[v] = n++;
    for (let k = 0; k < ids.length; k++) ids[k] = slot[ids[k] - min];
    return n;
  }
  const unique = new Set<number>();
  for (const id of ids) unique.add(id);
  const sorted = Array.from(unique).sort((a, b) => a - b);
  const map = new Map<number, number>();
  sorted.forEach((id, k) => map.set(id, k));
  for (let k = 0; k < ids.length; k++) ids[k] = map.get(ids[k])!;
  return sorted.length;
}
