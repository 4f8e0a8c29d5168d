// Bad input to the exporter: each case fails with an ExportError naming the file (and tensor), and leaves nothing
// behind — no outDir, no temporary directory next to it, an existing model directory untouched.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { decodeSafetensors, encodeSafetensors } from "../../../trainer/ml/safetensors";
import { ExportError, WEIGHTS_FILES, exportBuiltinModel } from "../../../trainer/model/export-onnx";
import { GRAPH_NAMES, MODEL_FILES } from "../../../inference/builtin/contract";
import { parseTinyConfig } from "../../../trainer/model/config";
import { TEST_TINY, writeWeightsDir } from "./helpers";

const root = mkdtempSync(path.join(tmpdir(), "gt-export-errors-"));
const good = path.join(root, "good");
let n = 0;

before(async () => {
  await writeWeightsDir(good);
});
after(() => rmSync(root, { recursive: true, force: true }));

/** A copy of the good weights dir changed by `edit`. */
function variant(edit: (dir: string) => void): string {
  const dir = path.join(root, `w${n++}`);
  cpSync(good, dir, { recursive: true });
  edit(dir);
  return dir;
}

function editTensors(dir: string, edit: (t: ReturnType<typeof decodeSafetensors>["tensors"]) => void): void {
  const file = path.join(dir, WEIGHTS_FILES.weights);
  const { tensors } = decodeSafetensors(readFileSync(file), file);
  edit(tensors);
  writeFileSync(file, encodeSafetensors(tensors));
}

/** Runs the export into a fresh outDir under its own parent; asserts the error and that nothing was left. */
async function rejects(weights: string, match: RegExp, file: string, tensor?: string): Promise<void> {
  const parent = path.join(root, `out${n++}`);
  mkdirSync(parent);
  const out = path.join(parent, "model");
  await assert.rejects(exportBuiltinModel(weights, out), (e: unknown) => {
    assert.ok(e instanceof ExportError, `not an ExportError: ${String(e)}`);
    assert.match(e.message, match);
    assert.equal(e.file, path.join(weights, file));
    assert.ok(e.message.includes(path.join(weights, file)), `message names the file: ${e.message}`);
    assert.equal(e.tensor, tensor);
    return true;
  });
  assert.deepEqual(readdirSync(parent), [], "nothing written next to outDir");
}

