// The ablation's report (table, curves.svg, results.json) from its results, and the merge of runs split over several
// processes (`--models` / `--fractions` parts of one experiment, run side by side: jax-js's second wasm thread
// does not speed up a step on 2 cores, two single-threaded processes nearly double the throughput).
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import type { EvalResult } from "./evaluate";
import { curvesSvg, type Panel } from "./plot";

export interface CurvePoint {
  step: number;
  loss: number;
  f1: number;
  f1Corrected: number;
  empty: number;
  evalSeconds: number;
}

export interface RunResult {
  model: "grounding" | "text";
  fraction: string;
  trainExamples: number;
  trainVideos: number;
  curve: CurvePoint[];
  losses: number[];
  trainSeconds: number;
  secondsPerStep: number;
  final?: EvalResult;
}

/** The experiment's settings as results.json records them (what must agree for runs to be merged). */
export interface ResultOptions {
  steps: number;
  evals: number;
  batch: number;
  lr: number;
  seed: number;
  evalExamples?: number;
  fractions: Array<{ label: string; value: number }>;
  models: Array<"grounding" | "text">;
  [more: string]: unknown;
}

export interface Results {
  complete: boolean;
  options: ResultOptions;
  dataset: { dir: string; contentHash: string; trainExamples: number; testExamples: number };
  parameters: Record<string, number>;
  tokens: unknown;
  decodingCaps: { points: number; textTokens: number };
  emptyAnswer: { f1: number; f1Corrected: number };
  evaluation: string;
  machine: unknown;
  /** Wall seconds of the run (of the longest part, for a merge: the parts ran side by side). */
  seconds: number;
  /** For a merge: the parts' results.json files and their wall seconds. */
  mergedFrom?: Array<{ file: string; seconds: number; machine: unknown }>;
  runs: RunResult[];
}

const MODEL_LABEL = { grounding: "grounding tokens (MolmoPoint-Tiny)", text: "text coordinates (Molmo2 digits)" } as const;

/** Writes curves.svg and results.json to `out`; once complete, prints the F1 table. */
export async function writeReport(out: string, r: Results): Promise<void> {
  const o = r.options;
  if (r.complete && r.runs.length) {
    const steps = r.runs[0].curve.map((p) => p.step);
    console.log(`\nheld-out point F1 (Molmo2 tracking F1, mask judge; ${r.dataset.testExamples} test examples; empty answer ${r.emptyAnswer.f1.toFixed(3)})`);
    console.log(["fraction", "model", ...steps.map((st) => `step ${st}`), "s/step"].map((h) => h.padEnd(11)).join(""));
    for (const run of r.runs) console.log([run.fraction, run.model, ...run.curve.map((p) => p.f1.toFixed(3)), run.secondsPerStep.toFixed(2)].map((h) => String(h).padEnd(11)).join(""));
  }
  const panels: Panel[] = o.fractions.map((f) => ({
    floor: r.emptyAnswer.f1,
    title: `${f.label} of the data (${r.runs.find((run) => run.fraction === f.label)?.trainExamples ?? "–"} ex.)`,
    curves: r.runs.filter((run) => run.fraction === f.label).map((run) => ({ model: MODEL_LABEL[run.model], points: run.curve.map((p) => ({ step: p.step, f1: p.f1 })) })),
  }));
  await writeFile(path.join(out, "curves.svg"), curvesSvg(panels, { title: `Held-out point F1 vs training steps (${o.steps} steps × batch ${o.batch}, seed ${o.seed})${r.complete ? "" : " — incomplete"}` }));
  await writeFile(path.join(out, "results.json"), JSON.stringify(r, null, 1) + "\n");
}

/** The settings that make two parts one experiment (everything but which fractions and models each part ran). */
function experimentKey(r: Results): string {
  const { fractions: _f, models: _m, out: _o, ...rest } = r.options;
  return JSON.stringify({ options: rest, dataset: r.dataset.contentHash, testExamples: r.dataset.testExamples, caps: r.decodingCaps, parameters: r.parameters });
}

