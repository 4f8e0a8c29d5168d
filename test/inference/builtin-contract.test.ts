// The built-in model contract: validator, config/vocab checks, tokenizer, generator determinism and load errors.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync, cpSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import * as ort from "onnxruntime-node";
import { RuntimeError } from "../../inference/runtime";
import { CONTRACT, GRAPH_NAMES, MODEL_FILES, TOKEN, tokenizeQuery, validateSession } from "../../inference/builtin/contract";
import { generateBuiltinModel, generatedConfig, generatedVocab } from "../../inference/builtin/generate-model";
import { loadBuiltinModel, releaseModel } from "../../inference/builtin/model";
import { decodePoints, encodeVideo } from "../../inference/builtin/decode";
import { buildVideoGrid } from "../../lib/grounding";
import { GraphBuilder } from "../../inference/sam2/testing/onnx-builder";

const root = mkdtempSync(path.join(tmpdir(), "gt-builtin-contract-"));
after(() => rmSync(root, { recursive: true, force: true }));
const good = path.join(root, "good");
const ready = generateBuiltinModel(good);

async function copyModel(name: string): Promise<string> {
  await ready;
  const dir = path.join(root, name);
  cpSync(good, dir, { recursive: true });
  return dir;
}

async function rejectsWith(p: Promise<unknown>, code: RuntimeError["code"], re: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof RuntimeError, `expected a RuntimeError, got ${String(e)}`);
    assert.equal(e.code, code);
    assert.match(e.message, re);
    return true;
  });
}

/** A step.onnx look-alike whose inputs/outputs are wired straight through, with some names or types changed. */
function fakeStep(opts: { tokenName?: string; tokenType?: "int64" | "float32"; patchDim?: number; wideState?: boolean }): Uint8Array {
  const c = generatedConfig();
  const b = new GraphBuilder("step");
  const state = b.input("state", ["state_len", c.dims.stateDim]);
  const tok = b.input(opts.tokenName ?? "token_id", [1], opts.tokenType ?? "int64");
  const emb = b.input("token_embedding", [1, c.dims.dModel]);
  const D = opts.patchDim ?? c.dims.patchDim;
  // [1, state_len·stateDim]: a width only known at run time, so the validator cannot see it.
  if (opts.wideState) b.output("state_out", b.reshape(state, [1, -1]), ["state_len_out", "width"]);
  else b.output("state_out", state, ["state_len_out", c.dims.stateDim]);
  b.output("patch_query", b.slice(b.node("Concat", [emb, emb], { axis: 1 }), 1, 0, D), [1, D]);
  b.output("subpatch_query", b.slice(b.node("Concat", [emb, emb], { axis: 1 }), 1, 0, c.dims.patchDim), [1, c.dims.patchDim]);
  b.output("location_logits", b.slice(emb, 1, 0, 9), [1, 9]);
  b.output("id_logits", b.slice(emb, 1, 0, c.maxObjects), [1, c.maxObjects]);
  void tok;
  return b.toBytes();
}

test("the generated model passes the contract validator on every graph", async () => {
  await ready;
  const m = await loadBuiltinModel(good, { device: "cpu" });
  try {
    assert.equal(m.device, "cpu");
    for (const g of GRAPH_NAMES) {
      validateSession(m.sessions[g], g, m.config);
      assert.deepEqual([...m.sessions[g].inputNames].sort(), CONTRACT[g].inputs.map((t) => t.name).sort());
      assert.deepEqual([...m.sessions[g].outputNames].sort(), CONTRACT[g].outputs.map((t) => t.name).sort());
    }
  } finally {
    await releaseModel(m);
  }
});

test("validator: a renamed input, a wrong dtype and a wrong fixed dimension are named", async () => {
  const c = generatedConfig();
  const load = async (bytes: Uint8Array) => ort.InferenceSession.create(bytes);
  const renamed = await load(fakeStep({ tokenName: "token" }));
  assert.throws(() => validateSession(renamed, "step", c, "x/step.onnx"), (e: unknown) => {
    assert.ok(e instanceof RuntimeError && e.code === "model_invalid");
    assert.match(e.message, /x\/step\.onnx/);
    assert.match(e.message, /missing input 'token_id' \(int64 \[1\]\)/);
    assert.match(e.message, /unexpected input 'token'/);
    return true;
  });
  const wrongType = await load(fakeStep({ tokenType: "float32" }));
  assert.throws(() => validateSession(wrongType, "step", c), /input 'token_id' has dtype float32, the contract requires int64/);
  const wrongDim = await load(fakeStep({ patchDim: 32 }));
  assert.throws(() => validateSession(wrongDim, "step", c), /output 'patch_query' dimension 1 is 32, the contract requires 96 \(patchDim\)/);
  // A graph of the wrong role: the vision graph checked as a step graph.
  const vision = await ort.InferenceSession.create(path.join((await ready, good), MODEL_FILES.vision));
  assert.throws(() => validateSession(vision, "step", c), /missing input 'state'.*missing output 'patch_query'/);
});

test("a model whose graph has a renamed input is rejected at load with the file named", async () => {
  const dir = await copyModel("renamed");
  writeFileSync(path.join(dir, MODEL_FILES.step), fakeStep({ tokenName: "token" }));
  await rejectsWith(loadBuiltinModel(dir, { device: "cpu" }), "model_invalid", /step\.onnx does not match the built-in model contract.*missing input 'token_id'/);
});

