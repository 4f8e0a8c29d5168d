import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { getPriority, tmpdir } from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { VideoError } from "../../lib/video/errors";
import { runBinary } from "../../lib/video/run";
import { HELPER_MIN_RSS_BYTES, spawnHelperPid, useSpawnHelper } from "../../lib/video/spawn-helper";

const node = process.execPath;
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/** Runs `fn` with children started through the helper (`true`) or forked from this process (`false`). */
async function withHelper<T>(on: boolean, fn: () => Promise<T>): Promise<T> {
  const before = process.env.GROUNDTRACK_SPAWN_HELPER;
  process.env.GROUNDTRACK_SPAWN_HELPER = on ? "1" : "0";
  try {
    return await fn();
  } finally {
    if (before === undefined) delete process.env.GROUNDTRACK_SPAWN_HELPER;
    else process.env.GROUNDTRACK_SPAWN_HELPER = before;
  }
}

describe("spawn helper", () => {
  after(() => {
    const pid = spawnHelperPid();
    if (pid) process.kill(pid, "SIGKILL");
  });

  it("gives runBinary the same result as a child forked from this process: stdout, stdin, stderr lines, exit code", async () => {
    // Echoes stdin, writes binary stdout (all 256 byte values) and stderr lines split by \n, \r\n and \r, exits 3.
    const script = [
      "let s = [];",
      "process.stdin.on('data', (d) => s.push(d));",
      "process.stdin.on('end', () => {",
      "  process.stdout.write(Buffer.concat([Buffer.concat(s), Buffer.from(Array.from({ length: 256 }, (_, i) => i))]));",
      "  process.stderr.write('first\\nsecond\\r\\nthird\\rfourth ünïcode');",
      "  process.exitCode = 3;",
      "});",
    ].join("\n");
    const run = async () => {
      const lines: string[] = [];
      const r = await runBinary(node, ["-e", script], { stdin: Buffer.from("hello"), onStderrLine: (l) => lines.push(l) });
      return { ...r, lines };
    };
    const direct = await withHelper(false, run);
    const helped = await withHelper(true, run);
    assert.ok(spawnHelperPid(), "the helper ran the second child");
    assert.equal(direct.code, 3);
    assert.deepEqual(direct.lines, ["first", "second", "third", "fourth ünïcode"]);
    assert.equal(direct.stdout.length, 5 + 256);
    assert.deepEqual(helped, direct);
  });

  it("starts a child at a lower priority when asked (niceness), both ways", async () => {
    // The child reports its own niceness after a pause (it is set just after the child starts).
    const script = "setTimeout(() => process.stdout.write(String(require('os').getPriority())), 300)";
    for (const helper of [false, true]) {
      const lowered = await withHelper(helper, () => runBinary(node, ["-e", script], { niceness: 7 }));
      assert.equal(lowered.stdout.toString(), String(Math.max(7, getPriority())), `helper ${helper}`);
      const normal = await withHelper(helper, () => runBinary(node, ["-e", script]));
      assert.equal(normal.stdout.toString(), String(getPriority()), `helper ${helper}: this process's priority by default`);
    }
  });

  it("streams large stdout in order through onStdout", async () => {
    const chunks: Buffer[] = [];
    const r = await withHelper(true, () =>
      runBinary(node, ["-e", "const b = Buffer.alloc(3e6); for (let i = 0; i < b.length; i++) b[i] = i % 251; process.stdout.write(b);"], { onStdout: (c) => chunks.push(c) }),
    );
    const all = Buffer.concat(chunks);
    assert.equal(r.code, 0);
    assert.equal(r.stdout.length, 0, "streamed output is not also buffered");
    assert.equal(all.length, 3e6);
    for (let i = 0; i < all.length; i += 9973) assert.equal(all[i], i % 251);
  });

  it("kills a child that runs past its timeout", async () => {
    const t0 = Date.now();
    const r = await withHelper(true, () => runBinary(node, ["-e", "setTimeout(() => {}, 60000)"], { timeoutMs: 300 }));
    assert.equal(r.signal, "SIGKILL");
    assert.ok(Date.now() - t0 < 20_000);
  });

  it("reports a binary that cannot be started as it does without the helper", async () => {
    const missing = path.join(tmpdir(), "no-such-binary-gt");
    const direct = await withHelper(false, () => runBinary(missing, []).then(() => "ran", (e: unknown) => e));
    const helped = await withHelper(true, () => runBinary(missing, []).then(() => "ran", (e: unknown) => e));
    for (const e of [direct, helped]) {
      assert.ok(e instanceof VideoError, String(e));
      assert.equal(e.code, "io");
      assert.match(e.message, /could not start .*no-such-binary-gt: .*ENOENT/);
    }
  });

  it("fails the children of a helper that dies with a clear error, and starts a new helper for the next one", async () => {
    const pending = withHelper(true, () => runBinary(node, ["-e", "setTimeout(() => {}, 60000)"], { timeoutMs: 60_000 }));
    const pid = spawnHelperPid();
    assert.ok(pid);
    await new Promise((r) => setTimeout(r, 200));
    process.kill(pid, "SIGKILL");
    await assert.rejects(pending, (e: unknown) => e instanceof VideoError && e.code === "io" && /process helper exited \(SIGKILL\)/.test(e.message));
    const r = await withHelper(true, () => runBinary(node, ["-e", "process.stdout.write('again')"]));
    assert.equal(r.stdout.toString(), "again");
    assert.notEqual(spawnHelperPid(), pid);
  });

  it("does not keep an idle process alive", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "gt-spawn-helper-"));
    try {
      const file = path.join(dir, "main.mts");
      writeFileSync(
        file,
        `import { runBinary } from ${JSON.stringify(path.join(root, "lib/video/run.ts"))};\n` +
          `const r = await runBinary(process.execPath, ["-e", "process.stdout.write('ok')"]);\n` +
          `console.log(r.stdout.toString());\n`,
      );
      const r = spawnSync(node, ["--import", "tsx", file], { cwd: root, env: { ...process.env, GROUNDTRACK_SPAWN_HELPER: "1" }, encoding: "utf8", timeout: 30_000 });
      assert.equal(r.signal, null, "the process exited by itself (it was not killed by the 30 s timeout)");
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout.trim(), "ok");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("is used by default only in a large process", async () => {
    await withHelper(true, async () => assert.equal(useSpawnHelper(), true));
    await withHelper(false, async () => assert.equal(useSpawnHelper(), false));
    const before = process.env.GROUNDTRACK_SPAWN_HELPER;
    delete process.env.GROUNDTRACK_SPAWN_HELPER;
    try {
      assert.equal(useSpawnHelper(), process.memoryUsage.rss() >= HELPER_MIN_RSS_BYTES);
    } finally {
      if (before !== undefined) process.env.GROUNDTRACK_SPAWN_HELPER = before;
    }
  });
});
