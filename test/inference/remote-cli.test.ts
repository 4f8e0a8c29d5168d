// `groundtrack query` against the Molmo2 stub: TrackAny output that round-trips through lib/formats, masks file,
// and clear errors for bad arguments, unreadable video and a server that is down.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { generateSyntheticVideo, type SyntheticGroundTruth, type VideoMeta } from "../../lib/video";
import { importTrackAny } from "../../lib/formats";
import { decodeRle } from "../../lib/masks/rle";
import { answerGrid, sampleMolmo2Frames } from "../../inference/runtimes/remote";
import { run } from "../../cli/commands/query";
import { molmo2TrackAnswer, startMolmo2Stub, type Molmo2Stub } from "../helpers/molmo2-stub";

const W = 160;
const H = 120;
let dir: string;
let file: string;
let meta: VideoMeta;
let gt: SyntheticGroundTruth;
let stub: Molmo2Stub;

before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "gt-query-cli-"));
  file = path.join(dir, "shapes.mp4");
  const r = await generateSyntheticVideo(file, {
    width: W, height: H, frames: 16, fps: 8,
    objects: [{ id: 1, category: "circle", colour: "yellow", size: 12, path: [{ frame: 0, x: 30, y: 30 }, { frame: 15, x: 120, y: 90 }] }],
  }, 9);
  meta = r.meta as VideoMeta;
  gt = r.groundTruth;
  stub = await startMolmo2Stub();
});
after(async () => {
  await stub.close();
  rmSync(dir, { recursive: true, force: true });
});

test("query --runtime remote writes TrackAny tracks at the sampled frames, and masks with --masks", async () => {
  const shown = sampleMolmo2Frames(meta, 2, 128);
  const s = { frames: [...new Set(shown.frames)].sort((a, b) => a - b) };
  const g = answerGrid(meta, 2, shown);
  stub.setReplies([{ kind: "text", text: molmo2TrackAnswer(g.frames.map((f, k) => ({ time: g.times[k]!, points: [{ id: 1, x: gt.objects[0]!.track[f]!.x, y: gt.objects[0]!.track[f]!.y }] })), { width: W, height: H }, "yellow circle") }]);
  const out = path.join(dir, "out", "tracks.json");
  const code = await run(["--video", file, "--expression", "yellow circle", "--runtime", "remote", "--endpoint", stub.url, "--model", "allenai/Molmo2-4B", "--masks", "--out", out]);
  assert.equal(code, 0);
  const text = readFileSync(out, "utf8");
  const json = JSON.parse(text) as { video: string; expression: string; frame_trajectories: Array<{ frame: number }> };
  assert.equal(json.video, "shapes.mp4");
  assert.equal(json.expression, "yellow circle");
  assert.deepEqual(json.frame_trajectories.map((f) => f.frame), s.frames);
  const back = importTrackAny(text);
  assert.ok(back.ok);
  // On the model's answer grid the exported points are the model's own (elsewhere they are interpolated).
  const kfs = back.value.objects[0]!.keyframes.filter((k) => g.frames.includes(k.frame));
  assert.equal(kfs.length, g.frames.length);
  for (const k of kfs) {
    assert.ok(Math.abs(k.x - gt.objects[0]!.track[k.frame]!.x) <= 0.5 && Math.abs(k.y - gt.objects[0]!.track[k.frame]!.y) <= 0.5);
  }
  const masks = JSON.parse(readFileSync(path.join(dir, "out", "tracks.masks.json"), "utf8")) as { engine: string; objects: Record<string, Record<string, { size: [number, number]; counts: string }>> };
  assert.match(masks.engine, /^(classical|sam2):/);
  const perFrame = masks.objects["1"]!;
  assert.equal(Object.keys(perFrame).length, meta.frameCount);
  // The mask on a sampled frame covers the circle's centre.
  const f = s.frames[1]!;
  const bin = decodeRle(perFrame[String(f)]!);
  const c = gt.objects[0]!.track[f]!;
  assert.equal(bin[Math.round(c.y) * W + Math.round(c.x)], 1);
});

test("query: bad arguments, unreadable video and a down server are clear errors", async () => {
  await assert.rejects(run(["--expression", "x", "--out", "o.json"]), /--video is required/);
  await assert.rejects(run(["--video", file, "--out", "o.json"]), /--expression is required/);
  await assert.rejects(run(["--video", file, "--expression", "x", "--runtime", "cloud", "--out", "o.json"]), /--runtime must be built-in or remote/);
  await assert.rejects(run(["--video", file, "--expression", "x", "--runtime", "remote", "--out", "o.json"]), /needs --endpoint URL and --model/);
  await assert.rejects(run(["--video", file, "--expression", "x", "--runtime", "remote", "--endpoint", stub.url, "--model", "m", "--video-form", "tape", "--out", "o.json"]), /--video-form must be frames or file, got 'tape'/);
  // --video-form file reaches the runtime: a cap below the file's size refuses it before any request.
  const n0 = stub.requests.length;
  await assert.rejects(run(["--video", file, "--expression", "x", "--runtime", "remote", "--endpoint", stub.url, "--model", "m", "--video-form", "file", "--max-video-mb", "0.001", "--out", path.join(dir, "f.json")]), /shapes\.mp4' is .* MB, over the remote runtime's maxVideoBytes/);
  assert.equal(stub.requests.length, n0);
  await assert.rejects(run(["--video", path.join(dir, "nope.mp4"), "--expression", "x", "--out", "o.json"]), /'.*nope\.mp4' does not exist/);
  const junk = path.join(dir, "junk.mp4");
  writeFileSync(junk, "not a video at all");
  await assert.rejects(run(["--video", junk, "--expression", "x", "--runtime", "remote", "--endpoint", stub.url, "--model", "m", "--out", path.join(dir, "j.json")]), /--video '.*junk\.mp4'/);
  const down = await startMolmo2Stub();
  await down.close();
  const out = path.join(dir, "down.json");
  await assert.rejects(run(["--video", file, "--expression", "x", "--runtime", "remote", "--endpoint", down.url, "--model", "m", "--retries", "0", "--out", out]), /server_unreachable: .*ECONNREFUSED/);
  assert.equal(existsSync(out), false);
  await assert.rejects(run(["--video", file, "--expression", "x", "--model-dir", path.join(dir, "no-model"), "--out", out]), /model_missing|no-model/);
});

test("the groundtrack binary dispatches `query` (end to end, one spawn)", () => {
  const root = path.resolve(import.meta.dirname, "..", "..");
  const r = spawnSync(process.execPath, [path.join(root, "cli", "bin.mjs"), "query", "--video", path.join(dir, "missing.mp4"), "--expression", "x", "--out", "o.json"], { encoding: "utf8" });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /groundtrack query: --video: '.*missing\.mp4' does not exist/);
});