test("corrupt and truncated graphs are clear model_invalid errors", async () => {
  const dir = await copyModel("corrupt");
  writeFileSync(path.join(dir, MODEL_FILES.vision), Buffer.from("this is not an onnx model"));
  await rejectsWith(loadBuiltinModel(dir, { device: "cpu" }), "model_invalid", /cannot load '.*vision\.onnx' \(corrupt, truncated or not an ONNX model\?\)/);
  const dir2 = await copyModel("truncated");
  const bytes = readFileSync(path.join(dir2, MODEL_FILES.query));
  writeFileSync(path.join(dir2, MODEL_FILES.query), bytes.subarray(0, bytes.length >> 1));
  await rejectsWith(loadBuiltinModel(dir2, { device: "cpu" }), "model_invalid", /query\.onnx/);
  const dir3 = await copyModel("empty");
  writeFileSync(path.join(dir3, MODEL_FILES.step), "");
  await rejectsWith(loadBuiltinModel(dir3, { device: "cpu" }), "model_invalid", /step\.onnx' is empty/);
});

test("missing directory / files and invalid JSON are reported with the path and field", async () => {
  await rejectsWith(loadBuiltinModel(path.join(root, "nope"), { device: "cpu" }), "model_missing", /directory '.*nope' does not exist.*generate-model\.ts/);
  const noCfg = await copyModel("nocfg");
  rmSync(path.join(noCfg, MODEL_FILES.config));
  await rejectsWith(loadBuiltinModel(noCfg, { device: "cpu" }), "model_missing", /config\.json' does not exist/);
  const noGraph = await copyModel("nograph");
  rmSync(path.join(noGraph, MODEL_FILES.step));
  await rejectsWith(loadBuiltinModel(noGraph, { device: "cpu" }), "model_missing", /step\.onnx' does not exist/);
  const badJson = await copyModel("badjson");
  writeFileSync(path.join(badJson, MODEL_FILES.config), "{ \"format\": ");
  await rejectsWith(loadBuiltinModel(badJson, { device: "cpu" }), "model_invalid", /config\.json' is not valid JSON/);
  const badField = await copyModel("badfield");
  const cfg = JSON.parse(readFileSync(path.join(badField, MODEL_FILES.config), "utf8")) as { dims: { patchDim: number } };
  cfg.dims.patchDim = 95;
  writeFileSync(path.join(badField, MODEL_FILES.config), JSON.stringify(cfg));
  await rejectsWith(loadBuiltinModel(badField, { device: "cpu" }), "model_invalid", /dims\.patchDim: patchDim must be even/);
  const badVocab = await copyModel("badvocab");
  const vocab = generatedVocab(generatedConfig());
  vocab.tokens[TOKEN.firstObject] = "<obj_0>";
  writeFileSync(path.join(badVocab, MODEL_FILES.vocab), JSON.stringify(vocab));
  await rejectsWith(loadBuiltinModel(badVocab, { device: "cpu" }), "model_invalid", /vocab\.json: tokens\[6\] must be '<obj_1>'/);
  // A config that disagrees with the graphs (another patchDim) is caught by the validator, not at run time.
  const mismatch = await copyModel("mismatch");
  const cfg2 = JSON.parse(readFileSync(path.join(mismatch, MODEL_FILES.config), "utf8")) as { dims: { patchDim: number } };
  cfg2.dims.patchDim = 64;
  writeFileSync(path.join(mismatch, MODEL_FILES.config), JSON.stringify(cfg2));
  await rejectsWith(loadBuiltinModel(mismatch, { device: "cpu" }), "model_invalid", /vision\.onnx does not match.*'patch_keys' dimension 1 is 96, the contract requires 64/);
});

test("a graph that loads but misbehaves at run time is a model_invalid error naming the output", async () => {
  const dir = await copyModel("widestate");
  writeFileSync(path.join(dir, MODEL_FILES.step), fakeStep({ wideState: true }));
  const m = await loadBuiltinModel(dir, { device: "cpu" }); // symbolic dims: nothing to reject statically
  try {
    const S = m.config.image.cropSize;
    const grid = buildVideoGrid(S, S, [0], { cropSize: S, patchSize: m.config.image.patchSize, pool: m.config.image.pool });
    const enc = await encodeVideo(m, new Float32Array(3 * S * S), grid);
    await rejectsWith(decodePoints(m, enc, [TOKEN.bos]), "model_invalid", /step\.onnx: output 'state_out' must be float32 \[state_len, 80\]/);
  } finally {
    await releaseModel(m);
  }
});

test("query tokenizer: <bos>, lower case, plural fallback, <unk>, truncation", () => {
  const vocab = generatedVocab(generatedConfig());
  const id = (w: string) => vocab.tokens.indexOf(w);
  assert.deepEqual(tokenizeQuery("The RED circles!", vocab, 16), [TOKEN.bos, id("the"), id("red"), id("circle")]);
  assert.deepEqual(tokenizeQuery("zebras  qux", vocab, 16), [TOKEN.bos, TOKEN.unk, TOKEN.unk]);
  assert.deepEqual(tokenizeQuery("", vocab, 16), [TOKEN.bos]);
  assert.deepEqual(tokenizeQuery("red red red red", vocab, 3), [TOKEN.bos, id("red"), id("red")]);
  assert.deepEqual(tokenizeQuery("ｒｅｄ", vocab, 4), [TOKEN.bos, id("red")]); // NFKC folds full-width letters
});

test("the generator is deterministic: the same options give the same bytes", async () => {
  await ready;
  const again = path.join(root, "again");
  await generateBuiltinModel(again);
  for (const f of Object.values(MODEL_FILES)) assert.ok(readFileSync(path.join(good, f)).equals(readFileSync(path.join(again, f))), f);
});
