// Registry and promotion on a real database: real contract models (generator) evaluated through the built-in
// runtime on a real frozen synthetic split; an external model served by the Molmo2 stub through the remote runtime.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { createTestDb, type TestDb } from "../../helpers/db";
import { molmo2TrackAnswer, startMolmo2Stub, type Molmo2Stub } from "../../helpers/molmo2-stub";
import { generateBuiltinModel } from "../../../inference/builtin/generate-model";
import { createRuntime } from "../../../inference/runtimes";
import { getModelVersion, listModelVersions, promotedVersion, readPromotedPointer, registerBuiltinVersion, retireVersion, versionDir } from "../../../lib/services/models";
import { comparePromote, registerExternalModel } from "../../../trainer/registry";
import { buildSnapshot, snapshotRefs } from "../../../trainer/snapshot";
import { probeVideo } from "../../../lib/video";
import { tinySynth } from "../snapshot/world";

let t: TestDb;
let dir: string;
let stub: Molmo2Stub;
let refs: ReturnType<typeof snapshotRefs>;
let bench: string;
const env = process.env.GROUNDTRACK_MODELS_DIR;

before(async () => {
  t = await createTestDb();
  dir = mkdtempSync(path.join(os.tmpdir(), "gt-registry-"));
  process.env.GROUNDTRACK_MODELS_DIR = path.join(dir, "models");
  delete process.env.GROUNDTRACK_BUILTIN_MODEL_DIR;
  const snap = await buildSnapshot(t.db, { tasks: "none", synth: { from: await tinySynth(dir) }, out: path.join(dir, "snap") });
  refs = snapshotRefs(snap.dir, snap.manifest, ["test"]).slice(0, 5); // 5 of the frozen split: keeps the file fast
  bench = snap.manifest.benchmark.hash;
  await generateBuiltinModel(versionDir("demo"), { version: "demo" });
  await generateBuiltinModel(versionDir("worse"), { version: "worse", maxPoints: 2 });
  await generateBuiltinModel(versionDir("demo-again"), { version: "demo-again" });
  stub = await startMolmo2Stub();
});
after(async () => {
  await stub.close();
  await t.close();
  rmSync(dir, { recursive: true, force: true });
  if (env === undefined) delete process.env.GROUNDTRACK_MODELS_DIR;
  else process.env.GROUNDTRACK_MODELS_DIR = env;
});

const register = (version: string) => registerBuiltinVersion(t.db, null, { version, dir: versionDir(version), snapshotId: null, benchmarkHash: null, metrics: {} });

