// Snapshot of a groundtrack synth dataset in the layout allenai/molmo2's `MolmoPointTrackSyn` loader reads
// (olmo/data/molmo2_video_track_datasets.py + TrackingDataset in academic_video_track_datasets.py):
//   $MOLMO_DATA_DIR/video_datasets/video_track/MolmoPoint-TrackSyn/<video>.mp4   (video column + ".mp4")
//   $MOLMO_DATA_DIR/video_datasets/video_track/tracking/molmopoint-tracksyn/track/train   (datasets.load_from_disk)
// The HF-datasets cache cannot be written from Node, so rows are written as JSONL with the dataset card's
// columns and types, plus a small script that turns them into that cache with the `datasets` library.
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { copyFile, mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { readManifest, SPLITS, type Split } from "../synth/dataset";

export class ExportError extends Error {
  override name = "ExportError";
}

/** Where things go under the export root (= MOLMO_DATA_DIR). */
export const MOLMO2_LAYOUT = {
  videoHome: "video_datasets/video_track/MolmoPoint-TrackSyn",
  /** `TrackingDataset._get_local_dir(task, split)` = LOCAL_DIR/DATASET_NAME/task/split. */
  hfCache: (split: string) => `video_datasets/video_track/tracking/molmopoint-tracksyn/track/${split}`,
  rows: (split: string) => `groundtrack/${split}.jsonl`,
  masks: (id: string) => `groundtrack/masks/${id}.json`,
  /** Prefix of the `video` column (the HF data uses `static-camera/{run_dir}/{video}`). */
  videoPrefix: (split: string) => `groundtrack-synth/${split}`,
} as const;

const int = z.number().int();
const Rle = z.object({ size: z.tuple([int.nonnegative(), int.nonnegative()]), counts: z.string() });
/** One annotation file as `groundtrack synth` writes it (card columns + masks). */
const AnnotationSchema = z.object({
  id: z.string(),
  video: z.string(),
  expression: z.string(),
  fps: int.positive(),
  sampling_fps: int.positive(),
  height: int.positive(),
  width: int.positive(),
  n_frames: int.positive(),
  task: z.literal("track"),
  frame_trajectories: z.array(z.object({
    frame: int.nonnegative(),
    time: z.number().finite(),
    points: z.array(z.object({ id: int, point: z.tuple([z.number().finite(), z.number().finite()]), occluded: z.boolean() })),
  })),
  mask_id: z.array(z.string()),
  obj_id: z.array(int),
  qid: z.string(),
  anno_id: z.array(z.string()),
  masks: z.array(z.object({ object_id: int, masks: z.array(Rle) })),
});

/** A row with exactly the MolmoPoint-TrackSyn card's columns, in its order. */
export function molmo2Row(a: z.infer<typeof AnnotationSchema>, video: string) {
  return {
    id: a.id, video, expression: a.expression, fps: a.fps, sampling_fps: a.sampling_fps, height: a.height,
    n_frames: a.n_frames, width: a.width, task: a.task, frame_trajectories: a.frame_trajectories, mask_id: a.mask_id,
    obj_id: a.obj_id, qid: a.qid, anno_id: a.anno_id,
  };
}

const sha256 = (data: string | Uint8Array) => createHash("sha256").update(data).digest("hex");

export interface ExportResult {
  videos: number;
  rows: Record<Split, number>;
  readme: string;
}

/**
 * Exports `inDir` (a `groundtrack synth` output; manifest hash and every file hash are checked first) to
 * `outDir`. Refuses an `outDir` that already holds an export.
 */
export async function exportForMolmo2(inDir: string, outDir: string): Promise<ExportResult> {
  let manifest;
  try {
    manifest = await readManifest(inDir);
  } catch (e) {
    throw new ExportError((e as Error).message);
  }
  const marker = path.join(outDir, "groundtrack", "export.json");
  if (existsSync(marker)) throw new ExportError(`${marker} exists: ${outDir} already holds an export; choose another --out`);
  const rows: Record<Split, string[]> = { train: [], val: [], test: [] };
  const masks: Array<[string, string]> = [];
  const copies: Array<[string, string]> = [];
  for (const v of manifest.videos) {
    const mp4 = path.join(inDir, v.video.file);
    let bytes: Buffer;
    try {
      bytes = await readFile(mp4);
    } catch (e) {
      throw new ExportError(`${mp4}: cannot read (${(e as Error).message})`);
    }
    if (sha256(bytes) !== v.video.sha256) throw new ExportError(`${mp4}: sha256 differs from manifest.json videos[${v.name}].video.sha256`);
    const video = `${MOLMO2_LAYOUT.videoPrefix(v.split)}/${v.name}`;
    copies.push([mp4, path.join(outDir, MOLMO2_LAYOUT.videoHome, `${video}.mp4`)]);
    for (const a of v.annotations) {
      const file = path.join(inDir, a.file);
      let text: string;
      try {
        text = await readFile(file, "utf8");
      } catch (e) {
        throw new ExportError(`${file}: cannot read (${(e as Error).message})`);
      }
      if (sha256(text) !== a.sha256) throw new ExportError(`${file}: sha256 differs from manifest.json`);
      let raw: unknown;
      try {
        raw = JSON.parse(text);
      } catch (e) {
        throw new ExportError(`${file}: not valid JSON: ${(e as Error).message}`);
      }
      const r = AnnotationSchema.safeParse(raw);
      if (!r.success) {
        const i = r.error.issues[0];
        throw new ExportError(`${file}: ${i.path.join(".") || "(root)"}: ${i.message}`);
      }
      rows[v.split].push(JSON.stringify(molmo2Row(r.data, video)));
      // Keyed by mask id, as molmo2 keeps per-query GT masks (MasksRLE/{video}/{qid}.json).
      masks.push([MOLMO2_LAYOUT.masks(r.data.id), JSON.stringify(Object.fromEntries(r.data.masks.map((m) => [String(m.object_id), m.masks])))]);
    }
  }
  for (const [from, to] of copies) {
    await mkdir(path.dirname(to), { recursive: true });
    await copyFile(from, to);
  }
  await mkdir(path.join(outDir, "groundtrack", "masks"), { recursive: true });
  for (const [rel, text] of masks) await writeFile(path.join(outDir, rel), text);
  for (const s of SPLITS) await writeFile(path.join(outDir, MOLMO2_LAYOUT.rows(s)), rows[s].map((l) => l + "\n").join(""));
  await writeFile(path.join(outDir, "groundtrack", "build_hf_cache.py"), BUILD_SCRIPT);
  const readme = path.join(outDir, "README.md");
  await writeFile(readme, exportReadme(manifest.contentHash, Object.fromEntries(SPLITS.map((s) => [s, rows[s].length])) as Record<Split, number>));
  const counts = Object.fromEntries(SPLITS.map((s) => [s, rows[s].length])) as Record<Split, number>;
  await writeFile(marker, JSON.stringify({ source: path.basename(path.resolve(inDir)), sourceContentHash: manifest.contentHash, rows: counts, videos: manifest.videos.length }, null, 1) + "\n");
  return { videos: manifest.videos.length, rows: counts, readme };
}

/** Turns the JSONL rows into the `datasets.load_from_disk` cache the molmo2 loader opens. */
export const BUILD_SCRIPT = `# Builds the Hugging Face datasets cache that allenai/molmo2's MolmoPointTrackSyn loader opens with
# datasets.load_from_disk (TrackingDataset._get_local_dir: LOCAL_DIR/molmopoint-tracksyn/track/<split>).
# Column types are those of the allenai/MolmoPoint-TrackSyn dataset card. Run: python3 groundtrack/build_hf_cache.py
import json
import os
from datasets import Dataset, Features, Value

here = os.path.dirname(os.path.abspath(__file__))
root = os.path.dirname(here)
point = {"id": Value("int64"), "point": [Value("float64")], "occluded": Value("bool")}
features = Features({
    "id": Value("string"), "video": Value("string"), "expression": Value("string"),
    "fps": Value("int64"), "sampling_fps": Value("int64"), "height": Value("int64"),
    "n_frames": Value("int64"), "width": Value("int64"), "task": Value("string"),
    "frame_trajectories": [{"frame": Value("int64"), "time": Value("float64"), "points": [point]}],
    "mask_id": [Value("string")], "obj_id": [Value("int64")], "qid": Value("string"), "anno_id": [Value("string")],
})
for split in ("train", "val", "test"):
    with open(os.path.join(here, split + ".jsonl")) as f:
        rows = [json.loads(line) for line in f if line.strip()]
    if not rows:
        continue
    out = os.path.join(root, "${MOLMO2_LAYOUT.hfCache("")}" + split)
    Dataset.from_list(rows, features=features).save_to_disk(out)
    print(f"{split}: {len(rows)} rows -> {out}")
`;

function exportReadme(hash: string, rows: Record<Split, number>): string {
  return `# groundtrack synthetic tracks — MolmoPoint-TrackSyn layout

Exported by \`groundtrack synth export-molmo2\` from a \`groundtrack synth\` dataset (content hash \`${hash}\`).
Rows: ${rows.train} train, ${rows.val} val, ${rows.test} test (frozen test = the first seeds).

This directory is a \`MOLMO_DATA_DIR\` for [allenai/molmo2](https://github.com/allenai/molmo2):

- \`${MOLMO2_LAYOUT.videoHome}/groundtrack-synth/<split>/<video>.mp4\` — where \`MolmoPointTrackSyn\` resolves
  \`VIDEO_HOME/<video column>.mp4\`;
- \`groundtrack/<split>.jsonl\` — one row per referring query with exactly the MolmoPoint-TrackSyn card columns and
  types (id, video, expression, fps, sampling_fps, height, n_frames, width, task, frame_trajectories, mask_id,
  obj_id, qid, anno_id); \`groundtrack/masks/<id>.json\` — per-frame COCO RLE of each object's visible mask, keyed by
  mask id;
- \`groundtrack/build_hf_cache.py\` — writes the \`datasets.load_from_disk\` cache the loader opens
  (\`${MOLMO2_LAYOUT.hfCache("<split>")}\`). Run it once with the \`datasets\` package installed.

## Fine-tuning MolmoPoint-8B on a GPU cluster

\`\`\`bash
export MOLMO_DATA_DIR=$PWD          # this directory
python3 groundtrack/build_hf_cache.py
# in a checkout of allenai/molmo2 (launch command from its MOLMO_POINT_README.md "SFT" section):
torchrun --nproc-per-node=8 launch_scripts/sft.py \\
  /path/to/MolmoPoint-8B-SFT molmo_point \\
  --save_folder=/path/to/save/folder \\
  --global_batch_size=160 \\
  --max_duration=22000
\`\`\`

The \`molmo_point\` mixture reads this data as \`molmo_point_track_syn\` (TRACKING_MIXTURE_v2_1 in
\`launch_scripts/sft.py\`, capped at 10k examples) next to all its other datasets, which must also be present. A
synthetic-only run needs a mixture naming just \`molmo_point_track_syn\` added to \`get_training_mixture\`. The
native checkpoints (Pretrain/SFT tarballs) are listed in MOLMO_POINT_README.md; note that the public \`sft.py\`
rebuilds a Molmo2Config from the checkpoint, which may need adapting for MolmoPoint checkpoints.

What was verified (in groundtrack's test suite, on a small export made with the same code): allenai/molmo2's
own \`MolmoPointTrackSyn(split="train", task="track")\` parsing — \`TrackingDataset.load\` filters,
\`_create_message_list\`, \`get\`, \`get_candidate_sampling_fps\` — was run on the exported rows, with only the
Hugging Face loading stubbed; it accepted every row, asked for the cache directory this layout uses, and resolved
every video to an existing file. Not run here: \`build_hf_cache.py\` (needs the \`datasets\` package), the
model-side formatting/preprocessing, and training.
`;
}
