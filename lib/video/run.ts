// Runs a binary with an argument array (never a shell) and collects its output.
import { spawn } from "node:child_process";
import { VideoError } from "./errors";

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
    const child = spawn(bin, args, { stdio: [opts.stdin ? "pipe" : "ignore", "pipe", "pipe"], shell: false });
    const stdout = child.stdout!; // both are "pipe" above
    const stderr = child.stderr!;
    const out: Buffer[] = [];
    let err = "";
    const maxErr = opts.maxStderr ?? 4_000_000;
    let timer: NodeJS.Timeout | undefined;
    if (opts.timeoutMs) timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs);
    stdout.on("data", (c: Buffer) => (opts.onStdout ? opts.onStdout(c) : out.push(c)));
    stderr.setEncoding("utf8");
    let partial = "";
    stderr.on("data", (c: string) => {
      err += c;
      if (err.length > maxErr) err = err.slice(err.length - maxErr);
      if (opts.onStderrLine) {
        const lines = (partial + c).split(/\r\n|\n|\r/);
        partial = lines.pop() ?? "";
        for (const l of lines) opts.onStderrLine(l);
      }
    });
    child.on("error", (e) => {
      if (timer) clearTimeout(timer);
      reject(new VideoError("io", `could not start ${bin}: ${e.message}`, { cause: e }));
    });
    child.on("close", (code, signal) => {
      if (timer) clearTimeout(timer);
      if (opts.onStderrLine && partial) opts.onStderrLine(partial);
      resolve({ code, signal, stdout: Buffer.concat(out), stderr: err });
    });
    if (opts.stdin && child.stdin) {
      child.stdin.on("error", () => {}); // EPIPE when the process exits early; the exit code reports it
      child.stdin.end(opts.stdin);
    }
  });
}