describe("promotion on the frozen split", () => {
  it("with nothing promoted, a candidate must beat the fallback model that serves meanwhile", async () => {
    await registerBuiltinVersion(t.db, null, { version: "worse-first", dir: versionDir("worse"), snapshotId: null, benchmarkHash: null, metrics: {} });
    const d = await comparePromote(t.db, "worse-first", refs, bench, {}, { fallbackModelDir: versionDir("demo") });
    assert.equal(d.decision, "rejected");
    assert.match(String(d.comparison.reason), /does not beat .* of fallback built-in:demo/);
    assert.equal(await promotedVersion(t.db), null);
    assert.equal(readPromotedPointer(), null);
  });

  it("promotes the first version, and the default built-in runtime then serves it", async () => {
    await register("demo");
    const d = await comparePromote(t.db, "demo", refs, bench, {}, { fallbackModelDir: null });
    assert.equal(d.decision, "promoted");
    assert.equal(d.comparison.current, null);
    assert.equal(readPromotedPointer()?.version, "demo");
    const rt = await createRuntime("built-in");
    try {
      assert.equal(rt.engine, "built-in:demo");
    } finally {
      await rt.close();
    }
  });

  it("rejects a worse candidate and a tie; the promoted version keeps serving", async () => {
    await register("worse");
    const w = await comparePromote(t.db, "worse", refs, bench);
    assert.equal(w.decision, "rejected");
    const c = w.comparison as { candidate: { f1: number }; current: { version: string; f1: number } };
    assert.equal(c.current.version, "demo");
    assert.ok(c.candidate.f1 < c.current.f1);
    assert.equal((await getModelVersion(t.db, "worse")).status, "rejected");
    // Identical weights under another name: equal F1 → no promotion.
    await register("demo-again");
    const tie = await comparePromote(t.db, "demo-again", refs, bench);
    assert.equal(tie.decision, "rejected");
    assert.match(String(tie.comparison.reason), /\(tie\)/);
    assert.equal((await promotedVersion(t.db))?.version, "demo");
    assert.equal(readPromotedPointer()?.version, "demo");
    // The demo's metrics were stored once for this benchmark and reused (not re-evaluated) in both comparisons.
    const demo = await getModelVersion(t.db, "demo");
    assert.equal(demo.benchmarkHash, bench);
    assert.equal((demo.metrics as { overall: { f1: number } }).overall.f1, c.current.f1);
  });

  it("registers an external model, evaluates it through the remote runtime, and promotes it when it is better", async () => {
    await assert.rejects(registerExternalModel(t.db, { version: "ext", endpoint: "not a url", model: "m" }), /endpoint/);
    await assert.rejects(registerExternalModel(t.db, { version: "bad name!", endpoint: stub.url, model: "m" }), /version/);
    const v = await registerExternalModel(t.db, { version: "molmo2-ext", endpoint: stub.url, model: "allenai/Molmo2-8B", description: "served elsewhere" });
    assert.equal(v.kind, "external");
    await assert.rejects(registerExternalModel(t.db, { version: "molmo2-ext", endpoint: stub.url, model: "x" }), /already exists/);
    // The stub answers each benchmark query with that example's ground truth (visible points, in Molmo2's format).
    const replies = [];
    for (const r of refs) {
      const ex = JSON.parse(readFileSync(r.annotation, "utf8")) as { fps: number; width: number; height: number; frame_trajectories: Array<{ frame: number; points: Array<{ id: number; point: [number, number]; occluded: boolean }> }> };
      const meta = await probeVideo(r.video);
      const frames = ex.frame_trajectories.map((f) => ({ time: f.frame / ex.fps, points: f.points.filter((p) => !p.occluded).map((p) => ({ id: p.id, x: p.point[0], y: p.point[1] })) }));
      replies.push({ kind: "text" as const, text: molmo2TrackAnswer(frames, { width: meta.width, height: meta.height }, r.expression) });
    }
    stub.setReplies(replies);
    const d = await comparePromote(t.db, "molmo2-ext", refs, bench);
    assert.equal(stub.requests.length, refs.length);
    assert.ok(stub.requests.every((q) => q.model === "allenai/Molmo2-8B"));
    const c = d.comparison as { candidate: { f1: number; engine: string }; current: { f1: number } };
    assert.match(c.candidate.engine, /^remote:allenai\/Molmo2-8B@/);
    assert.ok(c.candidate.f1 > c.current.f1, `${c.candidate.f1} vs ${c.current.f1}`);
    assert.equal(d.decision, "promoted");
    assert.equal((await getModelVersion(t.db, "demo")).status, "retired");
    const p = readPromotedPointer();
    assert.equal(p?.kind, "external");
    assert.equal(p?.endpoint, stub.url);
    // Only one version is promoted.
    assert.deepEqual((await listModelVersions(t.db)).filter((x) => x.status === "promoted").map((x) => x.version), ["molmo2-ext"]);
  });

  it("retiring the promoted version removes the pointer: the built-in default falls back", async () => {
    await retireVersion(t.db, null, "molmo2-ext");
    assert.equal(await promotedVersion(t.db), null);
    assert.equal(readPromotedPointer(), null);
    assert.equal(existsSync(path.join(dir, "models", "versions", "promoted.json")), false);
  });
});
