// A synthetic tracking dataset on disk: DIR/videos/*.mp4, DIR/annotations/*.json (one TrackAny example per
// referring query) and DIR/manifest.json (splits by seed range, per-file hashes, a content hash).
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { availableParallelism } from "node:os";
import path from "node:path";
import { z } from "zod";
import { probeVideo } from "../../lib/video/probe";
import { DEFAULT_OCCLUDED_BELOW } from "./render";
import { sampleScene } from "./scene";
import { renderVideo, trackAnyExamples } from "./video";

export const SPLITS = ["train", "val", "test"] as const;
export type Split = (typeof SPLITS)[number];

export const SynthOptionsSchema = z.object({
  videos: z.number().int().min(1).max(1_000_000),
  seed: z.number().int().min(0).max(2 ** 31 - 1),
  frames: z.number().int().min(2).max(10_000).default(48),
  width: z.number().int().min(16).max(4096).refine((v) => v % 2 === 0, "width must be even").default(320),
  height: z.number().int().min(16).max(4096).refine((v) => v % 2 === 0, "height must be even").default(240),
  fps: z.number().int().min(1).max(120).default(10),
  samplingFps: z.number().int().min(1).default(2),
  pan: z.boolean().default(false),
  occludedBelow: z.number().gt(0).lt(1).default(DEFAULT_OCCLUDED_BELOW),
  /** Videos in the frozen test split (the first seeds) and in val (the next); default 10 % each once N ≥ 3. */
  testVideos: z.number().int().min(0).optional(),
  valVideos: z.number().int().min(0).optional(),
});
export type SynthOptions = z.input<typeof SynthOptionsSchema>;
type Options = z.output<typeof SynthOptionsSchema>;

const FileEntry = z.object({ file: z.string(), sha256: z.string().regex(/^[0-9a-f]{64}$/) });
const VideoEntry = z.object({
  name: z.string(),
  seed: z.number().int(),
  split: z.enum(SPLITS),
  video: FileEntry,
  framesSha256: z.string().regex(/^[0-9a-f]{64}$/),
  frameCount: z.number().int().positive(),
  objects: z.array(z.object({ id: z.number().int(), category: z.string(), colour: z.string(), sizeClass: z.string() })),
  annotations: z.array(FileEntry.extend({ id: z.string(), expression: z.string(), objectIds: z.array(z.number().int()) })),
});
export const ManifestSchema = z.object({
  format: z.literal("groundtrack-synth/1"),
  options: z.object({
    videos: z.number().int(), seed: z.number().int(), frames: z.number().int(), width: z.number().int(), height: z.number().int(),
    fps: z.number().int(), samplingFps: z.number().int(), pan: z.boolean(), occludedBelow: z.number(),
  }),
  /** Per split: seed range [from, to), video count, and a content hash of just that split (independent of the
   * total video count, so a frozen test split can be checked to be unchanged when N grows). */
  splits: z.record(z.enum(SPLITS), z.object({ seeds: z.tuple([z.number().int(), z.number().int()]), videos: z.number().int(), contentHash: z.string().regex(/^[0-9a-f]{64}$/) })),
  videos: z.array(VideoEntry),
  /** sha256 over the options, splits, every annotation file's hash and every video's rendered-frame hash. */
  contentHash: z.string().regex(/^[0-9a-f]{64}$/),
});
export type Manifest = z.infer<typeof ManifestSchema>;

const sha256 = (data: string | Uint8Array) => createHash("sha256").update(data).digest("hex");

/** Seed ranges [from, to) of each split: test first (frozen: growing N only adds training videos), then val, then train. */
export function splitRanges(o: Pick<Options, "videos" | "seed" | "testVideos" | "valVideos">): Record<Split, [number, number]> {
  const tenth = o.videos >= 3 ? Math.max(1, Math.floor(o.videos / 10)) : 0;
  const nTest = o.testVideos ?? tenth;
  const nVal = o.valVideos ?? tenth;
  if (nTest + nVal > o.videos) throw new RangeError(`test (${nTest}) + val (${nVal}) videos exceed --videos ${o.videos}`);
  return {
    test: [o.seed, o.seed + nTest],
    val: [o.seed + nTest, o.seed + nTest + nVal],
    train: [o.seed + nTest + nVal, o.seed + o.videos],
  };
}

function videoDigest(v: Manifest["videos"][number]): string {
  return [v.name, v.split, v.framesSha256, ...v.annotations.map((a) => `${a.file}:${a.sha256}`)].join("\n");
}

/** Hash of one split: the options that shape each video (not the video count) and that split's videos. */
export function splitHash(options: Manifest["options"], videos: Manifest["videos"], split: Split): string {
  const { videos: _n, seed: _s, ...shape } = options;
  return sha256([JSON.stringify(shape), ...videos.filter((v) => v.split === split).map(videoDigest)].join("\n\n"));
}

/** The content hash of a manifest (its `contentHash` field excluded); video file bytes are not part of it. */
export function contentHash(m: Omit<Manifest, "contentHash">): string {
  const parts = [
    JSON.stringify(m.options),
    JSON.stringify(m.splits),
    ...m.videos.map(videoDigest),
  ];
  return sha256(parts.join("\n\n"));
}

export interface GenerateHooks {
  /** Called after each rendered frame (progress). */
  onFrame?: () => void;
  /** Videos generated concurrently (default min(4, CPUs)); never changes the output. */
  jobs?: number;
  signal?: AbortSignal;
}

