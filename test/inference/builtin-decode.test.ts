// Decoding pieces of the built-in runtime without video I/O: rotary placement (keys rotated once by their position,
// the query by the previous selection's), preprocessing and frame sampling.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import * as ort from "onnxruntime-node";
import { buildVideoGrid } from "../../lib/grounding";
import { COLOURS } from "../../lib/video";
import { TOKEN, tokenizeQuery } from "../../inference/builtin/contract";
import { decodePoints, encodeVideo, patchLogits, type EncodedVideo } from "../../inference/builtin/decode";
import { preprocessFrame, sampleFrames } from "../../inference/builtin/frames";
import { generateBuiltinModel, generatedConfig } from "../../inference/builtin/generate-model";
import { loadBuiltinModel, releaseModel, type BuiltinModel } from "../../inference/builtin/model";

const root = mkdtempSync(path.join(tmpdir(), "gt-builtin-decode-"));
let model: BuiltinModel;
const S = 144;
const T = 2;
const PER_FRAME = 16 * 16;

/** Preprocessed frames: dark background, plus a red 9×9 block on the ViT patches listed as [frame, row, col]. */
function frames(red: [number, number, number][]): Float32Array {
  const c = generatedConfig();
  const rgb = new Uint8Array(S * S * 3).fill(32);
  const out = new Float32Array(T * 3 * S * S);
  for (let f = 0; f < T; f++) {
    const img = Uint8Array.from(rgb);
    for (const [rf, r, col] of red) {
      if (rf !== f) continue;
      for (let y = r * 9; y < r * 9 + 9; y++) for (let x = col * 9; x < col * 9 + 9; x++) img.set(COLOURS.red, (y * S + x) * 3);
    }
    preprocessFrame({ width: S, height: S, data: img }, c, out, f * 3 * S * S);
  }
  return out;
}

async function patchQuery(text: string): Promise<Float32Array> {
  const ids = tokenizeQuery(text, model.vocab, model.config.maxQueryTokens);
  const q = await model.sessions.query.run({
    query_ids: new ort.Tensor("int64", BigInt64Array.from(ids.map(BigInt)), [ids.length]),
    image_tokens: new ort.Tensor("float32", new Float32Array(model.config.dims.dModel), [1, model.config.dims.dModel]),
  });
  const s = await model.sessions.step.run({ state: q.state, token_id: new ort.Tensor("int64", BigInt64Array.of(BigInt(TOKEN.bos)), [1]), token_embedding: new ort.Tensor("float32", new Float32Array(model.config.dims.dModel), [1, model.config.dims.dModel]) });
  return s.patch_query.data as Float32Array;
}

const grid = buildVideoGrid(S, S, [0, 0.5], { cropSize: S, patchSize: 9, pool: 1 });
let blank: EncodedVideo;

before(async () => {
  await generateBuiltinModel(path.join(root, "m"));
  model = await loadBuiltinModel(path.join(root, "m"), { device: "cpu" });
  blank = await encodeVideo(model, frames([]), grid);
});
after(async () => {
  await releaseModel(model);
  rmSync(root, { recursive: true, force: true });
});

test("patch logits depend on the key position relative to the previous selection (rotary on both sides)", async () => {
  const q = await patchQuery("the red circle");
  const all = new Uint8Array(blank.nTokens + 1).fill(1);
  const theta = model.config.rotary.theta;
  const at = (m: number) => Float32Array.from(patchLogits(blank, q, m, all, theta));
  const a = at(10);
  const b = at(110);
  // On a blank video every key is the same vector rotated by its own position: only n − m matters.
  for (const d of [0, 1, 5, 40, 200]) assert.ok(Math.abs(a[10 + d] - b[110 + d]) < 1e-3, `Δ=${d}: ${a[10 + d]} vs ${b[110 + d]}`);
  // ... and the generated weights prefer the nearest following token (−a·sin(Δf)).
  assert.ok(a[11] > a[60] && a[60] > a[300]);
  // Unrotated query (position 0) would give another ranking: the check above is not vacuous.
  const z = at(0);
  assert.ok(Math.abs(z[110 + 40] - b[110 + 40]) > 1e-2);
  // The no-more-points key is not rotated with the patches: it beats every background token.
  assert.ok(a[blank.nTokens] > Math.max(...a.subarray(0, blank.nTokens)));
});

