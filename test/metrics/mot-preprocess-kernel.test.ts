// The `prep` kernel (lib/metrics/mot/frameKernels.ts) behind preprocessMotSequence against the same computation in
// JS (preprocessMotSequenceReference): identical ids, similarities and counts on tie-heavy random sequences with
// many distractor-class rows (isolated matches, enumerated components, frames handed back to the solver), for MOT17,
// MOT20, MOT15 and without preprocessing; identical errors for bad classes and duplicate ids.
import { test } from "node:test";
import assert from "node:assert/strict";
import { preprocessMotSequence, preprocessMotSequenceReference, type PreprocessOptions } from "../../lib/metrics/mot/preprocess";
import { columnsOf, framesOf, type MotFrame } from "../../lib/metrics/mot/textFile";
import type { TrackingSequence } from "../../lib/metrics/types";
import { seededRandom as mulberry32 } from "../../lib/random";

interface Det {
  id: number;
  box: [number, number, number, number];
  cls: number;
  conf: number;
}

let nextLine = 1;
function frame(dets: Det[]): MotFrame {
  return {
    ids: Int32Array.from(dets.map((d) => d.id)),
    boxes: Float64Array.from(dets.flatMap((d) => d.box)),
    classes: Int32Array.from(dets.map((d) => d.cls)),
    conf: Float64Array.from(dets.map((d) => d.conf)),
    lines: Int32Array.from(dets.map(() => nextLine++)),
  };
}

/** Boxes on a coarse grid (many exact ties, IoU exactly 0.5 included); tracker boxes copy or shift GT boxes. */
function randomSequence(seed: number, T: number): { gt: MotFrame[]; tracker: MotFrame[] } {
  const rand = mulberry32(seed);
  const pick = <V>(xs: readonly V[]): V => xs[Math.floor(rand() * xs.length)];
  const gt: MotFrame[] = [];
  const tracker: MotFrame[] = [];
  for (let t = 0; t < T; t++) {
    const G = Math.floor(rand() * 9);
    const g: Det[] = [];
    const ids = new Set<number>();
    for (let i = 0; i < G; i++) {
      let id = 1 + Math.floor(rand() * 15);
      while (ids.has(id)) id++;
      ids.add(id);
      const box: [number, number, number, number] = [pick([0, 10, 20]), pick([0, 10]), pick([10, 20]), pick([20, 40])];
      // Half pedestrians, the rest spread over every class (distractors 2, 6, 7, 8, 12 among them).
      const cls = rand() < 0.5 ? 1 : 1 + Math.floor(rand() * 13);
      g.push({ id, box, cls, conf: rand() < 0.15 ? 0 : 1 });
    }
    const H = Math.floor(rand() * 10);
    const d: Det[] = [];
    for (let j = 0; j < H; j++) {
      const src = g.length > 0 && rand() < 0.8 ? pick(g).box : ([pick([0, 10, 30]), 0, 10, 20] as [number, number, number, number]);
      const box: [number, number, number, number] = rand() < 0.6 ? [...src] : [src[0] + pick([0, 5, 10]), src[1], src[2], src[3]];
      d.push({ id: 100 + j + Math.floor(rand() * 3) * 20, box, cls: 1, conf: rand() });
    }
    gt.push(frame(g));
    tracker.push(frame(d));
  }
  return { gt, tracker };
}

const options = (benchmark: string, doPreproc = true): PreprocessOptions => ({ benchmark, doPreproc, gtFile: "seq/gt/gt.txt", trackerFile: "tr/data/seq.txt" });

/** Plain arrays, so deepStrictEqual compares contents (both sides hold views of different buffers). */
function plain(s: TrackingSequence): unknown {
  const sp = s.sparseSimilarity!;
  return {
    counts: [s.numTimesteps, s.numGtIds, s.numTrackerIds, s.numGtDets, s.numTrackerDets],
    gtIds: s.gtIds.map((x) => Array.from(x)),
    trackerIds: s.trackerIds.map((x) => Array.from(x)),
    start: Array.from(sp.start),
    rows: Array.from(sp.rows),
    cols: Array.from(sp.cols),
    values: Array.from(sp.values),
  };
}

