// Finding a SAM2 model set: tensor lookup by name with aliases, and clear errors for wrong names, corrupt,
// truncated or missing files; a directory without weights falls back to the classical segmenter and says so.
import assert from "node:assert/strict";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { createMaskEngine } from "../../inference/sam2";
import { findModelFiles, loadModule } from "../../inference/sam2/models";
import { GraphBuilder } from "../../inference/sam2/testing/onnx-builder";
import { imageEncoder, TINY, writeTinyModels } from "../../inference/sam2/testing/tiny-models";
import { RuntimeError } from "../../inference/runtime";

let root: string;
let good: string;
before(() => {
  root = mkdtempSync(path.join(tmpdir(), "gt-sam2-models-"));
  good = path.join(root, "good");
  writeTinyModels(good);
});
after(() => rmSync(root, { recursive: true, force: true }));

/** A copy of the good set with one file replaced (or removed with `null`). */
function variant(name: string, file: string, bytes: Uint8Array | null): string {
  const dir = path.join(root, name);
  mkdirSync(dir, { recursive: true });
  for (const f of ["image_encoder.onnx", "image_decoder.onnx", "memory_attention_objptr.onnx", "memory_encoder.onnx"]) copyFileSync(path.join(good, f), path.join(dir, f));
  if (bytes) writeFileSync(path.join(dir, file), bytes);
  else unlinkSync(path.join(dir, file));
  return dir;
}

const isRuntimeError = (code: string, re: RegExp) => (e: unknown) => {
  assert.ok(e instanceof RuntimeError, `expected RuntimeError, got ${String(e)}`);
  assert.equal(e.code, code);
  assert.match(e.message, re);
  return true;
};

test("tensors are found by canonical name or alias (Aimol-l/NVIDIA vs pagarcia exports)", async () => {
  const aimol = await loadModule("image_encoder", path.join(good, "image_encoder.onnx"), "cpu");
  assert.deepEqual(aimol.inputs, { image: "image" });
  assert.equal(aimol.outputs.pixFeat, "pix_feat");
  assert.equal(aimol.outputs.visionFeats, "vision_feats");
  await aimol.session.release();
  const pag = path.join(root, "pag");
  writeTinyModels(pag, { naming: "pagarcia", objPtrOffsets: false, occlusion: false });
  const enc = await loadModule("image_encoder", path.join(pag, "image_encoder.onnx"), "cpu");
  assert.deepEqual(enc.inputs, { image: "input" });
  assert.deepEqual(enc.outputs, { pixFeat: "image_embeddings", highRes0: "high_res_features1", highRes1: "high_res_features2", visionFeats: "current_vision_feat", visionPos: "vision_pos_embed" });
  await enc.session.release();
  const att = await loadModule("memory_attention", path.join(pag, "memory_attention.onnx"), "cpu");
  assert.equal(att.outputs.fused, "fused_feat");
  assert.equal(att.inputs.objPtrOffsets, undefined);
  await att.session.release();
  const dec = await loadModule("image_decoder", path.join(pag, "image_decoder.onnx"), "cpu");
  assert.equal(dec.outputs.iou, undefined);
  assert.equal(dec.outputs.occLogit, undefined);
  await dec.session.release();
});

