// `groundtrack sam2|query` started without the inference node flags rerun themselves in a child node that has them
// (cli/bin.mjs): same output and exit code as a direct run, signals passed on, no child left behind a killed parent.
import assert from "node:assert/strict";
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { generateSyntheticVideo } from "../../lib/video";
import { INFERENCE_NODE_FLAGS } from "../../scripts/inference-node-flags.mjs";

const bin = "cli/bin.mjs";
let dir: string;
let video: string;
let server: Server;
let endpoint: string;
/** Requests the hanging server has received (never answered). */
let requests = 0;

before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "gt-rerun-"));
  video = path.join(dir, "v.mp4");
  await generateSyntheticVideo(video, { width: 64, height: 48, frames: 4, fps: 4, objects: [{ id: 1, category: "square", colour: "red", size: 8, path: [{ frame: 0, x: 20, y: 20 }] }] }, 1);
  server = createServer(() => void requests++);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});
after(() => {
  server.closeAllConnections();
  server.close();
  rmSync(dir, { recursive: true, force: true });
});

function childrenOf(pid: number): number[] {
  try {
    return execFileSync("ps", ["-o", "pid=", "--ppid", String(pid)], { encoding: "utf8" }).split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return []; // ps exits 1 when there are none
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function until(what: string, ok: () => boolean, ms = 15000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** `query` against the server that never answers: runs until stopped. */
function hangingQuery() {
  const args = [bin, "query", "--video", video, "--expression", "the red squares", "--runtime", "remote", "--endpoint", endpoint, "--model", "m", "--timeout", "120", "--retries", "0", "--out", path.join(dir, "t.json")];
  return spawn(process.execPath, args, { stdio: ["ignore", "ignore", "pipe"] });
}

test("a rerun gives the same exit code and message as a run started with the flags", () => {
  const args = ["sam2", "propagate", "--models", dir, "--video", path.join(dir, "missing.mp4"), "--frame", "0", "--points", "[[1,1,1]]", "--out", path.join(dir, "m.json")];
  const rerun = spawnSync(process.execPath, [bin, ...args], { encoding: "utf8" });
  const direct = spawnSync(process.execPath, [...INFERENCE_NODE_FLAGS, bin, ...args], { encoding: "utf8" });
  assert.notEqual(direct.status, 0);
  assert.match(direct.stderr, /missing\.mp4/);
  assert.equal(rerun.status, direct.status);
  assert.equal(rerun.stderr, direct.stderr);
});

test("a parent killed with SIGKILL takes its rerun child with it", async () => {
  const before = requests;
  const parent = hangingQuery();
  await until("the query to reach the server", () => requests > before);
  const kids = childrenOf(parent.pid!);
  assert.equal(kids.length, 1, "one rerun child");
  parent.kill("SIGKILL");
  await until("the orphaned child to exit", () => !alive(kids[0]));
});

test("SIGTERM to the parent is passed on; the parent exits with the child's status", async () => {
  const before = requests;
  const parent = hangingQuery();
  await until("the query to reach the server", () => requests > before);
  const [kid] = childrenOf(parent.pid!);
  const exited = new Promise<number | null>((r) => parent.on("exit", (code) => r(code)));
  parent.kill("SIGTERM");
  assert.equal(await exited, 143);
  assert.equal(alive(kid), false);
});