test("prep kernel equals the JS preprocessing (tie-heavy frames, distractors, solver fallback; every benchmark mode)", () => {
  let removed = 0;
  for (let seed = 1; seed <= 30; seed++) {
    const { gt, tracker } = randomSequence(seed, 40);
    for (const [benchmark, doPreproc] of [["MOT17", true], ["MOT20", true], ["MOT15", true], ["MOT17", false]] as const) {
      const want = preprocessMotSequenceReference(gt, tracker, options(benchmark, doPreproc));
      const got = preprocessMotSequence(gt, tracker, options(benchmark, doPreproc));
      assert.deepEqual(plain(got), plain(want), `seed ${seed} ${benchmark} doPreproc ${doPreproc}`);
      if (benchmark === "MOT17") removed += tracker.reduce((s, f) => s + f.ids.length, 0) - got.numTrackerDets;
    }
  }
  assert.ok(removed > 100, `distractor removal exercised (${removed} tracker boxes removed)`);
});

test("prep kernel: a tie between distractor rows is solved by scipy's rule, as in the JS", () => {
  // Two identical distractor GT boxes and three identical tracker boxes: several optimal matchings, so the kernel
  // hands the frame back to linearSumAssignment; exactly one tracker box survives, the same one in both.
  const box: [number, number, number, number] = [0, 0, 10, 20];
  const gt = [frame([{ id: 1, box, cls: 8, conf: 1 }, { id: 2, box, cls: 8, conf: 1 }, { id: 3, box: [50, 0, 10, 20], cls: 1, conf: 1 }])];
  const tracker = [frame([{ id: 7, box, cls: 1, conf: 1 }, { id: 8, box, cls: 1, conf: 1 }, { id: 9, box, cls: 1, conf: 1 }])];
  const want = preprocessMotSequenceReference(gt, tracker, options("MOT17"));
  const got = preprocessMotSequence(gt, tracker, options("MOT17"));
  assert.deepEqual(plain(got), plain(want));
  assert.equal(got.numTrackerDets, 1);
});

