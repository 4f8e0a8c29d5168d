// `groundtrack sam2 propagate`: end to end through the real binary with tiny SAM2 models, the classical
// fallback for a directory without weights, and clear errors for bad input.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { run } from "../../cli/commands/sam2";
import { decodeRle } from "../../lib/masks/rle";
import { generateSyntheticVideo, type SyntheticGroundTruth } from "../../lib/video";
import { writeTinyModels } from "../../inference/sam2/testing/tiny-models";

let dir: string;
let videoFile: string;
let models: string;
let gt: SyntheticGroundTruth;

before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "gt-sam2-cli-"));
  videoFile = path.join(dir, "sq.mp4");
  const r = await generateSyntheticVideo(videoFile, {
    width: 160, height: 120, frames: 8, fps: 10,
    objects: [
      { id: 1, category: "square", colour: "red", size: 10, path: [{ frame: 0, x: 30, y: 40 }, { frame: 7, x: 100, y: 70 }] },
      { id: 2, category: "circle", colour: "green", size: 12, path: [{ frame: 0, x: 130, y: 90 }] },
    ],
  }, 3);
  gt = r.groundTruth;
  models = path.join(dir, "models");
  writeTinyModels(models);
});
after(() => rmSync(dir, { recursive: true, force: true }));

interface Output {
  engine: string;
  video: { width: number; height: number; frameCount: number };
  frames: Array<{ frame: number; masks: Array<{ objectId: string; rle: { size: [number, number]; counts: string }; score: number; area: number }> }>;
}

/** Runs the command in-process, capturing stderr. */
async function runCaptured(...args: string[]): Promise<{ code: number; stderr: string }> {
  const lines: string[] = [];
  const orig = console.error;
  console.error = (...a: unknown[]) => void lines.push(a.join(" "));
  try {
    return { code: await run(args), stderr: lines.join("\n") };
  } finally {
    console.error = orig;
  }
}

test("npx groundtrack sam2 propagate: tiny SAM2 models, two objects, per-frame RLE per object, engine on stderr", () => {
  const out = path.join(dir, "masks.json");
  const sq = gt.objects[0].track[4];
  const ci = gt.objects[1].track[4];
  const r = spawnSync(process.execPath, ["cli/bin.mjs", "sam2", "propagate", "--models", models, "--video", videoFile, "--frame", "4",
    "--objects", JSON.stringify({ square: [[sq.x, sq.y, 1]], circle: [[ci.x, ci.y, 1], [5, 5, 0]] }), "--out", out],
  { encoding: "utf8", env: { ...process.env, GROUNDTRACK_PROGRESS: "1" } });
  assert.equal(r.status, 0, r.stderr);
  // Started without the inference flags, the command reran itself with them (cli/bin.mjs).
  assert.match(r.stderr, /on CPU; V8 GC single-threaded/);
  assert.match(r.stderr, /sam2: engine sam2:tiny-128-aimol@cpu/);
  assert.match(r.stderr, /sam2: 8 frames \(8 with a non-empty mask\)/);
  const res = JSON.parse(readFileSync(out, "utf8")) as Output;
  assert.equal(res.engine, "sam2:tiny-128-aimol@cpu");
  assert.deepEqual(res.video, { path: videoFile, width: 160, height: 120, frameCount: 8 } as Output["video"]);
  assert.deepEqual(res.frames.map((f) => f.frame), [0, 1, 2, 3, 4, 5, 6, 7]);
  for (const f of res.frames) {
    for (const id of ["square", "circle"]) {
      const m = f.masks.find((x) => x.objectId === id)!;
      const p = gt.objects[id === "square" ? 0 : 1].track[f.frame];
      const bin = decodeRle(m.rle);
      assert.equal(bin[Math.round(p.y) * 160 + Math.round(p.x)], 1, `frame ${f.frame}: ${id} centre is inside its mask`);
      assert.ok(m.area > 200 && m.area < 600, `frame ${f.frame} ${id}: area ${m.area}`);
    }
  }
});

