// `groundtrack grounding parse` (runParse): JSON output, typed parse errors, option validation.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { runParse } from "../../cli/commands/grounding-parse.ts";

async function capture(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const log = console.log;
  const error = console.error;
  console.log = (...a: unknown[]) => void out.push(a.join(" "));
  console.error = (...a: unknown[]) => void err.push(a.join(" "));
  try {
    const code = await runParse(argv);
    return { code, out: out.join("\n"), err: err.join("\n") };
  } finally {
    console.log = log;
    console.error = error;
  }
}

test("prints tracks with frame = round(time*fps) when --fps is given", async () => {
  const r = await capture(["--text", '<tracks coords="0.5 1 100 200;1.0 1 150 250 2 999 000">a</tracks>', "--width", "640", "--height", "480", "--fps", "30"]);
  assert.equal(r.code, 0);
  assert.deepEqual(JSON.parse(r.out), {
    tracks: [
      { frame: 15, time: 0.5, points: [{ id: 1, x: 64, y: 96 }] },
      { frame: 30, time: 1, points: [{ id: 1, x: 96, y: 120 }, { id: 2, x: 639.36, y: 0 }] },
    ],
  });
});

test("prints points with their frame field without --fps, reading --file", async () => {
  const dir = mkdtempSync(path.join(tmpdir(), "gt-parse-"));
  const file = path.join(dir, "answer.txt");
  writeFileSync(file, 'Counting the <points coords="1 1 100 200;2 2 500 500">cup</points> shows a total of 2.');
  const r = await capture(["--file", file, "--width", "1000", "--height", "100"]);
  assert.equal(r.code, 0);
  assert.deepEqual(JSON.parse(r.out), { points: [{ frame: 1, x: 100, y: 20 }, { frame: 2, x: 500, y: 50 }] });
});

test("a text the reference cannot parse exits 1 with the message and character offset", async () => {
  const r = await capture(["--text", '<tracks coords="1.2.3 1 100 200">a</tracks>', "--width", "10", "--height", "10", "--fps", "2"]);
  assert.equal(r.code, 1);
  assert.match(r.err, /could not convert string to float: '1\.2\.3' \(at character 16\)/);
  assert.equal(r.out, "");
});

test("bad options are user errors naming the option", async () => {
  await assert.rejects(capture(["--text", "x", "--width", "abc", "--height", "5"]), { name: "UserError", message: /--width must be a finite number/ });
  await assert.rejects(capture(["--width", "3", "--height", "5"]), { name: "UserError", message: /exactly one of --text and --file/ });
  await assert.rejects(capture(["--text", "x", "--width", "3", "--height", "5", "--fps", "0"]), { name: "UserError", message: /--fps must be > 0/ });
  await assert.rejects(capture(["--file", path.join(mkdtempSync(path.join(tmpdir(), "gt-parse-")), "missing.txt"), "--width", "3", "--height", "5"]), { name: "UserError", message: /cannot read --file/ });
});

test("--legacy-format video_point_track_all_frames_with_occlusion reports occlusion per point", async () => {
  const text = 'time 0.50\n{0: [50.0, 25.0], 1: [10.0, 10.0, "yes"]}';
  const r = await capture(["--text", text, "--width", "200", "--height", "100", "--fps", "2", "--legacy-format", "video_point_track_all_frames_with_occlusion"]);
  assert.equal(r.code, 0);
  const tracks = (JSON.parse(r.out) as { tracks: Array<{ frame: number; points: Array<{ id: number; occluded: boolean }> }> }).tracks;
  assert.equal(tracks[0].frame, 1);
  assert.deepEqual(tracks[0].points.map((p) => [p.id, p.occluded]), [[0, false], [1, true]]);
});
