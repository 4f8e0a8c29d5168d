import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";

const bin = "cli/bin.mjs";

test("groundtrack help lists commands and exits 0", () => {
  const r = spawnSync(process.execPath, [bin, "help"], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /usage: groundtrack <command>/);
});

test("an unknown command is a clear error with exit code 2", () => {
  const r = spawnSync(process.execPath, [bin, "frobnicate"], { encoding: "utf8" });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /unknown command 'frobnicate'/);
});
