// `groundtrack eval <mot|davis|tracks> ...`: scoring against references. `mot` is TrackEval's MOTChallenge 2D-box
// evaluation (HOTA, CLEAR, Identity, Count); `davis` and `tracks` live in their own modules, loaded lazily.
import { writeFileSync } from "node:fs";
import { MotInputError } from "../../lib/metrics/mot/errors";
import { resolveMotLayout } from "../../lib/metrics/mot/dataset";
import { evaluateMot, evaluateMotParallel, metricsToJson } from "../../lib/metrics/mot/evaluate";
import { formatTrackerTables } from "../../lib/metrics/mot/table";
import { parseCommandArgs, UserError, runSubcommand } from "../args.ts";
import type { Progress } from "../progress.ts";

export const summary = "score tracking results: mot (TrackEval HOTA/CLEAR/IDF1), davis (J&F), tracks (point tracks)";

const USAGE = `usage: groundtrack eval mot --gt-folder G --trackers-folder T --benchmark B --split S [--trackers a,b] --out results.json
                         [--seqmap-file F] [--skip-split-folder] [--no-preproc] [--threads N] [--quiet]
       groundtrack eval davis ...
       groundtrack eval tracks ...`;

interface MotOptions {
  gtFolder: string;
  trackersFolder: string;
  benchmark: string;
  split: string;
  trackers?: string[];
  out: string;
  seqmapFile?: string;
  skipSplitFolder: boolean;
  noPreproc: boolean;
  quiet: boolean;
  threads: number;
}

/**
 * Checks `eval mot`'s options (already typed by parseArgs). Plain checks rather than zod: this command is timed
 * against TrackEval end to end and loading zod alone costs a noticeable share of its start-up.
 */
function motOptions(values: Record<string, string | boolean | undefined>): MotOptions {
  const problems: string[] = [];
  const str = (name: string, missing: string): string => {
    const v = values[name];
    if (typeof v !== "string" || v === "") {
      problems.push(missing);
      return "";
    }
    return v;
  };
  const plainName = (name: string, missing: string, example: string): string => {
    const v = str(name, missing);
    if (v !== "" && !/^[A-Za-z0-9_.-]+$/.test(v)) problems.push(`--${name} must be a plain name like ${example}`);
    return v;
  };
  const o: MotOptions = {
    gtFolder: str("gt-folder", "--gt-folder is required"),
    trackersFolder: str("trackers-folder", "--trackers-folder is required"),
    benchmark: plainName("benchmark", "--benchmark is required (e.g. MOT17)", "MOT17"),
    split: plainName("split", "--split is required (e.g. train)", "train"),
    out: str("out", "--out is required"),
    seqmapFile: typeof values["seqmap-file"] === "string" ? values["seqmap-file"] : undefined,
    skipSplitFolder: values["skip-split-folder"] === true,
    noPreproc: values["no-preproc"] === true,
    quiet: values.quiet === true,
    // Serial by default: measured on the bench case, every worker pays V8's warm-up again (about +70% CPU) and wall
    // time did not improve on a shared 2-core machine. --threads N spreads sequences over N threads.
    threads: 1,
  };
  if (typeof values.threads === "string") {
    o.threads = Number(values.threads);
    if (!Number.isInteger(o.threads) || o.threads < 1) problems.push(`--threads must be a whole number >= 1, got '${values.threads}'`);
  }
  if (typeof values.trackers === "string") {
    o.trackers = values.trackers.split(",").map((x) => x.trim()).filter((x) => x !== "");
    if (o.trackers.length === 0) problems.push("--trackers lists no tracker");
  }
  if (problems.length > 0) throw new UserError(`${problems.join("; ")}\n${USAGE}`);
  return o;
}

export async function runMot(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs(argv, {
    "gt-folder": { type: "string" },
    "trackers-folder": { type: "string" },
    benchmark: { type: "string" },
    split: { type: "string" },
    trackers: { type: "string" },
    out: { type: "string" },
    "seqmap-file": { type: "string" },
    "skip-split-folder": { type: "boolean" },
    "no-preproc": { type: "boolean" },
    quiet: { type: "boolean" },
    threads: { type: "string" },
  });
  const o = motOptions(values);
  try {
    const layout = resolveMotLayout({
      gtFolder: o.gtFolder,
      trackersFolder: o.trackersFolder,
      benchmark: o.benchmark,
      split: o.split,
      trackers: o.trackers,
      seqmapFile: o.seqmapFile,
      skipSplitFolder: o.skipSplitFolder,
    });
    const bar = await motProgress(layout.trackers.length * layout.sequences.length);
    let results;
    try {
      const common = { onSequenceDone: () => bar.tick(), doPreproc: !o.noPreproc };
      // Workers need plain JS: they run from the precompiled build (cli/bin.mjs); under tsx (.ts) this stays serial.
      const workerUrl = new URL(import.meta.url);
      results =
        o.threads > 1 && workerUrl.pathname.endsWith(".mjs")
          ? await evaluateMotParallel(layout, { ...common, threads: o.threads, workerUrl })
          : evaluateMot(layout, common);
    } finally {
      bar.stop();
    }
    const json = {
      benchmark: layout.benchmark,
      split: layout.split,
      class: "pedestrian",
      trackers: Object.fromEntries(
        Object.entries(results).map(([tracker, res]) => [
          tracker,
          Object.fromEntries(Object.entries(res).map(([seq, m]) => [seq, metricsToJson(m)])),
        ]),
      ),
    };
    writeFileSync(o.out, JSON.stringify(json, null, 1) + "\n");
    if (!o.quiet) {
      for (const [tracker, res] of Object.entries(results)) console.log(formatTrackerTables(tracker, res));
      console.log(`\nwrote ${o.out}`);
    }
    return 0;
  } catch (e) {
    if (e instanceof MotInputError) throw new UserError(e.message);
    throw e;
  }
}

/**
 * The progress bar of `eval mot`, loaded only when one is shown (the same rule as cli/progress.ts): its module and
 * cli-progress cost a measurable share of a short batch run otherwise.
 */
async function motProgress(total: number): Promise<Progress> {
  if (!process.stderr.isTTY && process.env.GROUNDTRACK_PROGRESS !== "1") return { tick() {}, stop() {} };
  const { progressBar } = await import("../progress.ts");
  return progressBar("eval mot", total);
}

async function lazy<T>(load: () => Promise<T>, file: string): Promise<T> {
  try {
    return await load();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ERR_MODULE_NOT_FOUND" && String(e).includes(file)) {
      throw new UserError(`this evaluator is not available in this build (cli/commands/${file} is missing)`);
    }
    throw e;
  }
}

interface SubcommandModule {
  [name: string]: unknown;
}

/** Runs `exported` of a lazily loaded evaluator module (kept out of `eval mot`'s start-up). */
async function runLazy(load: () => Promise<SubcommandModule>, file: string, exported: string, argv: string[]): Promise<number> {
  const fn = (await lazy<SubcommandModule>(load, file))[exported] as ((a: string[]) => Promise<number>) | undefined;
  if (typeof fn !== "function") throw new UserError(`cli/commands/${file} does not export ${exported}`);
  return fn(argv);
}

export function run(argv: string[]): Promise<number> {
  return runSubcommand(argv, {
    mot: runMot,
    davis: (rest) => runLazy(() => import("./eval-davis.ts" as string), "eval-davis.ts", "runDavis", rest),
    tracks: (rest) => runLazy(() => import("./eval-tracks.ts" as string), "eval-tracks.ts", "runTracks", rest),
  }, USAGE);
}
