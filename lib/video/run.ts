// Runs a binary with an argument array (never a shell) and collects its output. Large processes (those holding
// models) start it through a small helper process, not by forking themselves (spawn-helper.ts).
import { spawn } from "node:child_process";
import { StringDecoder } from "node:string_decoder";
import { VideoError } from "./errors";
import { lowerPriority, spawnThroughHelper, useSpawnHelper, type HelperEvents } from "./spawn-helper";

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: Buffer;
  stderr: string;
}

export interface RunOptions {
  /** Bytes written to stdin, then stdin is closed. Without it stdin is ignored. */
  stdin?: Uint8Array;
  /** Called with each stdout chunk; when set, stdout is not buffered into the result. */
  onStdout?: (chunk: Buffer) => void;
  /** Scheduling niceness of the process, 0–19 (clamped); default 0: this process's priority. */
  niceness?: number;
  /** Kill the process after this many milliseconds. */
  timeoutMs?: number;
  /** Keep at most this many characters of stderr (the tail is what matters for errors). */
  maxStderr?: number;
  /**
   * Called with every stderr line (split on \n and \r) as it arrives — for per-frame logs that would not fit
   * in the retained stderr tail.
   */
  onStderrLine?: (line: string) => void;
}

export function runBinary(bin: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const out: Buffer[] = [];
    let err = "";
    const maxErr = opts.maxStderr ?? 4_000_000;
    const decoder = new StringDecoder("utf8");
    let partial = "";
    let timer: NodeJS.Timeout | undefined;
    const onStderr = (c: string) => {
      err += c;
      if (err.length > maxErr) err = err.slice(err.length - maxErr);
      if (opts.onStderrLine) {
        const lines = (partial + c).split(/\r\n|\n|\r/);
        partial = lines.pop() ?? "";
        for (const l of lines) opts.onStderrLine(l);
      }
    };
    const events: HelperEvents = {
      stdout: (c) => (opts.onStdout ? opts.onStdout(c) : out.push(c)),
      stderr: (c) => onStderr(decoder.write(c)),
      error: (message) => {
        if (timer) clearTimeout(timer);
        reject(new VideoError("io", `could not start ${bin}: ${message}`));
      },
      close: (code, signal) => {
        if (timer) clearTimeout(timer);
        const rest = decoder.end();
        if (rest) onStderr(rest);
        if (opts.onStderrLine && partial) opts.onStderrLine(partial);
        resolve({ code, signal, stdout: Buffer.concat(out), stderr: err });
      },
    };
    const niceness = Math.max(0, Math.min(19, Math.round(opts.niceness ?? 0)));
    const kill = useSpawnHelper() ? spawnThroughHelper(bin, args, opts.stdin, niceness, events) : spawnHere(bin, args, opts.stdin, niceness, events);
    if (opts.timeoutMs) timer = setTimeout(kill, opts.timeoutMs);
  });
}

/** Starts `bin` from this process (a fork of it); returns a function that kills it. */
function spawnHere(bin: string, args: string[], stdin: Uint8Array | undefined, niceness: number, ev: HelperEvents): () => void {
  const child = spawn(bin, args, { stdio: [stdin ? "pipe" : "ignore", "pipe", "pipe"], shell: false });
  lowerPriority(child.pid, niceness);
  let failed = false;
  child.stdout!.on("data", ev.stdout); // both are "pipe" above
  child.stderr!.on("data", ev.stderr);
  child.on("error", (e) => {
    failed = true;
    ev.error(e.message);
  });
  child.on("close", (code, signal) => {
    if (!failed) ev.close(code, signal);
  });
  if (stdin && child.stdin) {
    child.stdin.on("error", () => {}); // EPIPE when the process exits early; the exit code reports it
    child.stdin.end(stdin);
  }
  return () => child.kill("SIGKILL");
}
