// `groundtrack eval tracks`: Molmo2 point-tracking metrics (per-frame point P/R/F1, point HOTA) and
// counting accuracy for point tracks against MolmoPoint-TrackAny / Molmo2-VideoTrackEval ground truth.
import { readFileSync, writeFileSync } from "node:fs";
import { z } from "zod";
import {
  evaluateTrackF1,
  evaluateVideoTracking,
  gtVideoFromRecord,
  predVideoFromRecord,
  readRecords,
  scoreVideoCount,
  summarizeCounts,
  textPrediction,
  TrackInputError,
  type CountScore,
  type GtVideo,
  type InputRecord,
  type PointJudge,
  type PredVideo,
  type VideoTrackingScores,
} from "../../lib/metrics/points";
import { parseCommandArgs, UserError } from "../args";
import { progressBar } from "../progress";

export const summary = "Molmo2 point-track metrics: point F1, point HOTA, counting (masks or distance judge)";

const USAGE = `usage: groundtrack eval tracks --gt FILE --pred FILE [--out results.json]
                              [--judge mask|distance] [--radius PX] [--soft] [--corrected]
                              [--sampling-fps N] [--per-frame] [--quiet]
  --gt            ground truth: JSON array / {"videos": [...]} / JSON Lines of Molmo2-VideoTrackEval rows
                  (id, fps, w, h, mask_id, points, masks) or MolmoPoint-TrackAny rows (id, fps, width,
                  height, frame_trajectories[, mask_id, masks])
  --pred          predictions: records {id|example_id, prediction: "<Molmo2 text>"} or
                  {id|example_id, frames: [{frame, points: [{id, x, y}]}]}; or, for a single GT video,
                  a plain Molmo2 text file
  --out           write per-video and mean scores as JSON
  --judge         mask (default when the GT has masks): hit = point inside the GT object's mask;
                  distance: hit = within --radius px of the GT point (point-only GT)
  --radius        distance judge radius in pixels (required with --judge distance)
  --soft          distance judge: HOTA similarity max(0, 1 - d/radius) instead of 0/1
  --corrected     fix Molmo2's quirks (mask pairing by identity, recall over objects in the frame);
                  default is Molmo2's exact behaviour
  --sampling-fps  VideoTrackEval GT frames kept: frame % floor(fps / N) == 0 (default 1, Molmo2's *_1fps)
  --per-frame     include per-frame F1 details in --out`;

const Options = z.object({
  gt: z.string({ error: "--gt is required" }).min(1),
  pred: z.string({ error: "--pred is required" }).min(1),
  out: z.string().min(1).optional(),
  judge: z.enum(["mask", "distance"], { error: "--judge must be mask or distance" }).optional(),
  radius: z.coerce.number({ error: "--radius must be a number" }).positive({ error: "--radius must be > 0" }).optional(),
  soft: z.boolean().default(false),
  corrected: z.boolean().default(false),
  "sampling-fps": z.coerce.number({ error: "--sampling-fps must be a number" }).positive({ error: "--sampling-fps must be > 0" }).default(1),
  "per-frame": z.boolean().default(false),
  quiet: z.boolean().default(false),
});

function located(file: string, e: TrackInputError): UserError {
  const where = [file, e.line !== undefined ? `line ${e.line}` : null, e.record !== undefined ? `record #${e.record}` : null].filter(Boolean).join(": ");
  return new UserError(`${where}: ${e.message}`);
}

function readText(file: string, what: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (e) {
    throw new UserError(`cannot read ${what} file ${file}: ${(e as Error).message}`);
  }
}

function loadGt(file: string, samplingFps: number): GtVideo[] {
  try {
    const videos = readRecords(readText(file, "--gt")).map((r) => gtVideoFromRecord(r, { samplingFps }));
    const seen = new Set<string>();
    videos.forEach((v, i) => {
      if (seen.has(v.id)) throw new TrackInputError(`id: video id ${JSON.stringify(v.id)} appears twice`, i, "id");
      seen.add(v.id);
    });
    if (videos.length === 0) throw new TrackInputError("no ground-truth videos");
    return videos;
  } catch (e) {
    if (e instanceof TrackInputError) throw located(file, e);
    throw e;
  }
}