test("a --models directory without weights uses the classical segmenter and says so", async () => {
  const empty = path.join(dir, "no-weights");
  mkdirSync(empty);
  const out = path.join(dir, "classical.json");
  const sq = gt.objects[0].track[0];
  const r = await runCaptured("propagate", "--models", empty, "--video", videoFile, "--frame", "0", "--points", JSON.stringify([[sq.x, sq.y, 1]]), "--direction", "forward", "--end", "3", "--out", out);
  assert.equal(r.code, 0);
  assert.match(r.stderr, /no SAM2 ONNX weights in .*classical segmenter \(not SAM2\)/);
  assert.match(r.stderr, /engine classical:colour-region/);
  const res = JSON.parse(readFileSync(out, "utf8")) as Output;
  assert.equal(res.engine, "classical:colour-region");
  assert.deepEqual(res.frames.map((f) => [f.frame, f.masks[0].objectId]), [[0, "1"], [1, "1"], [2, "1"], [3, "1"]]);
  const areas = res.frames.map((f) => f.masks[0].area);
  assert.ok(areas.every((a) => a > 200 && a < 450), `areas ${areas}`);
});

test("bad input: clear errors naming the option, file or field", async () => {
  const fails = async (re: RegExp, ...args: string[]) =>
    assert.rejects(() => runCaptured(...args), (e: Error) => e.name === "UserError" && re.test(e.message), `expected ${re}`);
  const base = ["propagate", "--models", models, "--video", videoFile, "--out", path.join(dir, "x.json")];
  await fails(/--points\[0\]\[2\]: label must be 1 \(positive\) or 0 \(negative\)/, ...base, "--frame", "0", "--points", "[[1,2,5]]");
  await fails(/--points is not valid JSON/, ...base, "--frame", "0", "--points", "[[1,2");
  await fails(/--objects\["a"\]: needs at least one point/, ...base, "--frame", "0", "--objects", '{"a":[]}');
  await fails(/--frame 9 does not exist: .* has frames 0-7/, ...base, "--frame", "9", "--points", "[[1,2,1]]");
  await fails(/clicks of object "1"\.points\[0\]: \(500, 2\) is outside the 160×120 frame/, ...base, "--frame", "0", "--points", "[[500,2,1]]");
  await fails(/--end 2 is before the start frame 4/, ...base, "--frame", "4", "--points", "[[1,2,1]]", "--direction", "forward", "--end", "2");
  await fails(/--direction must be both, forward or backward/, ...base, "--frame", "0", "--points", "[[1,2,1]]", "--direction", "sideways");
  await fails(/give the clicks with --points or --objects/, ...base, "--frame", "0");
  const notVideo = path.join(dir, "notes.mp4");
  writeFileSync(notVideo, "just some text, not a video\n");
  await fails(/--video: .*notes\.mp4.* not a video/, "propagate", "--models", models, "--video", notVideo, "--frame", "0", "--points", "[[1,2,1]]", "--out", path.join(dir, "x.json"));
  await fails(/--video: Cannot read '.*missing\.mp4'/, "propagate", "--models", models, "--video", path.join(dir, "missing.mp4"), "--frame", "0", "--points", "[[1,2,1]]", "--out", path.join(dir, "x.json"));
  const broken = path.join(dir, "broken-models");
  writeTinyModels(broken);
  writeFileSync(path.join(broken, "image_decoder.onnx"), "garbage");
  await fails(/--models: image_decoder: cannot load '.*image_decoder\.onnx' \(corrupt, truncated or not an ONNX model\?\)/, "propagate", "--models", broken, "--video", videoFile, "--frame", "0", "--points", "[[1,2,1]]", "--out", path.join(dir, "x.json"));
  await fails(/--models: SAM2 models directory '.*nowhere' does not exist/, "propagate", "--models", path.join(dir, "nowhere"), "--video", videoFile, "--frame", "0", "--points", "[[1,2,1]]", "--out", path.join(dir, "x.json"));
});