test("a module with the wrong tensor names: error names the file, the missing tensor, its aliases and what it has", async () => {
  const dir = variant("wrong-names", "image_decoder.onnx", imageEncoder(TINY));
  await assert.rejects(
    createMaskEngine({ modelsDir: dir, log: () => {} }),
    isRuntimeError("model_invalid", /image_decoder\.onnx: no input named 'point_coords', 'point_labels', 'image_embed', 'high_res_feats_0' \(or 'high_res_feat0'\).*the model's inputs are \[image\]/),
  );
});

test("corrupt, truncated and empty model files: clear errors naming the file", async () => {
  const garbage = variant("garbage", "memory_encoder.onnx", new TextEncoder().encode("this is not an onnx model at all"));
  await assert.rejects(createMaskEngine({ modelsDir: garbage, log: () => {} }), isRuntimeError("model_invalid", /memory_encoder: cannot load '.*garbage\/memory_encoder\.onnx' \(corrupt, truncated or not an ONNX model\?\)/));
  const whole = readFileSync(path.join(good, "image_decoder.onnx"));
  const truncated = variant("truncated", "image_decoder.onnx", whole.subarray(0, Math.floor(whole.length / 2)));
  await assert.rejects(createMaskEngine({ modelsDir: truncated, log: () => {} }), isRuntimeError("model_invalid", /image_decoder: cannot load '.*truncated\/image_decoder\.onnx'/));
  const empty = variant("empty", "image_encoder.onnx", new Uint8Array(0));
  await assert.rejects(createMaskEngine({ modelsDir: empty, log: () => {} }), isRuntimeError("model_invalid", /image_encoder: model file '.*empty\/image_encoder\.onnx' is empty/));
});

test("an incomplete set is an error listing what is missing; a directory without weights uses the classical segmenter", async () => {
  const partial = variant("partial", "memory_attention_objptr.onnx", null);
  await assert.rejects(
    createMaskEngine({ modelsDir: partial, log: () => {} }),
    isRuntimeError("model_missing", /incomplete: no memory_attention module \(looked for memory_attention_objptr\.onnx or memory_attention\.onnx\); it has .*image_encoder\.onnx/),
  );
  const none = path.join(root, "none");
  mkdirSync(none);
  writeFileSync(path.join(none, "README.md"), "put the exports here\n");
  const logs: string[] = [];
  const engine = await createMaskEngine({ modelsDir: none, log: (m) => logs.push(m) });
  assert.equal(engine.engine, "classical:colour-region");
  assert.match(logs.join("\n"), /no SAM2 ONNX weights in '.*none'.*classical segmenter \(not SAM2\)/);
  await engine.close();
  await assert.rejects(createMaskEngine({ modelsDir: path.join(root, "typo"), log: () => {} }), isRuntimeError("model_missing", /models directory '.*typo' does not exist/));
});

test("the complete tiny set loads as SAM2 on the CPU (no CUDA provider installed here) and says so", async () => {
  const logs: string[] = [];
  const engine = await createMaskEngine({ modelsDir: good, log: (m) => logs.push(m) });
  assert.equal(engine.engine, "sam2:tiny-128-aimol@cpu");
  assert.match(logs[0], /loaded image_encoder\.onnx, image_decoder\.onnx, memory_attention_objptr\.onnx, memory_encoder\.onnx .* on CPU/);
  await engine.close();
});

test("file lookup: exact names first, then model-size suffixes; variants like _box/_lite are not taken for the module", () => {
  const dir = path.join(root, "suffixed");
  mkdirSync(dir);
  for (const f of ["image_encoder_tiny.onnx", "image_decoder_box.onnx", "image_decoder_tiny.onnx", "memory_attention_tiny.onnx", "memory_encoder_lite.onnx", "memory_encoder_tiny.onnx"]) writeFileSync(path.join(dir, f), "x");
  assert.deepEqual(findModelFiles(dir), {
    files: {
      image_encoder: path.join(dir, "image_encoder_tiny.onnx"),
      image_decoder: path.join(dir, "image_decoder_tiny.onnx"),
      memory_attention: path.join(dir, "memory_attention_tiny.onnx"),
      memory_encoder: path.join(dir, "memory_encoder_tiny.onnx"),
    },
  });
  writeFileSync(path.join(dir, "memory_encoder.onnx"), "x");
  const exact = findModelFiles(dir);
  assert.ok("files" in exact && exact.files.memory_encoder === path.join(dir, "memory_encoder.onnx"));
  const lite = path.join(root, "lite-only");
  mkdirSync(lite);
  writeFileSync(path.join(lite, "memory_encoder_lite.onnx"), "x");
  assert.deepEqual(findModelFiles(lite), { missing: ["image_encoder", "image_decoder", "memory_attention", "memory_encoder"], onnxFiles: ["memory_encoder_lite.onnx"] });
});

test("a module with an input the loop does not feed (Aimol-l's decoder takes frame_size) is rejected at load", async () => {
  const g = new GraphBuilder("image_decoder");
  const pc = g.input("point_coords", ["n", "p", 2]);
  g.input("point_labels", ["n", "p"]);
  const ie = g.input("image_embed", [1, 8, 16, 16]);
  g.input("high_res_feats_0", [1, 4, 64, 64]);
  g.input("high_res_feats_1", [1, 4, 32, 32]);
  g.input("frame_size", [2], "int64");
  g.output("obj_ptr", pc, ["n", "p", 2]);
  g.output("mask_for_mem", ie, [1, 8, 16, 16]);
  g.output("pred_mask", ie, [1, 8, 16, 16]);
  const dir = variant("frame-size", "image_decoder.onnx", g.toBytes());
  await assert.rejects(createMaskEngine({ modelsDir: dir, log: () => {} }), isRuntimeError("model_invalid", /image_decoder\.onnx: has input 'frame_size' that a SAM2 four-module image_decoder does not take/));
});
