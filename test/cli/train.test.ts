// `groundtrack train` in-process against a real SQLite database: snapshot, eval through the built-in runtime,
// export-molmo2 of a snapshot, runs listing, and user errors. (Training itself: test/trainer/service.)
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { createTestDb, type TestDb } from "../helpers/db";
import { generateBuiltinModel } from "../../inference/builtin/generate-model";
import { run } from "../../cli/commands/train";
import { tinySynth } from "../trainer/snapshot/world";

let t: TestDb;
let dir: string;
let synth: string;
const saved = { db: process.env.DATABASE_URL, models: process.env.GROUNDTRACK_MODELS_DIR };

before(async () => {
  t = await createTestDb();
  dir = mkdtempSync(path.join(os.tmpdir(), "gt-cli-train-"));
  process.env.DATABASE_URL = t.url;
  process.env.GROUNDTRACK_MODELS_DIR = path.join(dir, "models");
  synth = await tinySynth(dir);
  await generateBuiltinModel(path.join(dir, "demo"), { version: "demo" });
});
after(async () => {
  const { getDb } = await import("../../lib/db");
  await getDb().$disconnect();
  await t.close();
  rmSync(dir, { recursive: true, force: true });
  for (const [k, v] of [["DATABASE_URL", saved.db], ["GROUNDTRACK_MODELS_DIR", saved.models]] as const) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});

async function cli(...args: string[]): Promise<{ code: number; out: string }> {
  const lines: string[] = [];
  const log = console.log;
  console.log = (...a: unknown[]) => void lines.push(a.join(" "));
  try {
    return { code: await run(args), out: lines.join("\n") };
  } finally {
    console.log = log;
  }
}

describe("groundtrack train", () => {
  it("snapshot → eval → export-molmo2", async () => {
    const s = await cli("snapshot", "--out", path.join(dir, "snap"), "--tasks", "all", "--synth-from", synth, "--name", "cli");
    assert.equal(s.code, 0);
    assert.match(s.out, /^snapshot #1: .*snap: train [1-9]\d* synth \+ 0 task, val 0 synth \+ 0 task, test [1-9]\d* synth \+ 0 task; content hash [0-9a-f]{64}; frozen benchmark hash [0-9a-f]{64}$/);
    const row = await t.db.datasetSnapshot.findUniqueOrThrow({ where: { id: 1 } });
    assert.equal(row.name, "cli");
    const out = path.join(dir, "eval.json");
    const e = await cli("eval", "--snapshot", "1", "--model-dir", path.join(dir, "demo"), "--out", out);
    assert.equal(e.code, 0);
    assert.match(e.out, /^built-in:demo on \d+ test examples .*point F1 0\.\d{4} .*point HOTA 0\.\d{4}, count accuracy \d\.\d{4}, close accuracy \d\.\d{4}; \d+\.\d{3} s per example/);
    const report = JSON.parse(readFileSync(out, "utf8")) as { overall: { f1: number; examples: number }; benchmarkHash: string; split: string };
    assert.equal(report.benchmarkHash, row.benchmarkHash);
    assert.equal(report.split, "test");
    assert.ok(report.overall.f1 > 0 && report.overall.examples > 0);
    const x = await cli("export-molmo2", "--snapshot", "1", "--out", path.join(dir, "molmo2"));
    assert.equal(x.code, 0);
    assert.ok(existsSync(path.join(dir, "molmo2", "groundtrack", "export.json")));
    assert.match(readFileSync(path.join(dir, "molmo2", "groundtrack", "train.jsonl"), "utf8"), /"expression"/);
    assert.match((await cli("runs")).out, /no training runs/);
  });

  it("bad input is a user error naming the option, snapshot or run", async () => {
    const bad = async (re: RegExp, ...args: string[]) => assert.rejects(cli(...args), (e: unknown) => (e as Error).name === "UserError" && re.test((e as Error).message));
    await bad(/--out is required/, "snapshot");
    await bad(/--tasks must be all, none or comma-separated task ids/, "snapshot", "--out", path.join(dir, "x"), "--tasks", "1,x");
    await bad(/already exists/, "snapshot", "--out", path.join(dir, "snap"), "--synth-from", synth);
    await bad(/--seed is required with --videos/, "snapshot", "--out", path.join(dir, "y"), "--videos", "3");
    await bad(/--snapshot ID is required/, "run", "--steps", "2");
    await bad(/--steps is required/, "run", "--snapshot", "1");
    await bad(/dataset snapshot #99 does not exist/, "run", "--snapshot", "99", "--steps", "2");
    await bad(/training parameter lr: /, "run", "--snapshot", "1", "--steps", "2", "--lr=-1");
    await bad(/--config is not valid JSON/, "run", "--snapshot", "1", "--steps", "2", "--config", "{x");
    await bad(/training run #77 does not exist/, "resume", "77");
    await bad(/give either --model-dir DIR or --version NAME/, "eval", "--snapshot", "1");
    await bad(/model version 'nope' not found/, "eval", "--snapshot", "1", "--version", "nope");
    await bad(/--split must be train, val or test/, "eval", "--snapshot", "1", "--model-dir", dir, "--split", "dev");
    await bad(/unknown subcommand 'frob'/, "frob");
  });
});
