// `groundtrack synth`: generate a synthetic TrackSyn-style point-tracking dataset (mp4 + TrackAny JSON +
// manifest), and `groundtrack synth export-molmo2`: snapshot it in the layout allenai/molmo2's loader reads.
import { parseCommandArgs, UserError } from "../args";
import { progressBar } from "../progress";

export const summary = "synthetic tracking data: generate videos + TrackAny JSON (synth), export for molmo2 (synth export-molmo2)";

const USAGE = `usage:
  groundtrack synth --out DIR --videos N --seed S [--frames F] [--width W] [--height H] [--fps R]
                    [--sampling-fps R2] [--pan] [--test-videos T] [--val-videos V] [--occluded-below A] [--jobs J]
  groundtrack synth export-molmo2 --in DIR --out DIR2
  --frames 48, --width 320, --height 240, --fps 10, --sampling-fps 2 (must divide --fps) by default
  --pan            the camera pans in every video (background and objects shift)
  --test-videos    videos in the frozen test split = the first T seeds (default 10 % of N once N ≥ 3);
  --val-videos     the next V seeds are val; the rest is train
  --jobs           videos generated concurrently (default min(4, CPUs)); the output is the same for any value
  --occluded-below a point is occluded when its visible area is below this fraction of its in-frame area (0.25)
Writes DIR/videos/<name>.mp4 (H.264), DIR/annotations/<name>_q<k>.json (one MolmoPoint-TrackAny example per
referring query, with per-frame COCO RLE masks) and DIR/manifest.json (splits by seed range, hashes).`;

function intArg(name: string, text: string | undefined, fallback?: number): number | undefined {
  if (text === undefined) return fallback;
  const v = Number(text);
  if (!Number.isInteger(v)) throw new UserError(`--${name} must be an integer, got '${text}'`);
  return v;
}

async function generate(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, {
    out: { type: "string" }, videos: { type: "string" }, seed: { type: "string" }, frames: { type: "string" },
    width: { type: "string" }, height: { type: "string" }, fps: { type: "string" }, "sampling-fps": { type: "string" },
    pan: { type: "boolean" }, "test-videos": { type: "string" }, "val-videos": { type: "string" },
    "occluded-below": { type: "string" }, jobs: { type: "string" }, help: { type: "boolean", short: "h" },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (positionals.length) throw new UserError(`unexpected argument '${positionals[0]}'\n${USAGE}`);
  for (const name of ["out", "videos", "seed"] as const) if (values[name] === undefined) throw new UserError(`--${name} is required\n${USAGE}`);
  const occ = values["occluded-below"];
  const occludedBelow = occ === undefined ? undefined : Number(occ);
  if (occludedBelow !== undefined && !Number.isFinite(occludedBelow)) throw new UserError(`--occluded-below must be a number, got '${occ}'`);
  const options = {
    videos: intArg("videos", values.videos) as number,
    seed: intArg("seed", values.seed) as number,
    frames: intArg("frames", values.frames),
    width: intArg("width", values.width),
    height: intArg("height", values.height),
    fps: intArg("fps", values.fps),
    samplingFps: intArg("sampling-fps", values["sampling-fps"]),
    pan: values.pan ?? false,
    testVideos: intArg("test-videos", values["test-videos"]),
    valVideos: intArg("val-videos", values["val-videos"]),
    occludedBelow,
  };
  const { generateDataset, SynthOptionsSchema } = await import("../../trainer/synth/dataset.ts");
  const parsed = SynthOptionsSchema.safeParse(options);
  if (!parsed.success) {
    const i = parsed.error.issues[0];
    const flag = String(i.path[0] ?? "").replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
    throw new UserError(`--${flag}: ${i.message}`);
  }
  const jobs = intArg("jobs", values.jobs);
  if (jobs !== undefined && jobs < 1) throw new UserError(`--jobs must be at least 1, got ${jobs}`);
  const total = parsed.data.videos * parsed.data.frames;
  const bar = progressBar("synth", total);
  try {
    const manifest = await generateDataset(values.out as string, options, { onFrame: () => bar.tick(), jobs });
    bar.stop();
    const examples = manifest.videos.reduce((n, v) => n + v.annotations.length, 0);
    const per = Object.entries(manifest.splits).map(([s, r]) => `${s} ${r.videos} (seeds ${r.seeds[0]}–${r.seeds[1] - 1})`).join(", ");
    console.log(`wrote ${manifest.videos.length} videos and ${examples} TrackAny examples to ${values.out}: ${per}; content hash ${manifest.contentHash}`);
    return 0;
  } catch (e) {
    bar.stop();
    if (e instanceof RangeError) throw new UserError(e.message);
    throw e;
  }
}

async function exportMolmo2(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, { in: { type: "string" }, out: { type: "string" }, help: { type: "boolean", short: "h" } });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (positionals.length) throw new UserError(`unexpected argument '${positionals[0]}'\n${USAGE}`);
  for (const name of ["in", "out"] as const) if (values[name] === undefined) throw new UserError(`--${name} is required\n${USAGE}`);
  const { exportForMolmo2, ExportError } = await import("../../trainer/export/molmo2.ts");
  try {
    const r = await exportForMolmo2(values.in as string, values.out as string);
    console.log(`wrote ${r.videos} videos and ${Object.entries(r.rows).map(([s, n]) => `${n} ${s}`).join(" / ")} examples to ${values.out} (see ${r.readme})`);
    return 0;
  } catch (e) {
    if (e instanceof ExportError) throw new UserError(e.message);
    throw e;
  }
}

export async function run(argv: string[]): Promise<number> {
  if (argv[0] === "export-molmo2") return exportMolmo2(argv.slice(1));
  return generate(argv);
}
