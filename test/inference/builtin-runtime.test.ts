// The built-in runtime end to end: generated colour-matching model + synthetic video (lib/video) → TrackSet.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { PointDecoder, compareTargets, parseHfPoints, type PointTarget } from "../../lib/grounding";
import { trackSetSchema, type TrackSet } from "../../lib/tracks";
import { generateSyntheticVideo, type SyntheticGroundTruth, type VideoMeta } from "../../lib/video";
import { RuntimeError, type QueryRequest, type RuntimeVideo } from "../../inference/runtime";
import { generateBuiltinModel } from "../../inference/builtin/generate-model";
import { createBuiltinRuntime, type BuiltinRuntime } from "../../inference/runtimes/builtin";

const root = mkdtempSync(path.join(tmpdir(), "gt-builtin-runtime-"));
let meta: VideoMeta;
let truth: SyntheticGroundTruth;
let video: RuntimeVideo;
let rt: BuiltinRuntime;
const quiet = () => {};

// Red circle moving right-down, blue square moving left-down; they cross (the blue square on top) mid-clip.
const spec = {
  width: 192, height: 144, frames: 30, fps: 10,
  objects: [
    { id: 1, category: "circle" as const, colour: "red" as const, size: 16, path: [{ frame: 0, x: 30, y: 40 }, { frame: 29, x: 160, y: 100 }] },
    { id: 2, category: "square" as const, colour: "blue" as const, size: 14, z: 1, path: [{ frame: 0, x: 150, y: 30 }, { frame: 29, x: 40, y: 110 }] },
  ],
};

before(async () => {
  const [v] = await Promise.all([generateSyntheticVideo(path.join(root, "v.mp4"), spec, 3), generateBuiltinModel(path.join(root, "m"))]);
  meta = v.meta;
  truth = v.groundTruth;
  video = { id: "vid-1", path: path.join(root, "v.mp4"), meta };
  rt = await createBuiltinRuntime({ modelDir: path.join(root, "m"), device: "cpu", log: quiet });
});
after(async () => {
  await rt?.close();
  rmSync(root, { recursive: true, force: true });
});

const req = (expression: string, extra: Partial<QueryRequest> = {}): QueryRequest => ({ video, expression, signal: new AbortController().signal, ...extra });

/** Replays raw output through a fresh decoder: throws if any point breaks the constrained-decoding rules. */
function replay(raw: string, nPatches: number, nSubpatches: number): PointTarget[] {
  const { targets } = parseHfPoints(raw, { nPatches, nSubpatches, noMorePointsClass: true });
  const d = new PointDecoder({ nPatches, nSubpatches });
  d.feedText();
  for (const t of targets) {
    d.feedPatch(t.patch);
    d.feedSubpatch(t.subpatch);
    d.feedLocation(t.location);
    d.feedText();
  }
  if (raw.endsWith(`<POINT_${nPatches}>`)) d.feedPatch(nPatches);
  for (let i = 1; i < targets.length; i++) assert.ok(compareTargets(targets[i - 1], targets[i]) < 0, `targets not strictly sorted at ${i}`);
  return targets;
}

/** Every keyframe of `objectId` lies on the ground-truth object (within its size + one ViT patch of slack). */
function assertOnObject(tracks: TrackSet, objectId: string, gtIndex: number): number {
  const o = tracks.objects.find((x) => x.objectId === objectId);
  assert.ok(o, `object ${objectId} missing: ${JSON.stringify(tracks.objects.map((x) => x.objectId))}`);
  const gt = truth.objects[gtIndex];
  const slack = gt.size + 192 / 16 / 2;
  for (const k of o.keyframes) {
    const p = gt.track[k.frame];
    const dist = Math.hypot(k.x - p.x, k.y - p.y);
    assert.ok(dist <= slack, `frame ${k.frame}: point (${k.x.toFixed(1)}, ${k.y.toFixed(1)}) is ${dist.toFixed(1)} px from the ${gt.colour} ${gt.category} at (${p.x.toFixed(1)}, ${p.y.toFixed(1)})`);
    assert.equal(p.state, "visible", `frame ${k.frame}: pointed at an object that is ${p.state}`);
  }
  return o.keyframes.length;
}

