// `groundtrack eval mot` through cli/bin.mjs: the cached precompiled build (default) and the tsx path
// (GROUNDTRACK_PRECOMPILED=0) write the same results and report input errors the same way.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../", import.meta.url));
const fixture = fileURLToPath(new URL("../fixtures/metrics/mot/folder/", import.meta.url));

function cli(args: string[], precompiled: boolean) {
  const env = { ...process.env, GROUNDTRACK_PRECOMPILED: precompiled ? "1" : "0", GROUNDTRACK_PROGRESS: "0" };
  return spawnSync(process.execPath, [path.join(root, "cli/bin.mjs"), "eval", "mot", ...args], { cwd: root, env, encoding: "utf8" });
}

test("precompiled and tsx paths give identical results and identical input errors", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "gt-evalmot-bin-"));
  try {
    cpSync(fixture, dir, { recursive: true });
    const base = ["--gt-folder", path.join(dir, "gt"), "--trackers-folder", path.join(dir, "trackers"), "--benchmark", "MOT20", "--split", "train", "--quiet"];
    const outs: string[] = [];
    for (const precompiled of [true, false]) {
      const out = path.join(dir, `out-${precompiled}.json`);
      const r = cli([...base, "--out", out], precompiled);
      assert.equal(r.status, 0, r.stderr);
      outs.push(readFileSync(out, "utf8"));
    }
    assert.equal(outs[0], outs[1]);
    const expected = JSON.parse(readFileSync(path.join(dir, "expected.json"), "utf8")).results["MOT20-train"];
    const got = JSON.parse(outs[0]).trackers;
    assert.ok(Math.abs(got.trA.COMBINED_SEQ.CLEAR.MOTA - expected.trA.COMBINED_SEQ.CLEAR.MOTA) < 1e-9);

    const errors = [true, false].map((precompiled) => cli([...base, "--benchmark", "bad name!", "--out", path.join(dir, "x.json")], precompiled));
    for (const r of errors) {
      assert.equal(r.status, 1);
      assert.match(r.stderr, /^groundtrack eval: --benchmark must be a plain name like MOT17/);
    }
    assert.equal(errors[0].stderr, errors[1].stderr);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("--threads 2 (worker threads over sequences) writes exactly what the serial run writes", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "gt-evalmot-threads-"));
  try {
    cpSync(fixture, dir, { recursive: true });
    const base = ["--gt-folder", path.join(dir, "gt"), "--trackers-folder", path.join(dir, "trackers"), "--benchmark", "MOTSYN", "--split", "train", "--quiet"];
    const outs = ["1", "2", "3"].map((threads) => {
      const out = path.join(dir, `out-${threads}.json`);
      const r = cli([...base, "--threads", threads, "--out", out], true);
      assert.equal(r.status, 0, r.stderr);
      return readFileSync(out, "utf8");
    });
    assert.equal(outs[1], outs[0]);
    assert.equal(outs[2], outs[0]);
    // An input error found by a worker is reported exactly as the serial run reports it.
    const gtFile = path.join(dir, "gt", "MOTSYN-train", "SYN-sparse", "gt", "gt.txt");
    const lines = readFileSync(gtFile, "utf8").split("\n");
    lines[1] = lines[1].replace(/^(\d+),(\d+),[^,]*,/, "$1,$2,abc,");
    writeFileSync(gtFile, lines.join("\n"));
    const errs = ["1", "2"].map((threads) => cli([...base, "--threads", threads, "--out", path.join(dir, "x.json")], true));
    for (const r of errs) assert.equal(r.status, 1);
    assert.match(errs[0].stderr, /SYN-sparse\/gt\/gt\.txt line 2: field 'bb_left' is not a number/);
    assert.equal(errs[1].stderr, errs[0].stderr);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
