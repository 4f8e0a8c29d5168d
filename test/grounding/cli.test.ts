import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { run } from "../../cli/commands/grounding";
import { buildImageGrid, decodeTargets, encodeImagePoints } from "../../lib/grounding";

/** Runs the command in-process and returns its exit code and stdout. */
async function runCaptured(...args: string[]): Promise<{ code: number; stdout: string }> {
  const lines: string[] = [];
  const orig = console.log;
  console.log = (...a: unknown[]) => void lines.push(a.join(" "));
  try {
    return { code: await run(args), stdout: lines.join("\n") };
  } finally {
    console.log = orig;
  }
}

test("npx groundtrack grounding encode-image prints sorted targets and their decoded pixels", () => {
  const r = spawnSync(process.execPath, ["cli/bin.mjs", "grounding", "encode-image", "--width", "640", "--height", "480", "--max-crops", "8",
    "--points", "[[639,479],[100,200]]"], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { targets: unknown; decoded: number[][] };
  const g = buildImageGrid(640, 480, 8);
  const targets = encodeImagePoints(g, [[639, 479], [100, 200]]);
  assert.deepEqual(out.targets, targets);
  assert.deepEqual(out.targets, [{ patch: 406, subpatch: 3, location: 0 }, { patch: 724, subpatch: 3, location: 8 }]);
  assert.deepEqual(out.decoded, decodeTargets(g, targets));
});

test("encode-video snaps to the nearest sampled frame", async () => {
  const r = await runCaptured("encode-video", "--width", "1280", "--height", "720", "--timestamps", "[0,0.5,1]", "--points", "[[0.6,100,100]]");
  assert.equal(r.code, 0);
  const out = JSON.parse(r.stdout) as { targets: unknown; decoded: number[][] };
  assert.deepEqual(out.targets, [{ patch: 90, subpatch: 2, location: 2 }]);
  assert.equal(out.decoded[0][0], 0.5);
});

test("bad input is a UserError naming the option and element", async () => {
  const fails = async (re: RegExp, ...args: string[]) => assert.rejects(() => run(args), (e: Error) => e.name === "UserError" && re.test(e.message));
  await fails(/--points\[0\]: point: \(100, 2000\) is outside the 640×480 image/, "encode-image", "--width", "640", "--height", "480", "--points", "[[100,2000]]");
  await fails(/--points\[0\]\[1\]: .*expected number/, "encode-image", "--width", "640", "--height", "480", "--points", '[[1,"a"]]');
  await fails(/--width must be a positive integer/, "encode-image", "--width", "0", "--height", "480", "--points", "[]");
  await fails(/--max-crops must be a positive integer/, "encode-image", "--width", "10", "--height", "10", "--max-crops", "2.5", "--points", "[]");
  await fails(/--timestamps: needs at least one frame timestamp/, "encode-video", "--width", "10", "--height", "10", "--timestamps", "[]", "--points", "[]");
  await fails(/--points is not valid JSON/, "encode-image", "--width", "10", "--height", "10", "--points", "[[1,");
  await fails(/--points is required/, "encode-image", "--width", "10", "--height", "10");
  await fails(/unknown subcommand 'frobnicate'/, "frobnicate");
});

test("parse is dispatched to grounding-parse's runParse", async () => {
  const r = await runCaptured("parse", "--text", '<points coords="1 1 500 500">x</points>', "--width", "100", "--height", "100");
  assert.equal(r.code, 0);
  assert.match(r.stdout, /"x": 50/);
});

test("encode-video --duration samples frames with uniform_last_frame", async () => {
  const r = await runCaptured("encode-video", "--width", "640", "--height", "480", "--duration", "3.2", "--points", "[[3.1,10,10],[0.26,5,5]]");
  assert.equal(r.code, 0);
  const out = JSON.parse(r.stdout) as { decoded: number[][] };
  // 2 fps + the last frame: 0, 0.5, …, 3.0, 3.2 → 3.1 snaps to 3.0 (first of the tie), 0.26 to 0.5.
  assert.deepEqual(out.decoded.map((p) => p[0]), [0.5, 3]);
  await assert.rejects(() => run(["encode-video", "--width", "9", "--height", "9", "--duration", "1", "--timestamps", "[0]", "--points", "[]"]),
    /either --timestamps or --duration/);
});
