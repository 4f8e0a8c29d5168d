// `groundtrack video ...`: probe a file (frame-exact index), render a synthetic demo video with ground truth,
// ingest a file or a folder into a store, extract one exact frame.
import { writeFile } from "node:fs/promises";
import { copyFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseCommandArgs, jsonOption, numberOption, UserError, runSubcommand } from "../args.ts";
import { progressBar } from "../progress.ts";
import {
  FrameStore,
  VideoError,
  generateSyntheticVideo,
  importFolder,
  ingestVideo,
  probeVideo,
  type SyntheticSpec,
} from "../../lib/video/index.ts";

export const summary = "probe a video (frame-exact index, shots), render synthetic demo videos, ingest, extract frames";

const USAGE = `usage:
  groundtrack video probe FILE                       print the VideoMeta JSON (frame-exact timestamps, shots)
  groundtrack video synth --out F.mp4 --seed N [--width 320 --height 240 --frames 90 --fps 30]
                          [--cuts 30,60] [--vfr] [--no-bframes] [--spec JSON] [--truth F.json]
                                                     render a synthetic video (.mp4/.webm/.mkv/.avi) and
                                                     write its ground truth JSON (default <out>.truth.json)
  groundtrack video ingest FILE --store DIR [--name NAME] [--max-bytes N]
  groundtrack video import DIR --store DIR [--recursive] [--max-bytes N]
  groundtrack video frame FILE --index I --out F.(jpg|png|webp) [--width W]
                                                     write exactly frame I (by the frame-exact index)`;

function wrap(e: unknown): never {
  if (e instanceof VideoError) throw new UserError(`${e.code}: ${e.message}`);
  throw e;
}

function intOption(name: string, text: string | undefined, fallback?: number): number {
  const v = numberOption(name, text, fallback);
  if (!Number.isInteger(v) || v < 0) throw new UserError(`--${name} must be a non-negative integer, got '${text}'`);
  return v;
}

async function probe(argv: string[]): Promise<number> {
  const { positionals } = parseCommandArgs(argv, {});
  if (positionals.length !== 1) throw new UserError("video probe takes exactly one FILE");
  const meta = await probeVideo(positionals[0]).catch(wrap);
  console.log(JSON.stringify(meta, null, 2));
  return 0;
}

async function synth(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, {
    out: { type: "string" },
    seed: { type: "string" },
    width: { type: "string" },
    height: { type: "string" },
    frames: { type: "string" },
    fps: { type: "string" },
    cuts: { type: "string" },
    vfr: { type: "boolean" },
    "no-bframes": { type: "boolean" },
    spec: { type: "string" },
    truth: { type: "string" },
  });
  if (positionals.length) throw new UserError(`unexpected argument '${positionals[0]}'`);
  if (!values.out) throw new UserError("--out is required (e.g. --out shapes.mp4)");
  const seed = intOption("seed", values.seed);
  const base = values.spec === undefined ? {} : (jsonOption("spec", values.spec) as Record<string, unknown>);
  if (typeof base !== "object" || base === null || Array.isArray(base)) throw new UserError("--spec must be a JSON object");
  const cuts = values.cuts === undefined ? undefined : values.cuts.split(",").filter(Boolean).map((c) => intOption("cuts", c));
  const spec = {
    width: 320,
    height: 240,
    frames: 90,
    ...base,
    ...(values.width !== undefined && { width: intOption("width", values.width) }),
    ...(values.height !== undefined && { height: intOption("height", values.height) }),
    ...(values.frames !== undefined && { frames: intOption("frames", values.frames) }),
    ...(values.fps !== undefined && { fps: numberOption("fps", values.fps) }),
    ...(cuts && { cuts }),
    ...(values.vfr && { vfr: true }),
    ...(values["no-bframes"] && { bframes: false }),
  } as SyntheticSpec; // validated by SyntheticSpecSchema inside generateSyntheticVideo
  const { meta, groundTruth } = await generateSyntheticVideo(values.out, spec, seed).catch(wrap);
  const truth = values.truth ?? `${values.out.replace(/\.[^./]+$/, "")}.truth.json`;
  await writeFile(truth, JSON.stringify(groundTruth) + "\n");
  console.log(JSON.stringify({ video: values.out, truth, frameCount: meta.frameCount, shotBoundaries: meta.shotBoundaries, objects: groundTruth.objects.length, expressions: groundTruth.expressions.map((e) => e.text) }));
  return 0;
}

async function ingest(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, { store: { type: "string" }, name: { type: "string" }, "max-bytes": { type: "string" } });
  if (positionals.length !== 1) throw new UserError("video ingest takes exactly one FILE");
  if (!values.store) throw new UserError("--store is required");
  const r = await ingestVideo(positionals[0], {
    storeDir: values.store,
    originalName: values.name ?? path.basename(positionals[0]),
    maxBytes: values["max-bytes"] === undefined ? undefined : intOption("max-bytes", values["max-bytes"]),
  }).catch(wrap);
  console.log(JSON.stringify({ storedPath: r.storedPath, sha256: r.sha256, container: r.container, frameCount: r.meta.frameCount, fps: r.meta.fps, shotBoundaries: r.meta.shotBoundaries }));
  return 0;
}

async function importDir(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, { store: { type: "string" }, recursive: { type: "boolean" }, "max-bytes": { type: "string" } });
  if (positionals.length !== 1) throw new UserError("video import takes exactly one DIR");
  if (!values.store) throw new UserError("--store is required");
  const bar = progressBar("import", 0);
  const entries = await importFolder(positionals[0], {
    storeDir: values.store,
    recursive: values.recursive ?? false,
    maxBytes: values["max-bytes"] === undefined ? undefined : intOption("max-bytes", values["max-bytes"]),
    onFile: () => bar.tick(),
  }).catch(wrap);
  bar.stop();
  for (const e of entries) {
    console.log(JSON.stringify(e.error ? { file: e.file, error: { code: e.error.code, message: e.error.message } } : { file: e.file, storedPath: e.result?.storedPath, frameCount: e.result?.meta.frameCount }));
  }
  return entries.some((e) => e.error) ? 1 : 0;
}

async function frame(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, { index: { type: "string" }, out: { type: "string" }, width: { type: "string" } });
  if (positionals.length !== 1) throw new UserError("video frame takes exactly one FILE");
  if (!values.out) throw new UserError("--out is required");
  const ext = path.extname(values.out).toLowerCase();
  const format = ext === ".png" ? "png" : ext === ".webp" ? "webp" : ext === ".jpg" || ext === ".jpeg" ? "jpeg" : null;
  if (!format) throw new UserError("--out must end in .jpg, .png or .webp");
  const index = intOption("index", values.index);
  const meta = await probeVideo(positionals[0]).catch(wrap);
  const store = new FrameStore({ cacheDir: path.join(tmpdir(), "groundtrack-cli-frames"), format, chunkSize: 1 });
  const id = `cli-${process.pid}-${Date.now()}`;
  try {
    const img = await store.getFrame({ id, path: positionals[0], meta }, index, values.width === undefined ? {} : { width: intOption("width", values.width) }).catch(wrap);
    await copyFile(img.file, values.out);
  } finally {
    await store.evict(id);
  }
  console.log(JSON.stringify({ frame: index, timestamp: meta.timestamps[index], out: values.out }));
  return 0;
}

export function run(argv: string[]): Promise<number> {
  return runSubcommand(argv, { "probe": probe, "synth": synth, "ingest": ingest, "import": importDir, "frame": frame }, USAGE);
}