/**
 * Generates the dataset into `outDir` (created; refuses a directory that already holds a manifest). Same options
 * → byte-identical annotation JSON and manifest, identical frames. Each mp4 is checked to decode to `frames` frames.
 */
export async function generateDataset(outDir: string, input: SynthOptions, hooks: GenerateHooks = {}): Promise<Manifest> {
  const parsed = SynthOptionsSchema.safeParse(input);
  if (!parsed.success) {
    const i = parsed.error.issues[0];
    throw new RangeError(`synth option ${i.path.join(".") || "(root)"}: ${i.message}`);
  }
  const o = parsed.data;
  if (o.fps % o.samplingFps !== 0) throw new RangeError(`sampling fps ${o.samplingFps} must divide fps ${o.fps}`);
  const ranges = splitRanges(o);
  if (existsSync(path.join(outDir, "manifest.json"))) throw new RangeError(`${path.join(outDir, "manifest.json")} already exists; choose an empty --out directory`);
  await mkdir(path.join(outDir, "videos"), { recursive: true });
  await mkdir(path.join(outDir, "annotations"), { recursive: true });
  const one = async (i: number): Promise<Manifest["videos"][number]> => {
    const seed = o.seed + i;
    const split = SPLITS.find((s) => seed >= ranges[s][0] && seed < ranges[s][1]) as Split;
    const name = `synth-${seed}`;
    const scene = sampleScene(seed, { width: o.width, height: o.height, frames: o.frames, fps: o.fps, pan: o.pan });
    const mp4Rel = `videos/${name}.mp4`;
    const tmp = path.join(outDir, "videos", `.${name}.partial.mp4`);
    try {
      const video = await renderVideo(scene, { mp4: tmp, occludedBelow: o.occludedBelow, onFrame: hooks.onFrame, signal: hooks.signal });
      const meta = await probeVideo(tmp, { displayName: `${name}.mp4` });
      if (meta.frameCount !== o.frames) throw new Error(`${mp4Rel} decodes to ${meta.frameCount} frames, expected ${o.frames}`);
      await rename(tmp, path.join(outDir, mp4Rel));
      const annotations: Manifest["videos"][number]["annotations"] = [];
      for (const ex of trackAnyExamples(video, name, o.samplingFps)) {
        const file = `annotations/${ex.id}.json`;
        await writeFile(path.join(outDir, file), ex.json);
        annotations.push({ file, sha256: sha256(ex.json), id: ex.id, expression: ex.query.expression, objectIds: ex.query.objectIds });
      }
      return {
        name, seed, split,
        video: { file: mp4Rel, sha256: sha256(await readFile(path.join(outDir, mp4Rel))) },
        framesSha256: video.framesSha256,
        frameCount: o.frames,
        objects: scene.objects.map((ob) => ({ id: ob.id, category: ob.category, colour: ob.colour, sizeClass: ob.sizeClass })),
        annotations,
      };
    } finally {
      await rm(tmp, { force: true });
    }
  };
  // Several videos in flight: ffmpeg encodes and probes in its own processes while the next frames render.
  // Each video depends only on its seed, so the output does not depend on the interleaving.
  const videos: Manifest["videos"] = new Array(o.videos);
  let nextIndex = 0;
  let failed = false;
  const worker = async () => {
    while (nextIndex < o.videos && !failed) {
      const i = nextIndex++;
      try {
        videos[i] = await one(i);
      } catch (e) {
        failed = true; // the others finish their current video and stop
        throw e;
      }
    }
  };
  const jobs = Math.max(1, Math.min(hooks.jobs ?? Math.min(4, availableParallelism()), o.videos));
  await Promise.all(Array.from({ length: jobs }, worker));
  const { testVideos: _t, valVideos: _v, ...rest } = o;
  const body: Omit<Manifest, "contentHash"> = {
    format: "groundtrack-synth/1",
    options: rest,
    splits: Object.fromEntries(SPLITS.map((s) => [s, { seeds: ranges[s], videos: ranges[s][1] - ranges[s][0], contentHash: splitHash(rest, videos, s) }])) as Manifest["splits"],
    videos,
  };
  const manifest: Manifest = { ...body, contentHash: contentHash(body) };
  await writeFile(path.join(outDir, "manifest.json"), JSON.stringify(manifest, null, 1) + "\n");
  return manifest;
}

/** Reads and validates DIR/manifest.json, checking its content hash. Errors name the file and field. */
export async function readManifest(dir: string): Promise<Manifest> {
  const file = path.join(dir, "manifest.json");
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (e) {
    throw new RangeError(`${file}: cannot read (${(e as Error).message})`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new RangeError(`${file}: not valid JSON: ${(e as Error).message}`);
  }
  const r = ManifestSchema.safeParse(raw);
  if (!r.success) {
    const i = r.error.issues[0];
    throw new RangeError(`${file}: ${i.path.join(".") || "(root)"}: ${i.message}`);
  }
  const { contentHash: stated, ...body } = r.data;
  for (const s of SPLITS) {
    const h = splitHash(body.options, body.videos, s);
    if (h !== body.splits[s].contentHash) throw new RangeError(`${file}: splits.${s}.contentHash ${body.splits[s].contentHash} does not match the ${s} videos (${h})`);
  }
  const actual = contentHash(body);
  if (actual !== stated) throw new RangeError(`${file}: contentHash ${stated} does not match the manifest's content (${actual})`);
  return r.data;
}
