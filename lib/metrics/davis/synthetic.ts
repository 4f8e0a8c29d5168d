// Deterministic synthetic DAVIS-layout datasets (moving ellipses / rectangles, void bands, absent objects,
// perturbed, permuted, empty or extra predictions). Used by the parity fixtures and the benchmark, which
// regenerate the exact same PNGs from a compact JSON description.
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { z } from "zod";
import { encodeIndexedPng } from "../../masks/png-indexed";
import { seededRandom as rng } from "../../random";

export const SyntheticSequenceSpec = z.object({
  name: z.string().regex(/^[A-Za-z0-9_-]+$/),
  frames: z.number().int().min(1).max(400),
  width: z.number().int().min(2).max(4096),
  height: z.number().int().min(2).max(4096),
  objects: z.number().int().min(0).max(254),
  seed: z.number().int(),
  /** Paint a void (255) band across the GT in every other frame. */
  voidBand: z.boolean().default(false),
  /** [object, firstFrame, lastFrame]: the object is missing from the GT in those frames (inclusive). */
  absent: z.array(z.tuple([z.number().int(), z.number().int(), z.number().int()])).default([]),
  /** GT object k (1-based index into this list) is predicted with label predLabels[k-1]; 0 drops it. Default identity. */
  predLabels: z.array(z.number().int().min(0).max(255)).optional(),
  /** How far predicted shapes wander from the GT shape, in pixels. */
  jitter: z.number().min(0).default(2),
  /** Frames whose prediction is entirely empty. */
  emptyPredFrames: z.array(z.number().int()).default([]),
  /** Extra predicted blobs with these labels that match no GT object. */
  extraLabels: z.array(z.number().int().min(1).max(255)).default([]),
  /** Frames where the prediction equals the GT exactly (including label mapping). */
  exactFrames: z.array(z.number().int()).default([]),
});
export type SyntheticSequenceSpec = z.input<typeof SyntheticSequenceSpec>;

export interface SyntheticSequence {
  name: string;
  width: number;
  height: number;
  gt: Uint8Array[];
  pred: Uint8Array[];
}

interface Shape {
  kind: "ellipse" | "rect";
  cx: number;
  cy: number;
  rx: number;
  ry: number;
  vx: number;
  vy: number;
}

function paint(img: Uint8Array, w: number, h: number, s: Shape, t: number, label: number, dx = 0, dy = 0, dr = 0): void {
  const cx = s.cx + s.vx * t + dx;
  const cy = s.cy + s.vy * t + dy;
  const rx = Math.max(0.5, s.rx + dr);
  const ry = Math.max(0.5, s.ry + dr);
  const y0 = Math.max(0, Math.floor(cy - ry));
  const y1 = Math.min(h - 1, Math.ceil(cy + ry));
  const x0 = Math.max(0, Math.floor(cx - rx));
  const x1 = Math.min(w - 1, Math.ceil(cx + rx));
  for (let y = y0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++) {
      const u = (x - cx) / rx;
      const v = (y - cy) / ry;
      const inside = s.kind === "rect" ? Math.abs(u) <= 1 && Math.abs(v) <= 1 : u * u + v * v <= 1;
      if (inside) img[y * w + x] = label;
    }
  }
}

export function generateSequence(input: SyntheticSequenceSpec): SyntheticSequence {
  const spec = SyntheticSequenceSpec.parse(input);
  const { width: w, height: h, frames, objects } = spec;
  const rand = rng(spec.seed);
  const shapes: Shape[] = Array.from({ length: objects + spec.extraLabels.length }, () => ({
    kind: rand() < 0.5 ? "ellipse" : "rect",
    // Centres may sit near or beyond the border so the last-row / last-column boundary cases are exercised.
    cx: rand() * w,
    cy: rand() * h,
    rx: 1 + rand() * w * 0.25,
    ry: 1 + rand() * h * 0.25,
    vx: (rand() - 0.5) * w * 0.05,
    vy: (rand() - 0.5) * h * 0.05,
  }));
  const labelOf = (k: number) => (spec.predLabels ? spec.predLabels[k - 1] ?? 0 : k);
  const isAbsent = (k: number, t: number) => spec.absent.some(([o, a, b]) => o === k && t >= a && t <= b);
  const gt: Uint8Array[] = [];
  const pred: Uint8Array[] = [];
  for (let t = 0; t < frames; t++) {
    const g = new Uint8Array(w * h);
    for (let k = 1; k <= objects; k++) if (!isAbsent(k, t)) paint(g, w, h, shapes[k - 1], t, k);
    if (spec.voidBand && t % 2 === 1) {
      const band = Math.floor(rand() * h);
      const thick = 1 + Math.floor(rand() * Math.max(1, h / 8));
      for (let y = band; y < Math.min(h, band + thick); y++) g.fill(255, y * w, (y + 1) * w);
    }
    gt.push(g);
    const p = new Uint8Array(w * h);
    if (spec.exactFrames.includes(t)) {
      for (let i = 0; i < g.length; i++) p[i] = g[i] === 255 || g[i] === 0 ? 0 : labelOf(g[i]);
    } else if (!spec.emptyPredFrames.includes(t)) {
      for (let k = 1; k <= objects; k++) {
        const jx = (rand() - 0.5) * 2 * spec.jitter;
        const jy = (rand() - 0.5) * 2 * spec.jitter;
        const jr = (rand() - 0.5) * spec.jitter;
        const lab = labelOf(k);
        if (lab > 0 && (!isAbsent(k, t) || rand() < 0.5)) paint(p, w, h, shapes[k - 1], t, lab, jx, jy, jr);
      }
      spec.extraLabels.forEach((lab, i) => {
        if (rand() < 0.8) paint(p, w, h, shapes[objects + i], t, lab);
      });
    }
    pred.push(p);
  }
  return { name: spec.name, width: w, height: h, gt, pred };
}

export const frameFileId = (t: number) => String(t).padStart(5, "0");

/**
 * Writes a DAVIS 2017 layout under `root` (the same GT as Annotations and Annotations_unsupervised; the
 * JPEG frames are empty placeholders because the evaluators only count them) and the predictions under
 * `resultsRoot/<seq>/<frame>.png`.
 */
export function writeDavisLayout(root: string, resultsRoot: string, sequences: SyntheticSequence[], subset = "val"): void {
  mkdirSync(path.join(root, "ImageSets", "2017"), { recursive: true });
  writeFileSync(path.join(root, "ImageSets", "2017", `${subset}.txt`), sequences.map((s) => s.name).join("\n") + "\n");
  for (const s of sequences) {
    const dirs = ["Annotations", "Annotations_unsupervised"].map((a) => path.join(root, a, "480p", s.name));
    const jpg = path.join(root, "JPEGImages", "480p", s.name);
    const res = path.join(resultsRoot, s.name);
    for (const d of [...dirs, jpg, res]) mkdirSync(d, { recursive: true });
    s.gt.forEach((g, t) => {
      const id = frameFileId(t);
      const png = encodeIndexedPng(s.width, s.height, g);
      for (const d of dirs) writeFileSync(path.join(d, `${id}.png`), png);
      writeFileSync(path.join(jpg, `${id}.jpg`), "");
      writeFileSync(path.join(res, `${id}.png`), encodeIndexedPng(s.width, s.height, s.pred[t]));
    });
  }
}
