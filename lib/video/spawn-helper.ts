// Child processes (ffmpeg, ffprobe) started from a small helper process instead of this one.
//
// Node's spawn forks the calling process. fork() copies the caller's page tables, blocking the calling thread for
// as long as that takes (and, meanwhile, page faults on the process's other threads). In a process holding
// onnxruntime sessions that is the thread running the models: 17–33 ms per spawn at 0.5–0.6 GB resident, measured
// in the SAM2 loop, which starts ffmpeg once per chunk of frames (`npm run bench:spawn` measures it). The helper is
// a bare node process whose forks block only its own thread (2–3 ms for a 0.1 GB process, measured here).
//
// Protocol (IPC channel, "advanced" serialization so bytes travel as bytes):
//   parent → helper  { op: "spawn", id, bin, args, stdin?, niceness } | { op: "kill", id }
//   helper → parent  { id, out } | { id, err } (stdout / stderr bytes) | { id, error } (could not start)
//                    | { id, code, signal } (the child closed: after all its output)
import { spawn, type ChildProcess } from "node:child_process";
import { setPriority } from "node:os";

/** What the helper reports for one child. */
export interface HelperEvents {
  stdout(chunk: Buffer): void;
  stderr(chunk: Buffer): void;
  /** The child could not be started (e.g. ENOENT), or the helper died while it ran. */
  error(message: string): void;
  close(code: number | null, signal: NodeJS.Signals | null): void;
}

type HelperMessage =
  | { id: number; out: Uint8Array }
  | { id: number; err: Uint8Array }
  | { id: number; error: string }
  | { id: number; code: number | null; signal: NodeJS.Signals | null };

// The helper's own source (CommonJS, run with `node -e`): it spawns, forwards, and kills its children when the
// parent goes away (the IPC channel closes when the parent exits or is killed).
const HELPER_SOURCE = `
const { spawn } = require("node:child_process");
const children = new Map();
const send = (m) => { if (process.connected) process.send(m); };
process.on("message", (m) => {
  if (m.op === "kill") { children.get(m.id)?.kill("SIGKILL"); return; }
  let c;
  try {
    c = spawn(m.bin, m.args, { stdio: [m.stdin ? "pipe" : "ignore", "pipe", "pipe"], shell: false });
    if (m.niceness > 0 && c.pid) try { require("node:os").setPriority(c.pid, m.niceness); } catch {}
  } catch (e) {
    return send({ id: m.id, error: String((e && e.message) || e) });
  }
  children.set(m.id, c);
  let failed = false;
  c.stdout.on("data", (d) => send({ id: m.id, out: d }));
  c.stderr.on("data", (d) => send({ id: m.id, err: d }));
  c.on("error", (e) => { failed = true; children.delete(m.id); send({ id: m.id, error: e.message }); });
  c.on("close", (code, signal) => { children.delete(m.id); if (!failed) send({ id: m.id, code, signal }); });
  if (m.stdin && c.stdin) { c.stdin.on("error", () => {}); c.stdin.end(Buffer.from(m.stdin)); }
});
process.on("disconnect", () => { for (const c of children.values()) c.kill("SIGKILL"); process.exit(0); });
`;

/**
 * Lowers a just-started child's scheduling priority (niceness 1–19, clamped by runBinary; 0 leaves it). Set right after spawn returns
 * (the child has exec'd and is starting): threads it creates later, such as ffmpeg's decoding threads, inherit it.
 * Best effort: a child that is already gone is ignored.
 */
export function lowerPriority(pid: number | undefined, niceness: number): void {
  if (!(niceness > 0) || pid === undefined) return;
  try {
    setPriority(pid, niceness);
  } catch {
    // exited already, or not permitted: it runs at the normal priority
  }
}

/** Resident memory above which spawns go through the helper by default: below it a fork is cheap (~2.5 ms at 0.1 GB). */
export const HELPER_MIN_RSS_BYTES = 256 * 2 ** 20;

/**
 * Whether this process should start children through the helper: `GROUNDTRACK_SPAWN_HELPER=1` always, `=0`
 * never, unset when the process is large enough for its forks to cost (HELPER_MIN_RSS_BYTES).
 */
export function useSpawnHelper(): boolean {
  const env = process.env.GROUNDTRACK_SPAWN_HELPER;
  if (env === "1") return true;
  if (env === "0") return false;
  return process.memoryUsage.rss() >= HELPER_MIN_RSS_BYTES;
}

class SpawnHelper {
  private readonly pending = new Map<number, HelperEvents>();
  private nextId = 0;
  readonly process: ChildProcess;
  /** Set once the helper has exited or failed: a new one is started for the next child. */
  dead = false;

  constructor() {
    const env = { ...process.env };
    delete env.NODE_OPTIONS; // no loaders or flags meant for this process
    this.process = spawn(process.execPath, ["-e", HELPER_SOURCE], { stdio: ["ignore", "ignore", "inherit", "ipc"], serialization: "advanced", env });
    this.process.on("message", (m: HelperMessage) => this.onMessage(m));
    const died = (why: string) => {
      if (this.dead) return;
      this.dead = true;
      for (const [id, ev] of [...this.pending]) {
        this.pending.delete(id);
        ev.error(why);
      }
    };
    this.process.on("error", (e) => died(`the process helper failed: ${e.message}`));
    this.process.on("exit", (code, signal) => died(`the process helper exited (${signal ?? `code ${code}`})`));
    this.idle();
  }

  /** Starts `bin` in the helper; returns a function that kills it. */
  start(bin: string, args: readonly string[], stdin: Uint8Array | undefined, niceness: number, ev: HelperEvents): () => void {
    const id = this.nextId++;
    this.pending.set(id, ev);
    if (this.pending.size === 1) this.busy();
    this.process.send({ op: "spawn", id, bin, args, stdin, niceness });
    return () => {
      if (this.pending.has(id) && !this.dead) this.process.send({ op: "kill", id });
    };
  }

  private onMessage(m: HelperMessage): void {
    const ev = this.pending.get(m.id);
    if (!ev) return;
    if ("out" in m) ev.stdout(Buffer.from(m.out.buffer, m.out.byteOffset, m.out.byteLength));
    else if ("err" in m) ev.stderr(Buffer.from(m.err.buffer, m.err.byteOffset, m.err.byteLength));
    else {
      this.pending.delete(m.id);
      if (this.pending.size === 0) this.idle();
      if ("error" in m) ev.error(m.error);
      else ev.close(m.code, m.signal);
    }
  }

  // An idle helper must not keep this process alive; one running a child must (as a directly spawned child would).
  private idle(): void {
    this.process.unref();
    this.process.channel?.unref();
  }

  private busy(): void {
    this.process.ref();
    this.process.channel?.ref();
  }
}

let helper: SpawnHelper | undefined;

/** Starts `bin` through the shared helper (started on first use, restarted after it died). */
export function spawnThroughHelper(bin: string, args: readonly string[], stdin: Uint8Array | undefined, niceness: number, ev: HelperEvents): () => void {
  if (!helper || helper.dead) helper = new SpawnHelper();
  return helper.start(bin, args, stdin, niceness, ev);
}

/** The helper's process id, if one is running (tests kill it to check a dying helper loses nothing). */
export function spawnHelperPid(): number | undefined {
  return helper && !helper.dead ? helper.process.pid : undefined;
}
