// Unit tests of the SAM2 loop's pieces that have an official definition: Pillow's resize (fixture from Pillow),
// normalisation, the memory-bank selection of sam2_base.py, multimask selection, bf16 storage, mask upsampling,
// prompt validation and the propagation order.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { fillHoles, preprocessFrame, resizeBicubicPil, upsampleMaskLogits } from "../../inference/sam2/image";
import { selectMemories } from "../../inference/sam2/memory-bank";
import { groupPrompts, planPropagation, PromptError } from "../../inference/sam2/prompts";
import { roundToBf16 } from "../../inference/sam2/bf16";
import { chooseMask } from "../../inference/sam2/sam2-engine";

const here = path.dirname(fileURLToPath(import.meta.url));

test("Pillow bicubic resize: byte-exact against Pillow's Image.resize", () => {
  const fx = JSON.parse(readFileSync(path.join(here, "..", "fixtures", "sam2", "pil-resize.json"), "utf8")) as {
    cases: Array<{ width: number; height: number; outWidth: number; outHeight: number; input: string; expected: string }>;
  };
  assert.ok(fx.cases.length >= 5);
  for (const c of fx.cases) {
    const out = resizeBicubicPil({ width: c.width, height: c.height, data: new Uint8Array(Buffer.from(c.input, "base64")) }, c.outWidth, c.outHeight);
    const want = new Uint8Array(Buffer.from(c.expected, "base64"));
    assert.equal(out.data.length, want.length);
    let diff = 0;
    for (let i = 0; i < want.length; i++) if (out.data[i] !== want[i]) diff++;
    assert.equal(diff, 0, `${c.width}x${c.height} -> ${c.outWidth}x${c.outHeight}: ${diff} bytes differ`);
  }
});

test("preprocessing: stretch to S×S, ÷255, ImageNet mean/std, NCHW float32", () => {
  const img = { width: 2, height: 2, data: Uint8Array.from([255, 0, 0, 0, 255, 0, 0, 0, 255, 128, 128, 128]) };
  const t = preprocessFrame(img, 2);
  const f = Math.fround;
  const norm = (v: number, m: number, s: number) => f(f(f(v / 255) - f(m)) / f(s));
  assert.equal(t.length, 12);
  assert.equal(t[0], norm(255, 0.485, 0.229)); // R plane, pixel (0,0)
  assert.equal(t[4 + 1], norm(255, 0.456, 0.224)); // G plane, pixel (1,0)
  assert.equal(t[8 + 2], norm(255, 0.406, 0.225)); // B plane, pixel (0,1)
  assert.equal(t[3], norm(128, 0.485, 0.229));
  assert.equal(preprocessFrame({ width: 7, height: 5, data: new Uint8Array(105) }, 16).length, 3 * 16 * 16);
});

test("memory bank: conditioning frames at row 6, previous frame t_pos 6 (row 0), oldest t_pos 1 (row 5)", () => {
  const nonCond = new Set([1, 2, 3, 4, 5, 6, 7, 8, 9]);
  const s = selectMemories(10, false, [0], (f) => nonCond.has(f), 100);
  assert.deepEqual(s.spatial, [
    { frame: 0, tPos: 0, tposRow: 6 },
    { frame: 4, tPos: 1, tposRow: 5 },
    { frame: 5, tPos: 2, tposRow: 4 },
    { frame: 6, tPos: 3, tposRow: 3 },
    { frame: 7, tPos: 4, tposRow: 2 },
    { frame: 8, tPos: 5, tposRow: 1 },
    { frame: 9, tPos: 6, tposRow: 0 },
  ]);
  // Pointers: the past conditioning frame (offset 10), then non-conditioning frames at distance 1..9 (the
  // conditioning frame 0 is not repeated).
  assert.deepEqual(s.pointers[0], { frame: 0, offset: 10 });
  assert.deepEqual(s.pointers.slice(1).map((p) => [p.frame, p.offset]), [[9, 1], [8, 2], [7, 3], [6, 4], [5, 5], [4, 6], [3, 7], [2, 8], [1, 9]]);
  assert.equal(s.tDiffMax, 15);
});

test("memory bank: reverse tracking, missing frames skipped, future conditioning frames give memory but no pointer", () => {
  const nonCond = new Set([21, 23, 24]);
  const s = selectMemories(20, true, [5, 30], (f) => nonCond.has(f), 40);
  assert.deepEqual(s.spatial.map((p) => [p.frame, p.tposRow]), [[5, 6], [30, 6], [24, 3], [23, 2], [21, 0]]);
  // only_obj_ptrs_in_the_past_for_eval: in reverse "past" is t >= frame; signed offset (20 - 30) * -1 = 10.
  assert.deepEqual(s.pointers, [{ frame: 30, offset: 10 }, { frame: 21, offset: 1 }, { frame: 23, offset: 3 }, { frame: 24, offset: 4 }]);
  // Short clips: max_obj_ptrs = min(num_frames, 16), so the divisor is num_frames - 1 and pointers stop at the end.
  const short = selectMemories(3, false, [0], () => true, 5);
  assert.equal(short.tDiffMax, 4);
  assert.deepEqual(short.pointers.map((p) => p.frame), [0, 2, 1]);
});