test("missing safetensors (a training checkpoint is not taken instead); missing weights dir", async () => {
  await rejects(variant((d) => rmSync(path.join(d, WEIGHTS_FILES.weights))), /model\.safetensors does not exist$/, WEIGHTS_FILES.weights);
  const ckpt = variant((d) => renameSync(path.join(d, WEIGHTS_FILES.weights), path.join(d, "checkpoint.safetensors")));
  await rejects(ckpt, /model\.safetensors does not exist \(the directory has checkpoint\.safetensors: a training checkpoint is not exported/, WEIGHTS_FILES.weights);
  const missing = path.join(root, "nowhere");
  await assert.rejects(exportBuiltinModel(missing, path.join(root, "never")), (e: unknown) => e instanceof ExportError && e.file === missing && /weights directory .*nowhere does not exist/.test(e.message));
  assert.ok(!existsSync(path.join(root, "never")));
});

test("corrupt safetensors: truncated data, garbage header", async () => {
  const trunc = variant((d) => {
    const f = path.join(d, WEIGHTS_FILES.weights);
    const b = readFileSync(f);
    writeFileSync(f, b.subarray(0, b.length - 100));
  });
  await rejects(trunc, /data_offsets .* do not match .* or the file size.*corrupt or truncated/, WEIGHTS_FILES.weights, undefined);
  const garbage = variant((d) => writeFileSync(path.join(d, WEIGHTS_FILES.weights), Buffer.from("\x10\0\0\0\0\0\0\0not json at all!")));
  await rejects(garbage, /header is not JSON/, WEIGHTS_FILES.weights);
});

test("a tensor whose shape does not match the config, a missing and an unexpected tensor", async () => {
  // vocab.json one word longer than the checkpoint's embedding table.
  const vocab = variant((d) => {
    const f = path.join(d, WEIGHTS_FILES.vocab);
    const v = JSON.parse(readFileSync(f, "utf8")) as { tokens: string[] };
    v.tokens.push("zebra");
    writeFileSync(f, JSON.stringify(v));
  });
  await rejects(vocab, /tensor 'dec\.emb' has shape \[\d+, 32\], the config .* requires \[\d+, 32\]/, WEIGHTS_FILES.weights, "dec.emb");
  // config.json with a wider MLP than the weights were trained with.
  const cfg = variant((d) => writeFileSync(path.join(d, WEIGHTS_FILES.config), JSON.stringify({ ...TEST_TINY, mlpRatio: 4 })));
  await rejects(cfg, /tensor 'vis\.L0\.mlp\.W1' has shape \[32, 64\], .* requires \[32, 128\]/, WEIGHTS_FILES.weights, "vis.L0.mlp.W1");
  await rejects(variant((d) => editTensors(d, (t) => t.delete("head.loc.b"))), /tensor 'head\.loc\.b' \[9\] is missing/, WEIGHTS_FILES.weights, "head.loc.b");
  await rejects(variant((d) => editTensors(d, (t) => t.set("dec.L2.ln1.g", { shape: [32], data: new Float32Array(32) }))), /unexpected tensor 'dec\.L2\.ln1\.g'/, WEIGHTS_FILES.weights, "dec.L2.ln1.g");
});

test("a NaN or infinite tensor value", async () => {
  const nan = variant((d) => editTensors(d, (t) => ((t.get("dec.L1.attn.Wv") as { data: Float32Array }).data[37] = NaN)));
  await rejects(nan, /tensor 'dec\.L1\.attn\.Wv' holds NaN at flat index 37/, WEIGHTS_FILES.weights, "dec.L1.attn.Wv");
  const inf = variant((d) => editTensors(d, (t) => ((t.get("nomore") as { data: Float32Array }).data[0] = -Infinity)));
  await rejects(inf, /tensor 'nomore' holds -Infinity at flat index 0/, WEIGHTS_FILES.weights, "nomore");
});

test("bad config.json and vocab.json name the file and field", async () => {
  await rejects(variant((d) => writeFileSync(path.join(d, WEIGHTS_FILES.config), "{ nope")), /config\.json is not valid JSON/, WEIGHTS_FILES.config);
  await rejects(variant((d) => writeFileSync(path.join(d, WEIGHTS_FILES.config), JSON.stringify({ ...TEST_TINY, pool: 3 }))), /config\.json: pool: cropSize\/patchSize must be a multiple of pool/, WEIGHTS_FILES.config);
  await rejects(variant((d) => rmSync(path.join(d, WEIGHTS_FILES.vocab))), /vocab\.json does not exist/, WEIGHTS_FILES.vocab);
  const swapped = variant((d) => {
    const f = path.join(d, WEIGHTS_FILES.vocab);
    const v = JSON.parse(readFileSync(f, "utf8")) as { tokens: string[] };
    [v.tokens[6], v.tokens[7]] = [v.tokens[7], v.tokens[6]];
    writeFileSync(f, JSON.stringify(v));
  });
  await rejects(swapped, /tokens\[6\] must be '<obj_1>'/, WEIGHTS_FILES.vocab);
});

test("an existing non-model outDir is refused untouched; a previous model dir is replaced whole", async () => {
  const parent = path.join(root, "existing");
  const busy = path.join(parent, "busy");
  mkdirSync(busy, { recursive: true });
  writeFileSync(path.join(busy, "notes.txt"), "keep me");
  await assert.rejects(exportBuiltinModel(good, busy), (e: unknown) => e instanceof ExportError && /not empty and not a model directory .*notes\.txt/.test(e.message));
  assert.equal(readFileSync(path.join(busy, "notes.txt"), "utf8"), "keep me");
  assert.deepEqual(readdirSync(parent), ["busy"]);
  const file = path.join(busy, "notes.txt");
  await assert.rejects(exportBuiltinModel(good, file), (e: unknown) => e instanceof ExportError && e.file === file && /exists and is not a directory/.test(e.message));
  assert.deepEqual(readdirSync(busy), ["notes.txt"]);

  const model = path.join(parent, "model");
  const first = await exportBuiltinModel(good, model, { version: "tiny-a" });
  assert.equal(first.config.version, "tiny-a");
  assert.deepEqual(readdirSync(model).sort(), ["config.json", "query.onnx", "step.onnx", "vision.onnx", "vocab.json"]);
  // A failing re-export leaves the installed model as it was.
  const before = readFileSync(path.join(model, "step.onnx"));
  await assert.rejects(exportBuiltinModel(variant((d) => rmSync(path.join(d, WEIGHTS_FILES.weights))), model, { version: "tiny-b" }), ExportError);
  assert.ok(readFileSync(path.join(model, "step.onnx")).equals(before));
  assert.equal(JSON.parse(readFileSync(path.join(model, "config.json"), "utf8")).version, "tiny-a");
  // A good one replaces it (other weights → other step.onnx bytes), with no temporary directory left.
  const other = path.join(root, "other");
  await writeWeightsDir(other, TEST_TINY, 99);
  const second = await exportBuiltinModel(other, model, { version: "tiny-b" });
  assert.equal(second.config.version, "tiny-b");
  assert.ok(!readFileSync(path.join(model, "step.onnx")).equals(before));
  assert.deepEqual(readdirSync(parent).sort(), ["busy", "model"]);
  assert.ok(existsSync(path.join(model, "vision.onnx")));
  // An invalid version is refused before anything is written.
  await assert.rejects(exportBuiltinModel(good, path.join(parent, "v"), { version: "bad version!" }), (e: unknown) => e instanceof ExportError && /version 'bad version!'/.test(e.message));
  assert.deepEqual(readdirSync(parent).sort(), ["busy", "model"]);
});

test("training-only heads (bindAux, semAux) are left out: the same graphs and parameter count as weights without them", async () => {
  const withAux = parseTinyConfig({ ...TEST_TINY, bindAux: 0.5, semAux: 1 });
  const { params, vocab } = await writeWeightsDir(path.join(root, "aux-w"), withAux);
  assert.ok([...params.keys()].some((k) => k.startsWith("aux.sem")) && [...params.keys()].some((k) => k.startsWith("aux.bind")));
  const plain = path.join(root, "plain-w");
  mkdirSync(plain, { recursive: true });
  writeFileSync(path.join(plain, WEIGHTS_FILES.config), JSON.stringify(TEST_TINY));
  writeFileSync(path.join(plain, WEIGHTS_FILES.vocab), JSON.stringify(vocab));
  writeFileSync(path.join(plain, WEIGHTS_FILES.weights), encodeSafetensors(new Map([...params].filter(([k]) => !k.startsWith("aux.")))));
  const a = await exportBuiltinModel(path.join(root, "aux-w"), path.join(root, "aux-m"), { version: "v" });
  const b = await exportBuiltinModel(plain, path.join(root, "plain-m"), { version: "v" });
  assert.equal(a.parameters, b.parameters);
  assert.equal(a.parameters, [...params].filter(([k]) => !k.startsWith("aux.")).reduce((n, [, t]) => n + t.data.length, 0));
  for (const g of GRAPH_NAMES) {
    assert.ok(readFileSync(path.join(root, "aux-m", MODEL_FILES[g])).equals(readFileSync(path.join(root, "plain-m", MODEL_FILES[g]))), `${MODEL_FILES[g]} is identical`);
  }
});