test("prep kernel: bad classes and duplicate ids give the JS path's errors (file, line, field)", () => {
  const box: [number, number, number, number] = [0, 0, 10, 20];
  const ok = (id: number): Det => ({ id, box, cls: 1, conf: 1 });
  const message = (f: () => unknown): string => {
    try {
      f();
    } catch (e) {
      return (e as Error).message;
    }
    return "no error";
  };
  const cases: { gt: Det[][]; tracker: Det[][]; re: RegExp }[] = [
    { gt: [[ok(1)], [ok(1)]], tracker: [[ok(5)], [ok(5), { ...ok(6), cls: 3 }]], re: /tr\/data\/seq\.txt line \d+: field 'class' is 3; evaluation is only valid for the pedestrian class/ },
    { gt: [[ok(1)], [ok(1), { ...ok(2), cls: 14 }]], tracker: [[ok(5)], [ok(5)]], re: /seq\/gt\/gt\.txt line \d+: field 'class' is 14, not a valid MOTChallenge class/ },
    { gt: [[ok(1)], [ok(1), ok(1)]], tracker: [[ok(5)], [ok(5)]], re: /ground-truth id 1 appears more than once in frame 2/ },
    // Tracker and GT both repeat an id: the earlier frame wins; in the same frame the tracker is checked first.
    { gt: [[ok(1)], [ok(1), ok(1)]], tracker: [[ok(5)], [ok(5)]], re: /ground-truth id 1 appears more than once in frame 2/ },
    { gt: [[ok(1)], [ok(1)], [ok(1), ok(1)]], tracker: [[ok(5)], [ok(5), ok(5)], [ok(5)]], re: /tracker id 5 appears more than once in frame 2/ },
    { gt: [[ok(1)], [ok(1), ok(1)]], tracker: [[ok(5)], [ok(5), ok(5)]], re: /tracker id 5 appears more than once in frame 2/ },
    // Ids too far apart for the kernel's tables (the JS check and relabelling take over).
    { gt: [[ok(1)], [ok(2 ** 30), ok(1)]], tracker: [[ok(5)], [ok(2 ** 30), ok(2 ** 30)]], re: /tracker id 1073741824 appears more than once in frame 2/ },
    { gt: [[ok(-3)], [ok(1)]], tracker: [[ok(5)], [ok(5)]], re: /seq\/gt\/gt\.txt: field 'id' has negative value -3 on an evaluated detection/ },
    { gt: [[ok(1)], [ok(1)]], tracker: [[ok(5)], [ok(-7), ok(5)]], re: /tr\/data\/seq\.txt: field 'id' has negative value -7/ },
    { gt: [[ok(1)], [ok(1)]], tracker: [[ok(5)], [ok(5)]], re: /^no error$/ },
  ];
  for (const c of cases) {
    const mk = () => ({ gt: c.gt.map(frame), tracker: c.tracker.map(frame) });
    const a = mk();
    const b = mk();
    const want = message(() => preprocessMotSequenceReference(a.gt, a.tracker, options("MOT17")));
    const got = message(() => preprocessMotSequence(b.gt, b.tracker, options("MOT17")));
    assert.match(want, c.re);
    assert.equal(got.replace(/line \d+/g, "line N"), want.replace(/line \d+/g, "line N"));
  }
  // The GT class is only checked with preprocessing on (MOT15 never), and only in frames with tracker boxes.
  const gt = [frame([{ ...ok(1), cls: 14 }])];
  assert.doesNotThrow(() => preprocessMotSequence(gt, [frame([ok(5)])], options("MOT15")));
  assert.doesNotThrow(() => preprocessMotSequence([frame([{ ...ok(1), cls: 14 }])], [frame([])], options("MOT17")));
});

test("prep kernel: ids far apart (no tables) give the same sequence as the JS", () => {
  const box = (x: number): [number, number, number, number] => [x, 0, 10, 20];
  const gt = [frame([{ id: 3, box: box(0), cls: 1, conf: 1 }, { id: 2 ** 30, box: box(20), cls: 1, conf: 1 }]), frame([{ id: 2 ** 30, box: box(1), cls: 1, conf: 1 }])];
  const tracker = [frame([{ id: 2 ** 31 - 1, box: box(0), cls: 1, conf: 1 }, { id: 0, box: box(21), cls: 1, conf: 1 }]), frame([{ id: 9, box: box(2), cls: 1, conf: 1 }])];
  const want = preprocessMotSequenceReference(gt, tracker, options("MOT17"));
  const got = preprocessMotSequence(gt, tracker, options("MOT17"));
  assert.deepEqual(plain(got), plain(want));
  assert.deepEqual([got.numGtIds, got.numTrackerIds], [2, 3]);
});

test("columnsOf: frames back to columns (views of one array are shared, separate frames concatenated)", () => {
  const { gt } = randomSequence(7, 12);
  const c = columnsOf(gt);
  assert.equal(c.ends[12], gt.reduce((s, f) => s + f.ids.length, 0));
  for (let t = 0; t < 12; t++) {
    assert.deepEqual(Array.from(c.ids.subarray(c.ends[t], c.ends[t + 1])), Array.from(gt[t].ids));
    assert.deepEqual(Array.from(c.boxes.subarray(4 * c.ends[t], 4 * c.ends[t + 1])), Array.from(gt[t].boxes));
    assert.deepEqual(Array.from(c.lines.subarray(c.ends[t], c.ends[t + 1])), Array.from(gt[t].lines));
  }
  const again = columnsOf(framesOf(c, 12));
  assert.equal(again.ids.buffer, c.ids.buffer, "views of one column: no copy");
  assert.deepEqual(Array.from(again.conf), Array.from(c.conf));
});