test("multimask selection: best IoU for ≤1 click, stability rule for more clicks, single mask as is", () => {
  const plane = 4;
  const logits = new Float32Array(4 * plane);
  logits.set([5, 5, -5, -5], 0); // token 0: stable
  const iou = Float32Array.of(0.5, 0.2, 0.9, 0.4);
  assert.equal(chooseMask(logits, 4, plane, iou, true), 2);
  assert.equal(chooseMask(logits, 4, plane, iou, false), 0);
  logits.set([5, 0.01, 0.02, -5], 0); // token 0 unstable: |logit| < 0.05 on two pixels
  assert.equal(chooseMask(logits, 4, plane, iou, false), 2);
  assert.equal(chooseMask(logits, 3, plane, Float32Array.of(0.1, 0.7, 0.3), false), 1);
  assert.equal(chooseMask(logits, 1, plane, undefined, true), 0);
});

test("bf16 storage rounds to nearest even like torch", () => {
  const a = Float32Array.of(1, 1 + 2 ** -8, 1 + 3 * 2 ** -9, -2.5, 1 + 2 ** -7);
  roundToBf16(a);
  assert.deepEqual(Array.from(a), [1, 1, 1 + 2 ** -7, -2.5, 1 + 2 ** -7]);
});

test("mask upsampling: bilinear with align_corners=False then > 0", () => {
  // 2×2 → 4×4: source x = (dst + 0.5)/2 - 0.5 → -0.25 (clamped 0), 0.25, 0.75, 1.25 (clamped index 1).
  const m = upsampleMaskLogits(Float32Array.of(1, -3, 1, -3), 2, 2, 4, 4);
  // Row values: x=0 → 1, x=1 → 1·0.75 − 3·0.25 = 0, x=2 → 1·0.25 − 3·0.75 < 0, x=3 → −3.
  assert.deepEqual(Array.from(m), [1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0]);
  const solid = upsampleMaskLogits(new Float32Array(16).fill(2), 4, 4, 30, 50);
  assert.equal(solid.reduce((a, b) => a + b, 0), 1500);
});

test("prompts: validated with the offending field named; points merged per object and frame", () => {
  const g = groupPrompts([{ frame: 2, objectId: "1", points: [[1, 2, 1]] }, { frame: 2, objectId: "1", points: [[3, 4, 0]] }, { frame: 5, objectId: "2", points: [[5, 5, 1]] }], 10, 10, 8);
  assert.equal(g.length, 2);
  assert.deepEqual(g[0].frames.get(2), [[1, 2, 1], [3, 4, 0]]);
  assert.throws(() => groupPrompts([{ frame: 9, objectId: "1", points: [[1, 1, 1]] }], 10, 10, 8), (e: Error) => e instanceof PromptError && /prompts\[0\]\.frame/.test(e.message));
  assert.throws(() => groupPrompts([{ frame: 0, objectId: "1", points: [[11, 1, 1]] }], 10, 10, 8), /prompts\[0\]\.points\[0\].*outside the 10×10/);
  assert.throws(() => groupPrompts([{ frame: 0, objectId: "1", points: [] }], 10, 10, 8), /prompts\[0\]\.points: needs at least one point/);
  assert.throws(() => groupPrompts([], 10, 10, 8), PromptError);
});

test("propagation plan: SAM2 start at the earliest prompted frame; both = forward then reverse", () => {
  assert.deepEqual(planPropagation({ direction: "both" }, [3, 6], 6), { start: 3, passes: [{ reverse: false, frames: [3, 4, 5] }, { reverse: true, frames: [2, 1, 0] }] });
  assert.deepEqual(planPropagation({ direction: "backward", startFrame: 4, endFrame: 2 }, [1], 6).passes, [{ reverse: true, frames: [4, 3, 2] }]);
  assert.deepEqual(planPropagation({ direction: "forward", endFrame: 2 }, [0], 6).passes, [{ reverse: false, frames: [0, 1, 2] }]);
  assert.throws(() => planPropagation({ direction: "forward", startFrame: 9 }, [0], 6), /startFrame: 9 is not a frame/);
  assert.throws(() => planPropagation({ direction: "forward", endFrame: 1 }, [3], 6), /before the start frame/);
});

test("hole filling: background components (8-connected) of ≤ 8 px become 0.1, larger ones and the outside stay", () => {
  const w = 12;
  const h = 8;
  const m = new Float32Array(w * h).fill(5);
  const bg = (x: number, y: number) => (m[y * w + x] = -2);
  for (let x = 0; x < w; x++) bg(x, 0); // border strip: 12 px, stays
  bg(2, 3); bg(3, 4); // two pixels touching diagonally: one 8-connected hole of 2 → filled
  for (let y = 3; y < 6; y++) for (let x = 6; x < 9; x++) bg(x, y); // 3×3 = 9 px → stays
  bg(10, 6); // single pixel → filled
  fillHoles(m, h, w, 8);
  assert.equal(m[3 * w + 2], Math.fround(0.1));
  assert.equal(m[4 * w + 3], Math.fround(0.1));
  assert.equal(m[6 * w + 10], Math.fround(0.1));
  assert.equal(m[4 * w + 7], -2);
  assert.equal(m[0 * w + 5], -2);
  assert.equal(m[1 * w + 1], 5);
  // The exact limit: a component of exactly max_area is filled (areas <= max_area).
  const e = new Float32Array(25).fill(1);
  for (const i of [6, 7, 8, 11]) e[i] = -1;
  fillHoles(e, 5, 5, 4);
  assert.deepEqual([e[6], e[7], e[8], e[11]], [0.1, 0.1, 0.1, 0.1].map(Math.fround));
});