/**
 * One report from the parts of a split experiment. Refuses parts of different experiments (options other than
 * fractions/models, dataset, held-out set, decoding caps or parameter counts differ), an incomplete part, and a
 * (fraction, model) run given twice. Runs are ordered by fraction, grounding first.
 */
export function mergeResults(parts: ReadonlyArray<{ file: string; results: Results }>): Results {
  if (parts.length === 0) throw new RangeError("--merge: no results to merge");
  const first = parts[0];
  const key = experimentKey(first.results);
  for (const p of parts) {
    if (!p.results.complete) throw new RangeError(`--merge: ${p.file} is an incomplete run (complete: false)`);
    if (experimentKey(p.results) !== key) throw new RangeError(`--merge: ${p.file} is not part of the same experiment as ${first.file} (its options, dataset, held-out examples, decoding caps or parameters differ)`);
  }
  const fractions = new Map<string, number>();
  for (const p of parts) for (const f of p.results.options.fractions) fractions.set(f.label, f.value);
  const seen = new Set<string>();
  const runs: RunResult[] = [];
  for (const p of parts) {
    for (const run of p.results.runs) {
      const id = `${run.fraction} ${run.model}`;
      if (seen.has(id)) throw new RangeError(`--merge: the ${run.model} run on ${run.fraction} of the data is in more than one part (${p.file})`);
      seen.add(id);
      runs.push(run);
    }
  }
  const value = (run: RunResult) => fractions.get(run.fraction) ?? 0;
  runs.sort((a, b) => value(a) - value(b) || (a.model === b.model ? 0 : a.model === "grounding" ? -1 : 1));
  const models = [...new Set(runs.map((run) => run.model))].sort();
  return {
    ...first.results,
    complete: true,
    options: { ...first.results.options, fractions: [...fractions].map(([label, value]) => ({ label, value })).sort((a, b) => a.value - b.value), models },
    seconds: Math.max(...parts.map((p) => p.results.seconds)),
    mergedFrom: parts.map((p) => ({ file: p.file, seconds: p.results.seconds, machine: p.results.machine })),
    runs,
  };
}

/** What a part must hold to be merged (checked: the files come from the command line). */
const PartSchema = z.looseObject({
  complete: z.boolean(),
  options: z.looseObject({
    steps: z.number().int().positive(),
    batch: z.number().int().positive(),
    seed: z.number().int(),
    fractions: z.array(z.object({ label: z.string(), value: z.number().positive().max(1) })).min(1),
    models: z.array(z.enum(["grounding", "text"])),
  }),
  dataset: z.looseObject({ contentHash: z.string(), testExamples: z.number().int() }),
  emptyAnswer: z.looseObject({ f1: z.number() }),
  seconds: z.number(),
  runs: z.array(z.looseObject({
    model: z.enum(["grounding", "text"]),
    fraction: z.string(),
    curve: z.array(z.looseObject({ step: z.number(), f1: z.number() })),
    secondsPerStep: z.number(),
  })),
});

/** Reads the parts' results.json files (a directory stands for its results.json). */
export async function readParts(paths: readonly string[]): Promise<Array<{ file: string; results: Results }>> {
  return Promise.all(
    paths.map(async (p) => {
      const file = p.endsWith(".json") ? p : path.join(p, "results.json");
      let text: string;
      try {
        text = await readFile(file, "utf8");
      } catch (e) {
        throw new RangeError(`--merge: cannot read ${file}: ${(e as Error).message}`);
      }
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch (e) {
        throw new RangeError(`--merge: ${file} is not JSON: ${(e as Error).message}`);
      }
      const r = PartSchema.safeParse(json);
      if (!r.success) {
        const i = r.error.issues[0];
        throw new RangeError(`--merge: ${file} is not an ablation results.json (${i.path.join(".") || "top level"}: ${i.message})`);
      }
      // Checked above as far as the merge and the report read it; the rest is carried over as written.
      return { file, results: r.data as unknown as Results };
    }),
  );
}
