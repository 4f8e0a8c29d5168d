// `groundtrack eval davis`: DAVIS 2017 J&F of a results folder, numerically identical to davis2017-evaluation
// (evaluation_method.py), printing its global and per-sequence tables.
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { z } from "zod";
import { DAVIS_SUBSETS, DavisInputError } from "../../lib/metrics/davis/dataset";
import { evaluateDavis, type DavisEvaluation } from "../../lib/metrics/davis/evaluate";
import { globalCsv, perSequenceCsv, printedReport } from "../../lib/metrics/davis/table";
import { parseCommandArgs, UserError } from "../args";
import { progressBar, type Progress } from "../progress";

export const summary = "DAVIS 2017 J&F (semi-supervised / unsupervised), identical to davis2017-evaluation";

const USAGE = `usage: groundtrack eval davis --davis-root DIR --results DIR [--set val] [--task unsupervised|semi-supervised]
                             [--out results.json] [--csv-dir DIR] [--per-frame] [--quiet]
  --davis-root  DAVIS folder with JPEGImages/480p, Annotations/480p (Annotations_unsupervised/480p for the
                unsupervised task) and ImageSets/2017/<set>.txt
  --results     folder with one sub-folder of indexed PNGs per sequence (<seq>/<frame>.png)
  --set         train | val | test-dev | test-challenge (default val, as the reference)
  --task        semi-supervised | unsupervised (default unsupervised, as the reference)
  --out         write the full results (global, per object, matching) as JSON
  --csv-dir     also write global_results-<set>.csv and per-sequence_results-<set>.csv (%.3f) there
  --per-frame   include per-frame J and F in the JSON`;

const Options = z.object({
  "davis-root": z.string({ error: "--davis-root is required" }).min(1),
  results: z.string({ error: "--results is required" }).min(1),
  set: z.enum(DAVIS_SUBSETS, { error: `--set must be one of ${DAVIS_SUBSETS.join(", ")}` }).default("val"),
  task: z.enum(["semi-supervised", "unsupervised"], { error: "--task must be semi-supervised or unsupervised" }).default("unsupervised"),
  out: z.string().min(1).optional(),
  "csv-dir": z.string().min(1).optional(),
  "per-frame": z.boolean().default(false),
  quiet: z.boolean().default(false),
});

function toJson(ev: DavisEvaluation, perFrame: boolean) {
  return {
    reference: "davisvideochallenge/davis2017-evaluation",
    task: ev.task,
    set: ev.subset,
    global: ev.global,
    objects: ev.objects.map((o) => ({
      name: o.name,
      ...(o.proposal !== undefined ? { proposal: o.proposal, gtObject: o.gtObject } : {}),
      J: o.J,
      F: o.F,
      ...(perFrame ? { jFrames: o.jFrames, fFrames: o.fFrames } : {}),
    })),
  };
}

export async function runDavis(argv: string[]): Promise<number> {
  if (argv.includes("--help") || argv.includes("-h")) {
    console.log(USAGE);
    return 0;
  }
  const { values, positionals } = parseCommandArgs(argv, {
    "davis-root": { type: "string" },
    results: { type: "string" },
    set: { type: "string" },
    task: { type: "string" },
    out: { type: "string" },
    "csv-dir": { type: "string" },
    "per-frame": { type: "boolean" },
    quiet: { type: "boolean" },
  });
  if (positionals.length) throw new UserError(`unexpected argument '${positionals[0]}'\n${USAGE}`);
  const parsed = Options.safeParse(values);
  if (!parsed.success) throw new UserError(`${parsed.error.issues.map((i) => i.message).join("; ")}\n${USAGE}`);
  const opts = parsed.data;
  const started = performance.now();
  let bar: Progress | null = null;
  let ev: DavisEvaluation;
  try {
    if (!opts.quiet) console.log(`Evaluating sequences for the ${opts.task} task...`);
    ev = evaluateDavis({
      davisRoot: opts["davis-root"],
      resultsRoot: opts.results,
      task: opts.task,
      subset: opts.set,
      onStart: (total) => {
        if (!opts.quiet && total >= 50) bar = progressBar("eval davis", total);
      },
      onFrame: () => bar?.tick(),
    });
  } catch (e) {
    if (e instanceof DavisInputError) throw new UserError(e.message);
    throw e;
  } finally {
    (bar as Progress | null)?.stop();
  }
  if (opts["csv-dir"]) {
    mkdirSync(opts["csv-dir"], { recursive: true });
    writeFileSync(path.join(opts["csv-dir"], `global_results-${opts.set}.csv`), globalCsv(ev));
    writeFileSync(path.join(opts["csv-dir"], `per-sequence_results-${opts.set}.csv`), perSequenceCsv(ev));
  }
  if (opts.out) {
    mkdirSync(path.dirname(path.resolve(opts.out)), { recursive: true });
    writeFileSync(opts.out, JSON.stringify(toJson(ev, opts["per-frame"]), null, 2) + "\n");
  }
  if (!opts.quiet) {
    console.log(printedReport(ev, opts.set));
    console.log(`\nTotal time: ${((performance.now() - started) / 1000).toFixed(3)} s`);
  }
  return 0;
}

export const run = runDavis;
