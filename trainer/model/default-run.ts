// The default run (`npm run train:default`): dataset, model and training settings, in one place so the script,
// the benchmark and the report use the same values.
import type { SynthOptions } from "../synth/dataset";
import type { TinyConfigInput } from "./config";

/** The default dataset: 128×128 px, 2 s at 10 fps (4 sampled frames at 2 fps), 600 videos (60 test, 60 val). */
export const DEFAULT_DATASET: SynthOptions = { videos: 600, seed: 20260, frames: 20, width: 128, height: 128, fps: 10, samplingFps: 2 };
/** Tuned for the 2-core budget: narrower than the spec's defaults (dModel 64, patchDim 32, MLP ×2), same structure. */
export const DEFAULT_TINY: TinyConfigInput = { version: "tiny-default-1", dModel: 64, heads: 4, mlpRatio: 2, dVit: 48, patchDim: 32, maxQueryTokens: 8 };
export const DEFAULT_TRAIN: DefaultTrain = { steps: 1000, batchSize: 16, lr: 2e-3, seed: 1, warmupSteps: 100, minLrRatio: 0.05 };

export interface DefaultTrain {
  steps: number;
  batchSize: number;
  lr: number;
  seed: number;
  warmupSteps: number;
  minLrRatio: number;
  /** trainTiny batch-shape buckets by point count. */
  pointBuckets?: number[];
  /** Also train on each sampled frame as a one-frame pointing example (trainer/data/frame-examples). */
  frameMix?: boolean;
}
