// `synth export-molmo2` and the CLI end to end. The exported rows must equal the fixture rows that allenai/molmo2's
// own loader code parsed into expected.json (see test/fixtures/trainer/molmo2-loader/README.md).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import { fileURLToPath } from "node:url";
import { run } from "../../cli/commands/synth";
import { exportForMolmo2, MOLMO2_LAYOUT } from "../../trainer/export/molmo2";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "..", "..");
const fixtures = path.join(here, "..", "fixtures", "trainer", "molmo2-loader");
const tmp = mkdtempSync(path.join(os.tmpdir(), "gt-synth-export-"));
after(() => rmSync(tmp, { recursive: true, force: true }));
const cli = (...args: string[]) => spawnSync(process.execPath, ["cli/bin.mjs", "synth", ...args], { encoding: "utf8", cwd: root });

const src = path.join(tmp, "synth");
const out = path.join(tmp, "molmo2");
const generated = (() => {
  const r = cli("--out", src, "--videos", "4", "--seed", "42", "--frames", "10", "--width", "48", "--height", "32");
  return r;
})();

interface LoaderExample {
  video: string;
  sampling_fps: number;
  message_list: Array<{ style: string; label: string; sampling_fps: number; width: number; height: number; points: Array<{ frame: number; time: number; points: Record<string, { point: [number, number]; occluded: boolean }> }> }>;
  metadata: { example_id: string; video: string; video_fps: number; sampler_overrides: { frame_sample_mode: string; candidate_sampling_fps: number[]; min_fps: number } };
}

test("synth CLI writes videos, annotations and a manifest", () => {
  assert.equal(generated.status, 0, generated.stderr);
  assert.match(generated.stdout, /wrote 4 videos and \d+ TrackAny examples .*train 2 \(seeds 44–45\), val 1 \(seeds 43–43\), test 1 \(seeds 42–42\)/);
  for (const f of ["manifest.json", "videos/synth-42.mp4", "annotations/synth-45_q0.json"]) assert.ok(existsSync(path.join(src, f)), f);
});

test("synth CLI: bad options are user errors naming the option", async () => {
  const x = path.join(tmp, "x");
  await assert.rejects(run(["--out", x, "--videos", "2"]), { name: "UserError", message: /--seed is required/ });
  await assert.rejects(run(["--out", x, "--videos", "2", "--seed", "1", "--fps", "ten"]), { name: "UserError", message: /--fps must be an integer, got 'ten'/ });
  await assert.rejects(run(["--out", x, "--videos", "0", "--seed", "1"]), { name: "UserError", message: /^--videos: / });
  await assert.rejects(run(["--out", x, "--videos", "2", "--seed", "1", "--sampling-fps", "3"]), { name: "UserError", message: /sampling fps 3 must divide fps 10/ });
  await assert.rejects(run(["--out", x, "--videos", "2", "--seed", "1", "--jobs", "0"]), { name: "UserError", message: /--jobs must be at least 1/ });
  await assert.rejects(run(["export-molmo2", "--in", x]), { name: "UserError", message: /--out is required/ });
  assert.equal(existsSync(x), false, "nothing written for bad options");
});

test("export-molmo2: rows equal the fixture the reference loader parsed; videos where the loader looks", async () => {
  assert.equal(generated.status, 0, generated.stderr);
  const r = await exportForMolmo2(src, out);
  assert.deepEqual(r.rows, { train: 16, val: 3, test: 6 });
  assert.equal(r.videos, 4);
  const rows = readFileSync(path.join(out, MOLMO2_LAYOUT.rows("train")), "utf8");
  assert.equal(rows, readFileSync(path.join(fixtures, "train.jsonl"), "utf8"));
  const expected = JSON.parse(readFileSync(path.join(fixtures, "expected.json"), "utf8")) as { requested_cache_dir: string; examples: LoaderExample[] };
  assert.equal(expected.requested_cache_dir, MOLMO2_LAYOUT.hfCache("train"));
  const parsed = rows.trim().split("\n").map((l) => JSON.parse(l));
  assert.equal(expected.examples.length, parsed.length);
  expected.examples.forEach((ex, i) => {
    const row = parsed[i];
    assert.deepEqual(Object.keys(row), ["id", "video", "expression", "fps", "sampling_fps", "height", "n_frames", "width", "task", "frame_trajectories", "mask_id", "obj_id", "qid", "anno_id"]);
    assert.equal(ex.metadata.example_id, row.id);
    assert.equal(ex.video, `${MOLMO2_LAYOUT.videoHome}/${row.video}.mp4`);
    assert.ok(existsSync(path.join(out, ex.video)), ex.video);
    const msg = ex.message_list[0];
    assert.equal(msg.style, "video_point_track_per_frame");
    assert.equal(msg.label, row.expression);
    // The loader keys points by the index of the object in mask_id.
    assert.deepEqual(
      msg.points.map((p) => ({ frame: p.frame, time: p.time, points: Object.entries(p.points).map(([k, v]) => ({ id: Number(row.mask_id[Number(k)]), point: v.point, occluded: v.occluded })) })),
      row.frame_trajectories,
    );
    assert.equal(ex.metadata.sampler_overrides.min_fps, row.sampling_fps);
  });
  for (const s of ["val", "test"]) assert.ok(readFileSync(path.join(out, MOLMO2_LAYOUT.rows(s)), "utf8").trim().split("\n").length >= 1);
  const masks = JSON.parse(readFileSync(path.join(out, MOLMO2_LAYOUT.masks(parsed[0].id)), "utf8"));
  assert.deepEqual(Object.keys(masks), parsed[0].mask_id);
  assert.equal(masks[parsed[0].mask_id[0]].length, 10);
  const readme = readFileSync(path.join(out, "README.md"), "utf8");
  assert.match(readme, /torchrun --nproc-per-node=8 launch_scripts\/sft\.py/);
  assert.match(readme, /What was verified/);
  assert.match(readFileSync(path.join(out, "groundtrack", "build_hf_cache.py"), "utf8"), /save_to_disk/);
});

test("export-molmo2 refuses tampered input and an existing export, naming the file", async () => {
  assert.equal(generated.status, 0, generated.stderr);
  await assert.rejects(exportForMolmo2(src, out), /already holds an export/);
  const copy = path.join(tmp, "tampered");
  spawnSync("cp", ["-r", src, copy]);
  writeFileSync(path.join(copy, "videos", "synth-43.mp4"), "not a video");
  await assert.rejects(exportForMolmo2(copy, path.join(tmp, "o2")), /synth-43\.mp4: sha256 differs/);
  await assert.rejects(exportForMolmo2(path.join(tmp, "nope"), path.join(tmp, "o3")), /manifest\.json: cannot read/);
  await assert.rejects(run(["export-molmo2", "--in", path.join(tmp, "nope"), "--out", path.join(tmp, "o4")]), { name: "UserError", message: /manifest\.json: cannot read/ });
});