test("masked classes are −∞ and the red patch after the previous selection wins", async () => {
  const enc = await encodeVideo(model, frames([[0, 2, 3], [0, 9, 9], [1, 4, 4]]), grid);
  const q = await patchQuery("red");
  const mask = new Uint8Array(enc.nTokens + 1).fill(1);
  mask.fill(0, 0, 2 * 16 + 3 + 1); // previous point was token (0, 2, 3)
  const l = patchLogits(enc, q, 2 * 16 + 3, mask, model.config.rotary.theta);
  assert.equal(l[5], -Infinity);
  let best = 0;
  for (let i = 1; i < l.length; i++) if (l[i] > l[best]) best = i;
  assert.equal(best, 9 * 16 + 9);
  // Whole decode: the three red patches in order, then no-more-points.
  const r = await decodePoints(model, enc, tokenizeQuery("red", model.vocab, 16));
  assert.deepEqual(r.points.map((p) => p.target.patch), [2 * 16 + 3, 9 * 16 + 9, PER_FRAME + 4 * 16 + 4]);
  assert.deepEqual(r.points.map((p) => p.objectId), [1, 1, 1]);
  assert.equal(r.truncated, false);
  // A colour that is not there: the first point is forced (MolmoPoint cannot answer with zero points), then it stops.
  const g = await decodePoints(model, enc, tokenizeQuery("green", model.vocab, 16));
  assert.equal(g.points.length, 1);
});

test("preprocessing: cropSize² bilinear resize, (v/255 − mean)/std, CHW", () => {
  const c = generatedConfig();
  const out = new Float32Array(3 * S * S);
  const img = new Uint8Array(2 * 1 * 3);
  img.set([0, 255, 51], 0);
  img.set([255, 0, 51], 3);
  preprocessFrame({ width: 2, height: 1, data: img }, c, out, 0);
  const px = (ch: number, y: number, x: number) => out[ch * S * S + y * S + x];
  assert.equal(px(0, 0, 0), -1); // left edge clamps to the left pixel
  assert.equal(px(0, 77, S - 1), 1);
  assert.ok(Math.abs(px(2, 5, 70) - (51 / 255 - 0.5) / 0.5) < 1e-6);
  // Half-pixel centres: the middle column pair is symmetric around 127.5.
  assert.ok(Math.abs(px(0, 0, S / 2 - 1) + px(0, 0, S / 2)) < 1e-6);
  assert.ok(px(0, 0, 40) < px(0, 0, 41));
});

test("frame sampling: tracking fps when the native fps allows it, else uniform_last_frame; nearest native frames", () => {
  const c = generatedConfig();
  const at = (n: number, fps: number) => Array.from({ length: n }, (_, i) => 100 + i / fps); // container clock not at 0
  const a = sampleFrames({ timestamps: at(30, 10), fps: 10, durationSec: 3 }, c);
  assert.deepEqual(a.frames, [0, 5, 10, 15, 20, 25]);
  assert.deepEqual(a.times.map((t) => Math.round(t * 10) / 10), [0, 0.5, 1, 1.5, 2, 2.5]);
  const b = sampleFrames({ timestamps: at(300, 29.97), fps: 29.97, durationSec: 300 / 29.97 }, c);
  assert.equal(b.frames.length, c.video.maxFrames);
  assert.equal(b.frames[0], 0);
  assert.equal(b.frames.at(-1), 299);
  const one = sampleFrames({ timestamps: [5], fps: 25, durationSec: 0.04 }, c);
  assert.deepEqual(one.frames, [0]);
});