test("'the red circle' tracks the red circle on the sampled frames where it is visible; onPartial/onProgress", async () => {
  const partials: number[] = [];
  const stages = new Set<string>();
  const r = await rt.query(req("the red circle", {
    onPartial: (t) => partials.push(t.objects.reduce((s, o) => s + o.keyframes.length, 0)),
    onProgress: (p) => {
      stages.add(p.stage);
      assert.ok(p.done <= p.total);
    },
  }));
  assert.equal(r.engine, "built-in:gen-colour-p1");
  assert.deepEqual(r.sampledFrames, [0, 5, 10, 15, 20, 25]); // 2 fps tracking sampling of a 10 fps, 3 s clip
  assert.ok(trackSetSchema.safeParse(r.tracks).success);
  assert.equal(r.tracks.expression, "the red circle");
  assert.deepEqual(r.tracks.objects.map((o) => o.objectId), ["1"]); // id head: colour class 0 (red) → id 1
  const n = assertOnObject(r.tracks, "1", 0);
  const visible = r.sampledFrames.filter((f) => truth.objects[0].track[f].state === "visible").length;
  assert.equal(n, visible, "one keyframe per sampled frame where the circle is visible");
  for (const o of r.tracks.objects) {
    for (const k of o.keyframes) {
      assert.ok(r.sampledFrames.includes(k.frame));
      assert.equal(k.source, "model:gen-colour-p1");
    }
    assert.deepEqual(o.keyframes.map((k) => k.frame), [...o.keyframes.map((k) => k.frame)].sort((a, b) => a - b));
  }
  const targets = replay(r.rawOutput, 6 * 256, 1);
  assert.ok(targets.length >= n);
  assert.match(r.rawOutput, /<POINT_1536>$/, "ends with the no-more-points class");
  // One partial TrackSet per decoded point, growing to the final one; every stage reported.
  assert.equal(partials.length, targets.length);
  for (let i = 1; i < partials.length; i++) assert.ok(partials[i] >= partials[i - 1]);
  assert.equal(partials.at(-1), n);
  assert.deepEqual([...stages].sort(), ["decoding", "encoding", "sampling"]);
});

test("'the shapes' points at both objects with distinct ids; keys are encoded once per video", async () => {
  const before = { ...rt.stats };
  const r = await rt.query(req("the shapes"));
  assert.deepEqual(r.tracks.objects.map((o) => o.objectId), ["1", "3"]); // red → 1, blue → 3
  assertOnObject(r.tracks, "1", 0);
  assert.ok(assertOnObject(r.tracks, "3", 1) >= 5);
  replay(r.rawOutput, 6 * 256, 1);
  const r2 = await rt.query(req("the blue square"));
  assert.deepEqual(r2.tracks.objects.map((o) => o.objectId), ["3"]);
  assertOnObject(r2.tracks, "3", 1);
  // Same video: no further vision.onnx runs; one query.onnx run and 1 + 4·points step runs per query.
  assert.equal(rt.stats.encodeRuns, 1);
  assert.equal(rt.stats.queryRuns, before.queryRuns + 2);
  const points = (raw: string) => parseHfPoints(raw, { nPatches: 6 * 256, nSubpatches: 1, noMorePointsClass: true }).targets.length;
  assert.equal(rt.stats.stepRuns - before.stepRuns, 2 + 4 * (points(r.rawOutput) + points(r2.rawOutput)));
  // Another video id (same file) is another cache entry: encoded once more, then reused.
  const other = { ...video, id: "vid-2" };
  await rt.query({ ...req("red"), video: other });
  await rt.query({ ...req("blue"), video: other });
  assert.equal(rt.stats.encodeRuns, 2);
});

