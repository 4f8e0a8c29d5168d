// trainer/data/token-labels: per-token attribute labels from instance masks and points (coverage rules, the point
// rule, unknown objects, conflicts), from annotation texts, and through loadExamples on a generated dataset.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import { buildVideoGrid } from "../../../lib/grounding";
import { encodeRle } from "../../../lib/masks/rle";
import { DataError, listSynthExamples, loadExamples, withSynthObjects, type ExampleRef } from "../../../trainer/data/examples";
import { TOKEN_ATTRIBUTES, TOKEN_ATTRIBUTE_CLASSES, instancesFromAnnotations, tokenLabels, type ObjectAttributes } from "../../../trainer/data/token-labels";
import { buildVocab, parseTinyConfig, tinyGeometry } from "../../../trainer/model/config";
import { generateDataset } from "../../../trainer/synth/dataset";

const W = 32;
// 32×32 px → 16-px crop, 4-px patches pooled 2×2: 2×2 tokens per frame, each covering 16×16 native pixels.
const grid = buildVideoGrid(W, W, [0, 0.5], { cropSize: 16, patchSize: 4, pool: 2 });

/** A mask with the pixels (x, y) for which `inside` holds. */
function mask(inside: (x: number, y: number) => boolean) {
  const m = new Uint8Array(W * W);
  for (let y = 0; y < W; y++) for (let x = 0; x < W; x++) m[y * W + x] = inside(x, y) ? 1 : 0;
  return encodeRle(m, W, W);
}

const attrs = (id: number, category: string, colour: string, sizeClass: string): ObjectAttributes => ({ id, category, colour, sizeClass });
const cls = (o: ObjectAttributes) => TOKEN_ATTRIBUTES.map((a) => a.values.indexOf(a.name === "category" ? o.category : a.name === "colour" ? o.colour : o.sizeClass) + 1);
const at = (labels: Int8Array[], i: number) => labels.map((l) => l[i]);

test("coverage rules: an object filling a token, a small object split over two, background, ambiguous, unknown", () => {
  const big = attrs(1, "square", "red", "large");
  const small = attrs(2, "star", "blue", "small");
  const thin = attrs(3, "ring", "green", "medium");
  const masks = new Map([
    // frame 0: token 0 (x, y < 16) filled; frame 1: absent
    [1, [mask((x, y) => x < 16 && y < 16), null]],
    // 6×4 px across tokens 2 | 3 (x 13…18, y 20…23): half in each, each ≥ 40 % of the object
    [2, [mask((x, y) => x >= 13 && x < 19 && y >= 20 && y < 24), null]],
    // frame 1: a 10-px-wide band over the left tokens: 160 of 256 px in tokens 0 and 2 (≥ 25 %)
    [3, [null, mask((x) => x < 10)]],
    // frame 1: object 9 (not in the manifest) fills token 1 → its attributes are unknown
    [9, [null, mask((x, y) => x >= 16 && y < 16)]],
  ]);
  const labels = tokenLabels(grid, 4, { masks, points: new Map() }, [big, small, thin]);
  assert.equal(labels.length, 3);
  for (const l of labels) assert.equal(l.length, 8);
  assert.deepEqual(at(labels, 0), cls(big));
  assert.deepEqual(at(labels, 1), [0, 0, 0], "an empty token is background");
  assert.deepEqual(at(labels, 2), cls(small));
  assert.deepEqual(at(labels, 3), cls(small));
  assert.deepEqual(at(labels, 4 + 0), cls(thin));
  assert.deepEqual(at(labels, 4 + 1), [-1, -1, -1], "an unknown object's token has no label");
  assert.deepEqual(at(labels, 4 + 2), cls(thin));
  assert.deepEqual(at(labels, 4 + 3), [0, 0, 0]);

  // A 20 % cover that is neither a quarter of the token nor 40 % of the object: no label, not background.
  const spread = new Map([[1, [mask((x, y) => (x < 8 || x >= 24) && (y < 7 || y >= 25)), null]]]);
  const s = tokenLabels(grid, 4, { masks: spread, points: new Map() }, [big]);
  for (let t = 0; t < 4; t++) assert.deepEqual(at(s, t), [-1, -1, -1], `token ${t}`);
});

test("point rule: the token holding an object's point is labelled whatever the coverage; disagreeing attributes are dropped", () => {
  const a = attrs(1, "ring", "red", "medium");
  const b = attrs(2, "ring", "blue", "medium");
  // An L of 60 px: row y = 3 (16 px in token 0, 16 in token 1), column x = 30 below it (12 more in token 1, 16 in 3).
  const thinA = mask((x, y) => y === 3 || (x === 30 && y > 3));
  const points = new Map<number, Array<readonly [number, number] | null>>([
    [1, [[30.5, 20.5], [5, 5]]],
    [2, [null, [6, 7]]],
  ]);
  const labels = tokenLabels(grid, 4, { masks: new Map([[1, [thinA, null]]]), points }, [a, b]);
  assert.deepEqual(at(labels, 1), cls(a), "frame 0: 47 % of the object");
  assert.deepEqual(at(labels, 3), cls(a), "frame 0: 27 % of the object, 6 % of the token, but the point's token");
  assert.deepEqual(at(labels, 0), [-1, -1, -1], "frame 0: the same cover without the point: no label");
  assert.deepEqual(at(labels, 2), [0, 0, 0]);
  // frame 1: both points in token 0 → same category and size, colours disagree
  assert.deepEqual(at(labels, 4), [cls(a)[0], -1, cls(a)[2]]);
});

