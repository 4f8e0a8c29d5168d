import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { buildImageGrid, decodeTargets, encodeImagePoints } from "../../lib/grounding";

const run = (...args: string[]) => spawnSync(process.execPath, ["cli/bin.mjs", "grounding", ...args], { encoding: "utf8" });

test("encode-image prints sorted targets and their decoded pixels", () => {
  const r = run("encode-image", "--width", "640", "--height", "480", "--max-crops", "8", "--points", "[[639,479],[100,200]]");
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { targets: unknown; decoded: number[][] };
  const g = buildImageGrid(640, 480, 8);
  const targets = encodeImagePoints(g, [[639, 479], [100, 200]]);
  assert.deepEqual(out.targets, targets);
  assert.deepEqual(out.targets, [{ patch: 406, subpatch: 3, location: 0 }, { patch: 724, subpatch: 3, location: 8 }]);
  assert.deepEqual(out.decoded, decodeTargets(g, targets));
});

test("encode-video snaps to the nearest sampled frame", () => {
  const r = run("encode-video", "--width", "1280", "--height", "720", "--timestamps", "[0,0.5,1]", "--points", "[[0.6,100,100]]");
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { targets: unknown; decoded: number[][] };
  assert.deepEqual(out.targets, [{ patch: 90, subpatch: 2, location: 2 }]);
  assert.equal(out.decoded[0][0], 0.5);
});

test("bad input is a clear error naming the option and element", () => {
  let r = run("encode-image", "--width", "640", "--height", "480", "--points", "[[100,2000]]");
  assert.equal(r.status, 1);
  assert.match(r.stderr, /--points\[0\]: point: \(100, 2000\) is outside the 640×480 image/);
  r = run("encode-image", "--width", "0", "--height", "480", "--points", "[]");
  assert.match(r.stderr, /--width must be a positive integer/);
  r = run("encode-video", "--width", "10", "--height", "10", "--timestamps", "[]", "--points", "[]");
  assert.match(r.stderr, /--timestamps: needs at least one frame timestamp/);
  r = run("encode-image", "--width", "10", "--height", "10", "--points", "[[1,");
  assert.match(r.stderr, /--points is not valid JSON/);
  r = run("frobnicate");
  assert.equal(r.status, 1);
  assert.match(r.stderr, /unknown subcommand 'frobnicate'/);
});

test("parse is dispatched to grounding-parse", () => {
  const r = run("parse", "--text", '<points coords="1 1 500 500">x</points>', "--width", "100", "--height", "100");
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /"x": 50/);
});
