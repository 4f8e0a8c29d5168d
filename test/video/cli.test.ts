// `groundtrack video ...` end to end through cli/bin.mjs.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { PNG } from "pngjs";
import { tempDir } from "./helpers";

const dir = tempDir();
const cli = (...args: string[]) => spawnSync(process.execPath, ["cli/bin.mjs", "video", ...args], { encoding: "utf8" });

test("video synth writes a video and its ground truth; video probe prints the VideoMeta JSON", () => {
  const out = path.join(dir, "s.mp4");
  const s = cli("synth", "--out", out, "--seed", "9", "--width", "96", "--height", "64", "--frames", "24", "--cuts", "12");
  assert.equal(s.status, 0, s.stderr);
  const summary = JSON.parse(s.stdout) as { truth: string; frameCount: number; shotBoundaries: number[] };
  assert.equal(summary.truth, path.join(dir, "s.truth.json"));
  assert.equal(summary.frameCount, 24);
  const truth = JSON.parse(readFileSync(summary.truth, "utf8")) as { seed: number; objects: Array<{ track: unknown[] }>; shotBoundaries: number[] };
  assert.equal(truth.seed, 9);
  assert.ok(truth.objects.every((o) => o.track.length === 24));
  const p = cli("probe", out);
  assert.equal(p.status, 0, p.stderr);
  const meta = JSON.parse(p.stdout) as { frameCount: number; timestamps: number[]; shotBoundaries: number[]; codec: string };
  assert.equal(meta.frameCount, 24);
  assert.equal(meta.timestamps.length, 24);
  assert.deepEqual(meta.shotBoundaries, [12]);
  assert.equal(meta.codec, "h264");
  const f = cli("frame", out, "--index", "23", "--out", path.join(dir, "f.png"), "--width", "48");
  assert.equal(f.status, 0, f.stderr);
  const png = PNG.sync.read(readFileSync(path.join(dir, "f.png")));
  assert.deepEqual([png.width, png.height], [48, 32]);
});

test("bad input: clear message, exit code 1", () => {
  const junk = path.join(dir, "junk.mp4");
  writeFileSync(junk, "not a video at all");
  const r = cli("probe", junk);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /not_video: .*junk\.mp4/);
  const s = cli("synth", "--out", path.join(dir, "x.mp4"), "--seed", "1", "--width", "33");
  assert.equal(s.status, 1);
  assert.match(s.stderr, /width must be even/);
  const n = cli("synth", "--seed", "1");
  assert.equal(n.status, 1);
  assert.match(n.stderr, /--out is required/);
});