test("instancesFromAnnotations: masks per object on the sampled frames, visible points only, first annotation wins", () => {
  const m0 = mask((x) => x < 4);
  const m1 = mask((x) => x >= 28);
  const a = JSON.stringify({
    masks: [{ object_id: 1, masks: [m0, m1, m0] }],
    frame_trajectories: [
      { frame: 0, points: [{ id: 1, point: [1, 2], occluded: false }] },
      { frame: 2, points: [{ id: 1, point: [3, 4], occluded: true }] },
    ],
  });
  const b = JSON.stringify({ masks: [{ object_id: 1, masks: [m1, m1, m1] }, { object_id: 2, masks: [m1, m0, m1] }], frame_trajectories: [{ frame: 2, points: [{ id: 2, point: [30, 9], occluded: false }] }] });
  const inst = instancesFromAnnotations([a, b], [0, 2]);
  assert.deepEqual(inst.masks.get(1), [m0, m0]);
  assert.deepEqual(inst.masks.get(2), [m1, m1]);
  assert.deepEqual(inst.points.get(1), [[1, 2], null]);
  assert.deepEqual(inst.points.get(2), [null, [30, 9]]);
  assert.throws(() => instancesFromAnnotations([a], [0, 5]), /no entry for frame 5/);
  assert.throws(() => instancesFromAnnotations([JSON.stringify({ masks: [{ object_id: "x", masks: [] }] })], [0]), /integer object_id/);
});

const tmp = mkdtempSync(path.join(os.tmpdir(), "gt-labels-"));
after(() => rmSync(tmp, { recursive: true, force: true }));

test("loadExamples with semAux: one label set per video, never background at a target point; none with semAux 0", async () => {
  const ds = path.join(tmp, "ds");
  await generateDataset(ds, { videos: 3, seed: 41, frames: 10, width: 32, height: 32, fps: 10, samplingFps: 2, testVideos: 1, valVideos: 1 });
  const plainConfig = parseTinyConfig({ cropSize: 16, patchSize: 4, pool: 2, dModel: 16, dVit: 8, heads: 2, patchDim: 8 });
  const config = parseTinyConfig({ ...plainConfig, semAux: 1 });
  const vocab = buildVocab(config);
  const refs = await listSynthExamples(ds);
  assert.ok(refs.every((r) => r.objects && r.objects.length > 0));
  const exs = await loadExamples(refs, config, { vocab });
  const T = tinyGeometry(config).tokensPerFrame;
  let pointed = 0;
  for (const ex of exs) {
    const labels = ex.tokenLabels;
    assert.ok(labels, `${ex.id} has labels`);
    assert.equal(labels.length, TOKEN_ATTRIBUTES.length);
    labels.forEach((l, g) => {
      assert.equal(l.length, ex.nFrames * T);
      for (const v of l) assert.ok(v >= -1 && v < TOKEN_ATTRIBUTE_CLASSES[g]);
    });
    for (const t of ex.targets) {
      assert.notEqual(labels[0][t.patch], 0, `${ex.id}: the token of a target point is not background`);
      pointed++;
    }
    const sibling = exs.find((e) => e !== ex && e.ref.video === ex.ref.video);
    if (sibling) assert.equal(sibling.tokenLabels, labels, "a video's examples share one label set");
  }
  assert.ok(pointed > 0);
  const plain = await loadExamples(refs.slice(0, 1), plainConfig, { vocab });
  assert.equal(plain[0].tokenLabels, undefined);
});

test("withSynthObjects: a snapshot's refs get the attributes of their synthetic videos; others are unchanged", async () => {
  const ds = path.join(tmp, "ds2");
  await generateDataset(ds, { videos: 2, seed: 42, frames: 4, width: 16, height: 16, fps: 2, samplingFps: 2, testVideos: 1, valVideos: 0 });
  const listed = await listSynthExamples(ds);
  const bare = listed.map(({ objects: _objects, ...r }) => r);
  const other = { id: "task-1", split: "train" as const, video: path.join(tmp, "elsewhere.mp4"), annotation: path.join(tmp, "a.json") };
  const got = await withSynthObjects([...bare, other], ds);
  assert.deepEqual(got.slice(0, -1).map((r: ExampleRef) => r.objects), listed.map((r) => r.objects));
  assert.equal(got.at(-1), other);
  await assert.rejects(withSynthObjects(bare, path.join(tmp, "nope")), (e: unknown) => e instanceof DataError && e.code === "bad_manifest");
});
