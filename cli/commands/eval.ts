// `groundtrack eval <mot|davis|tracks> ...`: scoring against references. `mot` is TrackEval's MOTChallenge 2D-box
// evaluation (HOTA, CLEAR, Identity, Count); `davis` and `tracks` live in their own modules, loaded lazily.
import { writeFileSync } from "node:fs";
import { z } from "zod";
import { MotInputError } from "../../lib/metrics/mot/errors";
import { resolveMotLayout } from "../../lib/metrics/mot/dataset";
import { evaluateMot, metricsToJson } from "../../lib/metrics/mot/evaluate";
import { formatTrackerTables } from "../../lib/metrics/mot/table";
import { parseCommandArgs, UserError } from "../args.ts";
import { progressBar } from "../progress.ts";

export const summary = "score tracking results: mot (TrackEval HOTA/CLEAR/IDF1), davis (J&F), tracks (point tracks)";

const USAGE = `usage: groundtrack eval mot --gt-folder G --trackers-folder T --benchmark B --split S [--trackers a,b] --out results.json
                         [--seqmap-file F] [--skip-split-folder] [--no-preproc] [--quiet]
       groundtrack eval davis ...
       groundtrack eval tracks ...`;

const motOptionsSchema = z.object({
  "gt-folder": z.string({ error: "--gt-folder is required" }).min(1, "--gt-folder is required"),
  "trackers-folder": z.string({ error: "--trackers-folder is required" }).min(1, "--trackers-folder is required"),
  benchmark: z.string({ error: "--benchmark is required (e.g. MOT17)" }).regex(/^[A-Za-z0-9_.-]+$/, "--benchmark must be a plain name like MOT17"),
  split: z.string({ error: "--split is required (e.g. train)" }).regex(/^[A-Za-z0-9_.-]+$/, "--split must be a plain name like train"),
  trackers: z
    .string()
    .transform((s) => s.split(",").map((x) => x.trim()).filter((x) => x !== ""))
    .pipe(z.array(z.string()).min(1, "--trackers lists no tracker"))
    .optional(),
  out: z.string({ error: "--out is required" }).min(1, "--out is required"),
  "seqmap-file": z.string().optional(),
  "skip-split-folder": z.boolean().optional(),
  "no-preproc": z.boolean().optional(),
  quiet: z.boolean().optional(),
});

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
  });
  const parsed = motOptionsSchema.safeParse(values);
  if (!parsed.success) throw new UserError(`${parsed.error.issues.map((i) => i.message).join("; ")}\n${USAGE}`);
  const o = parsed.data;
  try {
    const layout = resolveMotLayout({
      gtFolder: o["gt-folder"],
      trackersFolder: o["trackers-folder"],
      benchmark: o.benchmark,
      split: o.split,
      trackers: o.trackers,
      seqmapFile: o["seqmap-file"],
      skipSplitFolder: o["skip-split-folder"],
    });
    const bar = progressBar("eval mot", layout.trackers.length * layout.sequences.length);
    let results;
    try {
      results = evaluateMot(layout, { onSequenceDone: () => bar.tick(), doPreproc: !o["no-preproc"] });
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

export async function run(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  switch (sub) {
    case "mot":
      return runMot(rest);
    case "davis": {
      const mod = await lazy<SubcommandModule>(() => import("./eval-davis.ts" as string), "eval-davis.ts");
      const fn = mod.runDavis as ((a: string[]) => Promise<number>) | undefined;
      if (typeof fn !== "function") throw new UserError("cli/commands/eval-davis.ts does not export runDavis");
      return fn(rest);
    }
    case "tracks": {
      const mod = await lazy<SubcommandModule>(() => import("./eval-tracks.ts" as string), "eval-tracks.ts");
      const fn = mod.runTracks as ((a: string[]) => Promise<number>) | undefined;
      if (typeof fn !== "function") throw new UserError("cli/commands/eval-tracks.ts does not export runTracks");
      return fn(rest);
    }
    case undefined:
    case "help":
    case "--help":
    case "-h":
      console.log(USAGE);
      return sub === undefined ? 2 : 0;
    default:
      throw new UserError(`unknown subcommand '${sub}'\n${USAGE}`);
  }
}
