import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { importTracks } from "../../lib/formats";
import { run } from "../../cli/commands/tracks";
import { UserError } from "../../cli/args";

const fixtures = new URL("../fixtures/formats/", import.meta.url);
const fixture = (name: string) => path.join(fixtures.pathname, name);

function cli(...args: string[]) {
  return spawnSync(process.execPath, ["cli/bin.mjs", "tracks", ...args], { encoding: "utf8" });
}

test("tracks convert: CVAT -> MOT -> CVAT through files", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "gt-tracks-"));
  try {
    const mot = path.join(dir, "gt.txt");
    let r = cli("convert", "--in", fixture("cvat_video_points.xml"), "--from", "cvat", "--fps", "25", "--out", mot, "--to", "mot", "--box-size", "4");
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /2 objects, 6 keyframes, 6 frames/);
    const rows = readFileSync(mot, "utf8").trim().split("\n");
    assert.equal(rows[0], "1,0,8,18,4,4,1,-1,-1,-1");
    const xml = path.join(dir, "back.xml");
    r = cli("convert", "--in", mot, "--from", "mot", "--width", "640", "--height", "360", "--fps", "25", "--frames", "6", "--out", xml, "--to", "cvat");
    assert.equal(r.status, 0, r.stderr);
    const back = importTracks("cvat", readFileSync(xml, "utf8"), { fps: 25 });
    assert.ok(back.ok);
    assert.deepEqual(back.value.objects.map((o) => o.objectId), ["0", "1"]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

async function userError(...args: string[]): Promise<string> {
  try {
    await run(args);
  } catch (e) {
    assert.ok(e instanceof UserError, String(e));
    return e.message;
  }
  return assert.fail("expected a UserError");
}

test("tracks convert: errors name the file, line and field", async () => {
  const dir = mkdtempSync(path.join(tmpdir(), "gt-tracks-"));
  try {
    const bad = path.join(dir, "gt.txt");
    const lines = Array.from({ length: 11 }, (_, i) => `${i + 1},1,10,10,5,5,1,-1,-1,-1`);
    writeFileSync(bad, [...lines, "12,1,abc,10,5,5,1,-1,-1,-1", ""].join("\n"));
    const video = ["--width", "64", "--height", "48", "--fps", "10"];
    // through the real binary: message on stderr, exit code 1
    const r = cli("convert", "--in", bad, "--from", "mot", ...video, "--out", path.join(dir, "o.json"), "--to", "trackany", "--video-name", "v.mp4");
    assert.equal(r.status, 1);
    assert.match(r.stderr, /gt\.txt line 12: field 'bb_left' is not a number: 'abc'/);
    const out = path.join(dir, "o.json");
    assert.match(await userError("convert", "--in", fixture("gt.txt"), "--from", "mot", "--out", out, "--to", "cvat"), /mot input does not record width, height, fps; pass --width --height --fps/);
    assert.match(await userError("convert", "--in", fixture("gt.txt"), "--from", "mot", ...video, "--out", out, "--to", "trackany"), /cannot write trackany: TrackAny needs the video name/);
    assert.match(await userError("convert", "--in", fixture("gt.txt"), "--from", "xml", "--out", out, "--to", "mot"), /--from must be one of trackany, molmo2, mot, cvat/);
    assert.match(await userError("convert", "--in", fixture("gt.txt"), "--from", "mot", ...video, "--out", out, "--to", "trackany", "--video-name", "../v.mp4"), /--video-name "\.\.\/v\.mp4" contains a '\.' or '\.\.' path segment/);
    assert.match(await userError("convert", "--in", path.join(dir, "missing.txt"), "--from", "mot", "--out", out, "--to", "mot"), /cannot read --in/);
    assert.match(await userError("convert", "--in", fixture("gt.txt"), "--from", "mot", ...video, "--out", out, "--to", "mot", "--source", "robot"), /--source must be/);
    assert.match(await userError("convert", "--in", fixture("tracks_molmo2.txt"), "--from", "molmo2", ...video, "--out", out, "--to", "mot"), /pass --frames/);
    assert.match(await userError("frobnicate"), /unknown subcommand 'frobnicate'/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("tracks: help lists the formats", () => {
  const r = cli("--help");
  assert.equal(r.status, 0);
  assert.match(r.stdout, /formats: trackany \| molmo2 \| mot \| cvat/);
});
