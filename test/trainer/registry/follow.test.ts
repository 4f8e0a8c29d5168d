// The inference service's default built-in runtime follows promotions without a restart: a runtime created while
// version A is promoted answers with version B after B is promoted (real ONNX models, a real encoded video).
import { after, before, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { createTestDb, type TestDb } from "../../helpers/db";
import { generateBuiltinModel } from "../../../inference/builtin/generate-model";
import { createRuntime } from "../../../inference/runtimes";
import { promoteVersion, registerBuiltinVersion, versionDir } from "../../../lib/services/models";
import { generateSyntheticVideo } from "../../../lib/video";

let t: TestDb;
let dir: string;
const saved = { models: process.env.GROUNDTRACK_MODELS_DIR, builtin: process.env.GROUNDTRACK_BUILTIN_MODEL_DIR };

before(async () => {
  t = await createTestDb();
  dir = mkdtempSync(path.join(os.tmpdir(), "gt-follow-"));
  process.env.GROUNDTRACK_MODELS_DIR = path.join(dir, "models");
  delete process.env.GROUNDTRACK_BUILTIN_MODEL_DIR;
});
after(async () => {
  await t.close();
  rmSync(dir, { recursive: true, force: true });
  for (const [k, v] of [["GROUNDTRACK_MODELS_DIR", saved.models], ["GROUNDTRACK_BUILTIN_MODEL_DIR", saved.builtin]] as const) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});

it("a long-lived default built-in runtime serves whichever built-in version is promoted now", async () => {
  for (const v of ["ver-a", "ver-b"]) {
    await generateBuiltinModel(versionDir(v), { version: v });
    await registerBuiltinVersion(t.db, null, { version: v, dir: versionDir(v), snapshotId: null, benchmarkHash: null, metrics: {} });
  }
  await promoteVersion(t.db, null, "ver-a", { manual: true });
  const file = path.join(dir, "v.mp4");
  const { meta } = await generateSyntheticVideo(file, { width: 96, height: 64, frames: 6, fps: 10, objects: [{ id: 1, category: "square", colour: "red", size: 8, path: [{ frame: 0, x: 20, y: 30 }, { frame: 5, x: 60, y: 30 }] }] }, 1);
  const rt = await createRuntime("built-in");
  try {
    const req = { video: { id: "v", path: file, meta }, expression: "the red square", signal: new AbortController().signal };
    assert.equal((await rt.query(req)).engine, "built-in:ver-a");
    await promoteVersion(t.db, null, "ver-b", { manual: true });
    const r = await rt.query(req);
    assert.equal(r.engine, "built-in:ver-b");
    assert.equal(rt.engine, "built-in:ver-b");
    assert.ok(r.tracks.objects.every((o) => o.keyframes.every((k) => k.source === "model:ver-b")));
  } finally {
    await rt.close();
  }
});
