// `groundtrack models` in-process against a real SQLite database and real generated contract models.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { createTestDb, type TestDb } from "../helpers/db";
import { generateBuiltinModel } from "../../inference/builtin/generate-model";
import { getModelVersion, readPromotedPointer, registerBuiltinVersion, versionDir } from "../../lib/services/models";
import { run } from "../../cli/commands/models";

let t: TestDb;
let dir: string;
const saved = { db: process.env.DATABASE_URL, models: process.env.GROUNDTRACK_MODELS_DIR };

before(async () => {
  t = await createTestDb();
  dir = mkdtempSync(path.join(os.tmpdir(), "gt-cli-models-"));
  process.env.DATABASE_URL = t.url;
  process.env.GROUNDTRACK_MODELS_DIR = path.join(dir, "models");
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

describe("groundtrack models", () => {
  it("lists, registers an external model, promotes by hand and retires", async () => {
    assert.match((await cli("list")).out, /no model versions registered/);
    const r = await cli("register-external", "--name", "molmo2-ext", "--endpoint", "http://127.0.0.1:9/v1", "--model", "allenai/Molmo2-8B");
    assert.equal(r.code, 0);
    assert.match(r.out, /registered external model molmo2-ext: allenai\/Molmo2-8B @ http:\/\/127.0.0.1:9\/v1/);
    await generateBuiltinModel(versionDir("demo"), { version: "demo" });
    await registerBuiltinVersion(t.db, null, { version: "demo", dir: versionDir("demo"), snapshotId: null, benchmarkHash: null, metrics: {} });
    const p = await cli("promote", "demo", "--force", "--note", "bootstrap");
    assert.equal(p.code, 0);
    assert.equal(readPromotedPointer()?.version, "demo");
    assert.deepEqual((await getModelVersion(t.db, "demo")).comparison.manual, true);
    const list = (await cli("list")).out;
    assert.match(list, /demo\s+built-in\s+promoted/);
    assert.match(list, /molmo2-ext\s+external\s+candidate/);
    const json = JSON.parse((await cli("list", "--json")).out) as Array<{ version: string }>;
    assert.deepEqual(json.map((v) => v.version).sort(), ["demo", "molmo2-ext"]);
    assert.equal((await cli("retire", "demo")).code, 0);
    assert.equal(readPromotedPointer(), null);
  });

  it("bad input is a user error naming the option or version", async () => {
    const bad = async (re: RegExp, ...args: string[]) => assert.rejects(cli(...args), (e: unknown) => (e as Error).name === "UserError" && re.test((e as Error).message));
    await bad(/--endpoint is required/, "register-external", "--name", "x", "--model", "m");
    await bad(/endpoint: expected an http\(s\) URL/, "register-external", "--name", "x", "--endpoint", "ftp://h/v1", "--model", "m");
    await bad(/already exists/, "register-external", "--name", "molmo2-ext", "--endpoint", "http://127.0.0.1:9/v1", "--model", "m");
    await bad(/model version 'nope' not found/, "retire", "nope");
    await bad(/--snapshot ID is required/, "promote", "molmo2-ext");
    await bad(/snapshot #42 does not exist/, "promote", "molmo2-ext", "--snapshot", "42");
    await bad(/--version: /, "export", "--weights", dir, "--version", "bad name");
    await bad(/unknown subcommand 'frob'/, "frob");
  });
});
