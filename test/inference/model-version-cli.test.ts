// `groundtrack query --model-version V` against a real SQLite registry: an external version answered by the Molmo2
// stub and a built-in version generated into versionDir(V), each run as the real binary (spawned); bad combinations
// and unusable versions are clear errors.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { importTrackAny } from "../../lib/formats";
import { generateSyntheticVideo, type SyntheticGroundTruth, type VideoMeta } from "../../lib/video";
import { promoteVersion, registerBuiltinVersion, registerExternalVersion, retireVersion, versionDir } from "../../lib/services/models";
import { answerGrid, sampleMolmo2Frames } from "../../inference/runtimes/remote";
import { generateBuiltinModel } from "../../inference/builtin/generate-model";
import { run } from "../../cli/commands/query";
import { createTestDb, type TestDb } from "../helpers/db";
import { molmo2TrackAnswer, startMolmo2Stub, type Molmo2Stub } from "../helpers/molmo2-stub";

const W = 160;
const H = 120;
const root = path.resolve(import.meta.dirname, "..", "..");
let t: TestDb;
let dir: string;
let file: string;
let meta: VideoMeta;
let gt: SyntheticGroundTruth;
let stub: Molmo2Stub;
const saved = { db: process.env.DATABASE_URL, models: process.env.GROUNDTRACK_MODELS_DIR };

before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "gt-query-version-cli-"));
  process.env.GROUNDTRACK_MODELS_DIR = path.join(dir, "models");
  t = await createTestDb();
  process.env.DATABASE_URL = t.url;
  file = path.join(dir, "shapes.mp4");
  const r = await generateSyntheticVideo(file, {
    width: W, height: H, frames: 16, fps: 8,
    objects: [{ id: 1, category: "square", colour: "red", size: 12, path: [{ frame: 0, x: 30, y: 30 }, { frame: 15, x: 120, y: 90 }] }],
  }, 9);
  meta = r.meta as VideoMeta;
  gt = r.groundTruth;
  stub = await startMolmo2Stub();
  await registerExternalVersion(t.db, null, { version: "ext-4b", endpoint: stub.url, model: "allenai/Molmo2-4B" });
  await generateBuiltinModel(versionDir("tiny-a"), { version: "gen-a" });
  await generateBuiltinModel(versionDir("tiny-b"), { version: "gen-b" });
  await registerBuiltinVersion(t.db, null, { version: "tiny-a", dir: versionDir("tiny-a"), snapshotId: null, benchmarkHash: null, metrics: {} });
  await registerBuiltinVersion(t.db, null, { version: "tiny-b", dir: versionDir("tiny-b"), snapshotId: null, benchmarkHash: null, metrics: {} });
  await promoteVersion(t.db, null, "tiny-b", { manual: true });
});
after(async () => {
  await stub.close();
  const { getDb } = await import("../../lib/db");
  await getDb().$disconnect();
  await t.close();
  rmSync(dir, { recursive: true, force: true });
  for (const [k, v] of [["DATABASE_URL", saved.db], ["GROUNDTRACK_MODELS_DIR", saved.models]] as const) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});

/** The real binary, asynchronously (the stub answering it runs in this process). */
function groundtrack(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(root, "cli", "bin.mjs"), ...args], {
      cwd: root,
      env: { ...process.env, DATABASE_URL: t.url, GROUNDTRACK_MODELS_DIR: path.join(dir, "models") },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

test("query --model-version <external>: the remote runtime on the registered endpoint and model", async () => {
  const shown = sampleMolmo2Frames(meta, 2, 8);
  const g = answerGrid(meta, 2, shown);
  stub.setReplies([{ kind: "text", text: molmo2TrackAnswer(g.frames.map((f, k) => ({ time: g.times[k]!, points: [{ id: 1, x: gt.objects[0]!.track[f]!.x, y: gt.objects[0]!.track[f]!.y }] })), { width: W, height: H }, "red square") }]);
  const n0 = stub.requests.length;
  const out = path.join(dir, "ext.json");
  const r = await groundtrack("query", "--model-version", "ext-4b", "--max-frames", "8", "--video", file, "--expression", "red square", "--out", out);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /model version ext-4b \(external, allenai\/Molmo2-4B @ http:\/\/127\.0\.0\.1:\d+\/v1\)/);
  assert.equal(stub.requests.length - n0, 1);
  assert.equal(stub.requests.at(-1)!.model, "allenai/Molmo2-4B");
  assert.equal(stub.requests.at(-1)!.frames.length, 8, "--max-frames reaches the external version's runtime");
  const back = importTrackAny(readFileSync(out, "utf8"));
  assert.ok(back.ok);
  const kfs = back.value.objects[0]!.keyframes.filter((k) => g.frames.includes(k.frame));
  assert.equal(kfs.length, g.frames.length);
  for (const k of kfs) assert.ok(Math.abs(k.x - gt.objects[0]!.track[k.frame]!.x) <= 0.5 && Math.abs(k.y - gt.objects[0]!.track[k.frame]!.y) <= 0.5);
});

test("query --model-version <built-in>: that version's model dir, not the promoted one", async () => {
  const out = path.join(dir, "builtin.json");
  const r = await groundtrack("query", "--model-version", "tiny-a", "--video", file, "--expression", "red square", "--out", out);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /model version tiny-a \(built-in, .*tiny-a\)/);
  assert.match(r.stderr, /tiny-a = built-in:gen-a: [1-9]\d* object\(s\) for 'red square'/);
  const back = importTrackAny(readFileSync(out, "utf8"));
  assert.ok(back.ok);
  assert.ok(back.value.objects.length >= 1);
});

test("query --model-version: clashes with --runtime/--endpoint/--model/--model-dir, unknown and retired versions, remote options on a built-in version", async () => {
  const out = path.join(dir, "err.json");
  const base = ["--video", file, "--expression", "x", "--out", out];
  await assert.rejects(run(["--model-version", "ext-4b", "--runtime", "remote", "--endpoint", stub.url, "--model", "m", ...base]), /--model-version brings its own runtime and model; drop --runtime, --endpoint, --model/);
  await assert.rejects(run(["--model-version", "tiny-a", "--model-dir", dir, ...base]), /drop --model-dir/);
  await assert.rejects(run(["--model-version", "ghost", ...base]), /--model-version: model version 'ghost' is not registered \(usable: tiny-b, /);
  await registerExternalVersion(t.db, null, { version: "old", endpoint: stub.url, model: "m" });
  await retireVersion(t.db, null, "old");
  await assert.rejects(run(["--model-version", "old", ...base]), /--model-version: model version 'old' is retired; only candidate or promoted versions can be queried/);
  await assert.rejects(run(["--model-version", "tiny-a", "--timeout", "3", ...base]), /--timeout applies only to remote models; model version 'tiny-a' is built-in/);
  // A built-in version whose files are gone names the version.
  await registerBuiltinVersion(t.db, null, { version: "vanished", dir: path.join(dir, "models", "versions", "vanished"), snapshotId: null, benchmarkHash: null, metrics: {} });
  await assert.rejects(run(["--model-version", "vanished", ...base]), /model_missing: model version 'vanished': its model files are gone/);
  assert.equal(existsSync(out), false);
});