test("cancellation: before the query and in the middle of decoding", async () => {
  const pre = new AbortController();
  pre.abort();
  await assert.rejects(rt.query(req("red", { signal: pre.signal })), (e: unknown) => e instanceof RuntimeError && e.code === "cancelled");
  const mid = new AbortController();
  let seen = 0;
  const stepsBefore = rt.stats.stepRuns;
  await assert.rejects(
    rt.query(req("the shapes", { signal: mid.signal, onPartial: () => { if (++seen === 2) mid.abort(); } })),
    (e: unknown) => e instanceof RuntimeError && e.code === "cancelled",
  );
  assert.equal(seen, 2, "no point decoded after the abort");
  assert.equal(rt.stats.stepRuns - stepsBefore, 1 + 4 * 2, "decoding stopped at the next step");
});

test("a shared encode survives one waiter's cancellation; cancelled by its only waiter it is dropped", async () => {
  const encodes = rt.stats.encodeRuns;
  const v3 = { ...video, id: "vid-3" };
  const first = new AbortController();
  const p1 = rt.query({ ...req("red"), video: v3, signal: first.signal });
  const p2 = rt.query({ ...req("blue"), video: v3 });
  first.abort();
  await assert.rejects(p1, (e: unknown) => e instanceof RuntimeError && e.code === "cancelled");
  const r2 = await p2;
  assert.deepEqual(r2.tracks.objects.map((o) => o.objectId), ["3"]);
  assert.equal(rt.stats.encodeRuns, encodes + 1, "one encode for both queries");
  // The only waiter cancels while frames are being decoded: the encode stops and is not cached.
  const v4 = { ...video, id: "vid-4" };
  const only = new AbortController();
  const p3 = rt.query({ ...req("red"), video: v4, signal: only.signal, onProgress: (p) => { if (p.stage === "sampling" && p.done === 1) only.abort(); } });
  await assert.rejects(p3, (e: unknown) => e instanceof RuntimeError && e.code === "cancelled");
  await new Promise((r) => setTimeout(r, 300)); // let the aborted decode wind down
  assert.equal(rt.stats.encodeRuns, encodes + 1, "the aborted encode never reached vision.onnx");
  const r4 = await rt.query({ ...req("red"), video: v4 });
  assert.deepEqual(r4.tracks.objects.map((o) => o.objectId), ["1"]);
  assert.equal(rt.stats.encodeRuns, encodes + 2);
});

test("unreadable video and a closed runtime are RuntimeErrors", async () => {
  const bogus: RuntimeVideo = { id: "gone", path: path.join(root, "missing.mp4"), meta };
  await assert.rejects(rt.query({ ...req("red"), video: bogus }), (e: unknown) => e instanceof RuntimeError && e.code === "video_unreadable" && /missing\.mp4/.test(e.message));
  const fresh = await createBuiltinRuntime({ modelDir: path.join(root, "m"), device: "cpu", log: quiet });
  await fresh.close();
  await assert.rejects(fresh.query(req("red")), (e: unknown) => e instanceof RuntimeError);
  await assert.rejects(createBuiltinRuntime({ modelDir: path.join(root, "none"), log: quiet }), (e: unknown) => e instanceof RuntimeError && e.code === "model_missing");
});

test("3×3 pooling model: subpatches decoded under the decoder's masks, sorted; maxPoints truncates", async () => {
  const dir = path.join(root, "m3");
  await generateBuiltinModel(dir, { pool: 3, patchSize: 6, maxPoints: 40 });
  const m3 = await createBuiltinRuntime({ modelDir: dir, device: "cpu", log: quiet });
  try {
    const r = await m3.query(req("the shapes"));
    const nPatches = 6 * 8 * 8;
    const targets = replay(r.rawOutput, nPatches, 9);
    assert.equal(targets.length, 40);
    assert.doesNotMatch(r.rawOutput, new RegExp(`<POINT_${nPatches}>$`), "truncated: no terminator");
    assert.ok(new Set(targets.map((t) => t.subpatch)).size > 1, "several subpatches used");
    assert.ok(trackSetSchema.safeParse(r.tracks).success);
  } finally {
    await m3.close();
  }
});