function loadPred(file: string, gt: GtVideo[]): Map<string, PredVideo> {
  const text = readText(file, "--pred");
  const gtById = new Map(gt.map((v) => [v.id, v]));
  let records: InputRecord[];
  try {
    records = readRecords(text);
  } catch (e) {
    if (!(e instanceof TrackInputError)) throw e;
    // Broken JSON stays an error; only a file that does not look like JSON can be a Molmo2 text answer,
    // and only when there is exactly one GT video to give it its size and fps.
    if (/^\s*[[{]/.test(text)) throw located(file, e);
    if (gt.length !== 1) throw located(file, new TrackInputError(`${e.message}; a plain Molmo2 text file is only accepted with a single GT video (GT has ${gt.length})`));
    try {
      return new Map([[gt[0].id, { id: gt[0].id, frames: textPrediction(text, gt[0], null, "text"), source: "text" }]]);
    } catch (t) {
      if (t instanceof TrackInputError) throw located(file, t);
      throw t;
    }
  }
  const out = new Map<string, PredVideo>();
  for (const r of records) {
    try {
      const p = predVideoFromRecord(r, gtById);
      if (out.has(p.id)) throw new TrackInputError(`id: a second prediction for video ${JSON.stringify(p.id)}`, r.index, "id", r.line);
      out.set(p.id, p);
    } catch (e) {
      if (e instanceof TrackInputError) throw located(file, e);
      throw e;
    }
  }
  return out;
}

const MEAN_FIELDS = ["precision", "recall", "f1", "HOTA", "DetA", "AssA", "DetPr", "DetRe", "LocA", "HOTA_alphaMean"] as const;

export async function runTracks(argv: string[]): Promise<number> {
  if (argv.includes("--help") || argv.includes("-h")) {
    console.log(USAGE);
    return 0;
  }
  const { values, positionals } = parseCommandArgs(argv, {
    gt: { type: "string" },
    pred: { type: "string" },
    out: { type: "string" },
    judge: { type: "string" },
    radius: { type: "string" },
    soft: { type: "boolean" },
    corrected: { type: "boolean" },
    "sampling-fps": { type: "string" },
    "per-frame": { type: "boolean" },
    quiet: { type: "boolean" },
  });
  if (positionals.length) throw new UserError(`unexpected argument '${positionals[0]}'\n${USAGE}`);
  const parsed = Options.safeParse(values);
  if (!parsed.success) throw new UserError(`${parsed.error.issues.map((i) => i.message).join("; ")}\n${USAGE}`);
  const opts = parsed.data;

  const gt = loadGt(opts.gt, opts["sampling-fps"]);
  const preds = loadPred(opts.pred, gt);
  const hasMasks = gt.every((v) => v.gt.masks !== null);
  const judgeKind = opts.judge ?? (hasMasks ? "mask" : null);
  if (judgeKind === null) {
    const missing = gt.find((v) => v.gt.masks === null)!;
    throw new UserError(`${opts.gt}: video ${JSON.stringify(missing.id)} has no masks; score point-only GT with --judge distance --radius PX`);
  }
  if (judgeKind === "mask" && !hasMasks) {
    const missing = gt.find((v) => v.gt.masks === null)!;
    throw new UserError(`${opts.gt}: --judge mask needs masks, but video ${JSON.stringify(missing.id)} has none`);
  }
  if (judgeKind === "distance" && opts.radius === undefined) throw new UserError("--judge distance needs --radius PX");
  if (opts.soft && judgeKind !== "distance") throw new UserError("--soft only applies to --judge distance");
  const judge: PointJudge = judgeKind === "mask" ? { kind: "mask", molmo2Compat: !opts.corrected } : { kind: "distance", radius: opts.radius!, soft: opts.soft };

  const bar = opts.quiet ? progressBar("eval tracks", 0) : progressBar("eval tracks", gt.length);
  const videos: Array<{ id: string; predictionMissing: boolean; scores: VideoTrackingScores; count: { gt: number; pred: number } & CountScore }> = [];
  try {
    for (const v of gt) {
      const p = preds.get(v.id);
      let scores: VideoTrackingScores;
      try {
        scores = evaluateVideoTracking(p?.frames ?? [], v.gt, judge);
      } catch (e) {
        throw new UserError(`${opts.gt}: video ${JSON.stringify(v.id)}: ${(e as Error).message}`);
      }
      const predCount = new Set((p?.frames ?? []).flatMap((f) => f.points.map((q) => q.id))).size;
      videos.push({ id: v.id, predictionMissing: !p, scores, count: { gt: v.objectCount, pred: predCount, ...scoreVideoCount(v.objectCount, predCount) } });
      bar.tick();
    }
  } finally {
    bar.stop();
  }

  const mean = Object.fromEntries(MEAN_FIELDS.map((k) => [k, videos.reduce((s, v) => s + v.scores[k], 0) / videos.length])) as Record<(typeof MEAN_FIELDS)[number], number>;
  const counting = summarizeCounts(videos.map((v) => ({ gt: v.count.gt, score: v.count })));
  const missing = videos.filter((v) => v.predictionMissing).map((v) => v.id);
  const result = {
    reference: "allenai/molmo2 olmo/eval/object_tracking_utils.py evaluate_video_object_tracking; counting rule of VixMoPointCountEval",
    judge,
    videos: videos.length,
    mean,
    counting: { correct: counting.correct, close: counting.close, bins: counting.bins },
    missingPredictions: missing,
    perVideo: videos.map((v) => {
      const { HOTA_array, DetA_array, AssA_array, ...rest } = v.scores;
      return {
        id: v.id,
        predictionMissing: v.predictionMissing,
        ...rest,
        HOTA_array,
        DetA_array,
        AssA_array,
        count: v.count,
        ...(opts["per-frame"] ? { frames: perFrame(v.id, gt, preds, judge) } : {}),
      };
    }),
  };
  if (opts.out) {
    try {
      writeFileSync(opts.out, JSON.stringify(result, null, 2) + "\n");
    } catch (e) {
      throw new UserError(`cannot write --out ${opts.out}: ${(e as Error).message}`);
    }
  }
  if (!opts.quiet) {
    const judgeText = judge.kind === "mask" ? `point in mask (${judge.molmo2Compat ? "Molmo2 exact" : "corrected"})` : `distance <= ${judge.radius}px${judge.soft ? " (soft HOTA)" : ""}`;
    console.log(`videos: ${videos.length}   judge: ${judgeText}`);
    if (missing.length) console.log(`no prediction for ${missing.length} video(s), scored as empty: ${missing.slice(0, 5).join(", ")}${missing.length > 5 ? ", ..." : ""}`);
    console.log(MEAN_FIELDS.map((k) => k.padStart(14)).join(""));
    console.log(MEAN_FIELDS.map((k) => mean[k].toFixed(4).padStart(14)).join(""));
    console.log(`counting (distinct track ids vs GT objects): correct ${counting.correct.toFixed(4)}   close ${counting.close.toFixed(4)}`);
    if (opts.out) console.log(`wrote ${opts.out}`);
  }
  if (missing.length) console.error(`warning: ${missing.length} GT video(s) have no prediction (scored as empty predictions)`);
  return 0;
}

/** Per-frame F1 details (recomputed only when asked for, so the default output stays small). */
function perFrame(id: string, gt: GtVideo[], preds: Map<string, PredVideo>, judge: PointJudge) {
  const v = gt.find((g) => g.id === id)!;
  return evaluateTrackF1(preds.get(id)?.frames ?? [], v.gt, judge).frames;
}

export const run = runTracks;
