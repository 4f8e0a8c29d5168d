// Benchmark: `groundtrack eval davis` vs davis2017-evaluation's evaluation_method.py (python3, checkout at
// $DAVIS_EVAL_DIR) on a generated 480p DAVIS-layout case, both tasks, timed in the same run as whole processes
// under /usr/bin/time (wall time and peak RSS). Prints the speed ratio, both peaks, and whether the printed
// tables and the CSVs are identical.
// Usage: npm run bench:metrics   (or: node --import tsx bench/metrics/davis.ts [--sequences N] [--frames N] [--keep])
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, unlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { generateSequence, writeDavisLayout, type SyntheticSequence } from "../../lib/metrics/davis/synthetic";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const TASKS = ["semi-supervised", "unsupervised"] as const;

interface Run {
  seconds: number;
  /** user + system CPU seconds (less sensitive than wall time to a busy machine). */
  cpuSeconds: number | null;
  peakMiB: number | null;
  stdout: string;
}

/** Runs a command, measuring wall time and (when /usr/bin/time exists) the peak resident set size. */
function measure(cmd: string, args: string[], cwd: string): Run {
  const timeBin = "/usr/bin/time";
  const useTime = existsSync(timeBin);
  const stats = path.join(tmpdir(), `gt-davis-bench-time-${process.pid}.txt`);
  const start = performance.now();
  const r = useTime
    ? spawnSync(timeBin, ["-f", "%M %U %S", "-o", stats, cmd, ...args], { cwd, encoding: "utf8", maxBuffer: 1 << 28 })
    : spawnSync(cmd, args, { cwd, encoding: "utf8", maxBuffer: 1 << 28 });
  const seconds = (performance.now() - start) / 1000;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed (${r.status}):\n${r.stderr}\n${r.stdout}`);
  let peakMiB: number | null = null;
  let cpuSeconds: number | null = null;
  if (useTime) {
    const [kb, user, sys] = (readFileSync(stats, "utf8").trim().split("\n").pop() ?? "").split(" ").map(Number);
    peakMiB = Number.isFinite(kb) ? kb / 1024 : null;
    cpuSeconds = Number.isFinite(user) && Number.isFinite(sys) ? user + sys : null;
    unlinkSync(stats);
  }
  return { seconds, cpuSeconds, peakMiB, stdout: r.stdout };
}

/** A python3 that can import what davis2017-evaluation needs. */
function findPython(): string | null {
  const candidates = [process.env.DAVIS_PYTHON, "python3", "/usr/bin/python3"].filter((c): c is string => !!c);
  for (const py of candidates) {
    const r = spawnSync(py, ["-c", "import numpy, scipy, cv2, skimage, pandas, PIL, tqdm"], { encoding: "utf8" });
    if (r.status === 0) return py;
  }
  return null;
}

/** The tables between the "Global results" banner and the timing line. */
function tables(stdout: string): string {
  const start = stdout.indexOf("--------------------------- Global results");
  const end = stdout.indexOf("\nTotal time:");
  return start < 0 ? "" : stdout.slice(start, end < 0 ? undefined : end).trimEnd();
}

function removeCsvs(dir: string): void {
  for (const f of readdirSync(dir)) if (f.endsWith(".csv")) unlinkSync(path.join(dir, f));
}

function generate(dir: string, numSequences: number, frames: number): { sequences: SyntheticSequence[]; objects: number } {
  const sequences: SyntheticSequence[] = [];
  let objects = 0;
  for (let i = 0; i < numSequences; i++) {
    const n = 2 + (i % 3);
    objects += n;
    sequences.push(
      generateSequence({
        name: `bench-${String(i + 1).padStart(2, "0")}`,
        frames,
        width: 854,
        height: 480,
        objects: n,
        seed: 1000 + i,
        voidBand: i % 2 === 0,
        jitter: 6,
        absent: [[n, Math.floor(frames / 3), Math.floor(frames / 2)]],
        emptyPredFrames: [Math.floor(frames / 4)],
      }),
    );
  }
  writeDavisLayout(path.join(dir, "davis"), path.join(dir, "results"), sequences);
  return { sequences, objects };
}

export async function runDavisBench(argv: string[] = []): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: { sequences: { type: "string", default: "4" }, frames: { type: "string", default: "40" }, keep: { type: "boolean", default: false } },
  });
  const numSequences = Number(values.sequences);
  const frames = Number(values.frames);
  const dir = mkdtempSync(path.join(tmpdir(), "gt-davis-bench-"));
  try {
    const t0 = performance.now();
    const { objects } = generate(dir, numSequences, frames);
    console.log(
      `[bench davis] case: ${numSequences} sequences x ${frames} frames of 854x480, ${objects} objects, void bands, absent objects ` +
        `(generated in ${((performance.now() - t0) / 1000).toFixed(1)} s at ${dir})`,
    );
    const refDir = process.env.DAVIS_EVAL_DIR;
    const python = refDir && existsSync(path.join(refDir, "evaluation_method.py")) ? findPython() : null;
    if (!refDir || !existsSync(path.join(refDir, "evaluation_method.py"))) {
      console.log("[bench davis] reference not found: set DAVIS_EVAL_DIR to a davis2017-evaluation checkout to compare");
    } else if (!python) {
      console.log("[bench davis] reference found but no python3 with numpy, scipy, opencv, scikit-image, pandas, pillow, tqdm; set DAVIS_PYTHON");
    }
    const davis = path.join(dir, "davis");
    const results = path.join(dir, "results");
    for (const task of TASKS) {
      const ours = measure(
        process.execPath,
        ["cli/bin.mjs", "eval", "davis", "--davis-root", davis, "--results", results, "--set", "val", "--task", task, "--csv-dir", path.join(dir, `csv-${task}`)],
        root,
      );
      const mem = (r: Run) => (r.peakMiB === null ? "n/a" : `${r.peakMiB.toFixed(0)} MiB`);
      const cpu = (r: Run) => (r.cpuSeconds === null ? "" : ` (cpu ${r.cpuSeconds.toFixed(2)} s)`);
      let line = `[bench davis] ${task.padEnd(15)} groundtrack ${ours.seconds.toFixed(2)} s${cpu(ours)}, peak ${mem(ours)}`;
      if (python && refDir) {
        removeCsvs(results); // evaluation_method.py would print cached CSVs instead of evaluating
        const ref = measure(python, ["evaluation_method.py", "--davis_path", davis, "--results_path", results, "--set", "val", "--task", task], refDir);
        const sameTables = tables(ours.stdout) === tables(ref.stdout) && tables(ours.stdout) !== "";
        const sameCsv = ["global_results-val.csv", "per-sequence_results-val.csv"].every(
          (f) => readFileSync(path.join(results, f), "utf8") === readFileSync(path.join(dir, `csv-${task}`, f), "utf8"),
        );
        removeCsvs(results);
        line +=
          ` | davis2017-evaluation ${ref.seconds.toFixed(2)} s${cpu(ref)}, peak ${mem(ref)}` +
          ` | speed x${(ref.seconds / ours.seconds).toFixed(1)} wall` +
          (ours.cpuSeconds && ref.cpuSeconds ? ` / x${(ref.cpuSeconds / ours.cpuSeconds).toFixed(1)} cpu` : "") +
          (ours.peakMiB && ref.peakMiB ? `, memory ${(ref.peakMiB / ours.peakMiB).toFixed(1)}x less` : "") +
          ` | printed tables ${sameTables ? "identical" : "DIFFER"}, CSVs ${sameCsv ? "identical" : "DIFFER"}`;
        if (!sameTables) console.log(`--- groundtrack\n${tables(ours.stdout)}\n--- reference\n${tables(ref.stdout)}`);
      }
      console.log(line);
    }
  } finally {
    if (!values.keep) rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await runDavisBench(process.argv.slice(2));
}
