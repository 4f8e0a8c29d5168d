// DAVIS 2017 J&F evaluation of a results folder, exactly as davis2017-evaluation's `DAVISEvaluation.evaluate`
// followed by evaluation_method.py's global averaging.
import type { LabelImage } from "../../masks/png-indexed";
import { DavisInputError, openDavisDataset, readLabelPng, resultFile, type DavisSubset } from "./dataset";
import { npMean } from "./numeric";
import { LabelError, SemiSupervisedSequence, UnsupervisedSequence, VOID_LABEL, type DavisTask, type ObjectResult } from "./sequence";

export const GLOBAL_MEASURES = ["J&F-Mean", "J-Mean", "J-Recall", "J-Decay", "F-Mean", "F-Recall", "F-Decay"] as const;
export type GlobalMeasure = (typeof GLOBAL_MEASURES)[number];

export interface DavisEvaluation {
  task: DavisTask;
  subset: DavisSubset;
  global: Record<GlobalMeasure, number>;
  /** One entry per GT object of every sequence, in evaluation order (the per-sequence table's rows). */
  objects: ObjectResult[];
}

export interface EvaluateOptions {
  davisRoot: string;
  resultsRoot: string;
  task: DavisTask;
  subset: DavisSubset;
  /** Called once with the number of frames to read, then after every frame. */
  onStart?: (totalFrames: number) => void;
  onFrame?: () => void;
}

/** Number of objects of a sequence: the largest label of the first annotation once void (255) is removed. */
export function objectCount(first: LabelImage): number {
  let max = 0;
  for (const v of first.data) if (v !== VOID_LABEL && v > max) max = v;
  return max;
}

function checkSize(img: LabelImage, ref: LabelImage, file: string, refFile: string): void {
  if (img.width !== ref.width || img.height !== ref.height) {
    throw new DavisInputError(`${file}: wrong size ${img.width}x${img.height}, expected ${ref.width}x${ref.height} like ${refFile}`);
  }
}

export function globalMeasures(objects: ObjectResult[]): Record<GlobalMeasure, number> {
  const col = (f: (o: ObjectResult) => number) => npMean(objects.map(f));
  const jm = col((o) => o.J.mean);
  const fm = col((o) => o.F.mean);
  return {
    "J&F-Mean": (jm + fm) / 2,
    "J-Mean": jm,
    "J-Recall": col((o) => o.J.recall),
    "J-Decay": col((o) => o.J.decay),
    "F-Mean": fm,
    "F-Recall": col((o) => o.F.recall),
    "F-Decay": col((o) => o.F.decay),
  };
}

export function evaluateDavis(opts: EvaluateOptions): DavisEvaluation {
  const { task, subset, resultsRoot } = opts;
  const dataset = openDavisDataset(opts.davisRoot, task, subset);
  const semi = task === "semi-supervised";
  for (const seq of dataset.sequences) {
    if (semi && seq.frameIds.length < 3) {
      throw new DavisInputError(
        `sequence ${seq.name} has ${seq.frameIds.length} annotated frame(s); semi-supervised evaluation drops the first and last frame and needs at least 3`,
      );
    }
  }
  const total = dataset.sequences.reduce((n, s) => n + (semi ? s.frameIds.length - 2 : s.frameIds.length), 0);
  opts.onStart?.(total);
  const objects: ObjectResult[] = [];
  for (const seq of dataset.sequences) {
    const firstFile = seq.annotationFiles[0];
    const first = readLabelPng(firstFile, "annotation");
    const G = objectCount(first);
    const T = seq.frameIds.length;
    const frames = semi ? Array.from({ length: T - 2 }, (_, i) => i + 1) : Array.from({ length: T }, (_, i) => i);
    const acc = semi ? new SemiSupervisedSequence(seq.name, G) : new UnsupervisedSequence(seq.name, G, T);
    for (const t of frames) {
      const gtFile = seq.annotationFiles[t];
      const gt = t === 0 ? first : readLabelPng(gtFile, "annotation");
      checkSize(gt, first, gtFile, firstFile);
      const resFile = resultFile(resultsRoot, seq.name, seq.frameIds[t]);
      const res = readLabelPng(resFile, `result frame`);
      checkSize(res, gt, resFile, gtFile);
      try {
        acc.addFrame(gt.data, res.data, gt.width, gt.height);
      } catch (e) {
        if (e instanceof LabelError) throw new DavisInputError(`result frame ${resFile} ${e.message}`);
        throw e;
      }
      opts.onFrame?.();
    }
    objects.push(...acc.finish());
  }
  return { task, subset, global: globalMeasures(objects), objects };
}
