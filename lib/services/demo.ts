// Demo data for the first start: one user per role (plus a second annotator for live collaboration),
// a demo project, a synthetic video whose tasks are seeded from its exact ground truth, and the real
// sample video vtest.avi (three pedestrians) when it is available. Idempotent: does nothing once users exist.
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { Db } from "../db";
import { generatePassword } from "../auth/password";
import { generateSyntheticVideo, ingestVideo, type SyntheticGroundTruth } from "../video";
import { createUser } from "./catalog";
import { createTask } from "./tasks";
import { registerVideo } from "./videos";

export interface DemoLogin { username: string; role: string; password: string }
export interface DemoResult { created: boolean; logins: DemoLogin[]; notes: string[] }

export const DEMO_PROJECT = "Demo";
export const SYNTHETIC_SPEC = { width: 640, height: 360, frames: 150, fps: 25, cuts: [90] } as const;
export const SYNTHETIC_SEED = 7;

/** Hand-placed seed points (frame 0, torso centres) of the three pedestrians in opencv's vtest.avi (768x576). */
export const VTEST_PEOPLE = [
  { label: "person on the grass", x: 266, y: 258 },
  { label: "person by the sign", x: 515, y: 190 },
  { label: "person on the right", x: 664, y: 272 },
] as const;

/** First visible ground-truth point of an object (the task's seed point), or null if it is never visible. */
export function firstVisible(gt: SyntheticGroundTruth, objectId: number): { frame: number; x: number; y: number } | null {
  const obj = gt.objects.find((o) => o.id === objectId);
  if (!obj) return null;
  const frame = obj.track.findIndex((p) => p.state === "visible" && p.x >= 0 && p.y >= 0 && p.x <= gt.width && p.y <= gt.height);
  return frame < 0 ? null : { frame, x: obj.track[frame]!.x, y: obj.track[frame]!.y };
}

export interface DemoOptions {
  storeDir: string;
  /** Folder holding vtest.avi (scripts/system-deps.mjs ensureSampleVideos); null skips the real video. */
  samplesDir?: string | null;
  /** Synthetic video spec (default SYNTHETIC_SPEC; tests pass a smaller one). */
  synthetic?: { width: number; height: number; frames: number; fps: number; cuts: readonly number[] };
  log?: (msg: string) => void;
}

export async function seedDemo(db: Db, opts: DemoOptions): Promise<DemoResult> {
  const log = opts.log ?? (() => {});
  if ((await db.user.count()) > 0) return { created: false, logins: [], notes: [] };
  const notes: string[] = [];
  const logins: DemoLogin[] = [
    { username: "admin", role: "admin", password: generatePassword() },
    { username: "reviewer", role: "reviewer", password: generatePassword() },
    { username: "annotator", role: "annotator", password: generatePassword() },
    { username: "annotator2", role: "annotator", password: generatePassword() },
  ];
  const ids: Record<string, number> = {};
  for (const l of logins) ids[l.username] = (await createUser(db, null, { username: l.username, displayName: l.username[0]!.toUpperCase() + l.username.slice(1), role: l.role, password: l.password })).id;
  const admin = { id: ids.admin!, username: "admin", displayName: "Admin", role: "admin" as const };
  const project = await db.project.create({ data: { name: DEMO_PROJECT, description: "Synthetic shapes with exact ground truth, and a real street scene.", createdById: admin.id } });

  const spec = opts.synthetic ?? SYNTHETIC_SPEC;
  const tmp = await mkdtemp(path.join(os.tmpdir(), "gt-demo-"));
  try {
    log("generating the synthetic demo video");
    const file = path.join(tmp, "shapes.mp4");
    const { groundTruth } = await generateSyntheticVideo(file, { ...spec, cuts: [...spec.cuts] }, SYNTHETIC_SEED);
    const video = await registerVideo(db, admin, project.id, "shapes.mp4", await ingestVideo(file, { storeDir: opts.storeDir, originalName: "shapes.mp4" }));
    let n = 0;
    for (const ex of groundTruth.expressions) {
      const expression = await db.expression.create({ data: { videoId: video.id, text: ex.text } });
      for (const [k, objectId] of ex.objectIds.entries()) {
        const gtObj = groundTruth.objects.find((o) => o.id === objectId)!;
        await db.trackedObject.create({ data: { expressionId: expression.id, objectKey: k, label: `${gtObj.colour} ${gtObj.category} #${objectId}` } });
        const seed = firstVisible(groundTruth, objectId);
        if (!seed) continue;
        await createTask(db, admin, { videoId: video.id, expressionId: expression.id, objectKey: k, seed, assigneeId: null, priority: 0 });
        n++;
      }
    }
    notes.push(`shapes.mp4: ${groundTruth.frameCount} frames, ${groundTruth.expressions.length} expressions, ${n} tasks`);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }

  const vtest = opts.samplesDir ? path.join(opts.samplesDir, "vtest.avi") : null;
  if (vtest) {
    try {
      log("indexing the real sample video vtest.avi");
      const video = await registerVideo(db, admin, project.id, "vtest.avi", await ingestVideo(vtest, { storeDir: opts.storeDir, originalName: "vtest.avi" }));
      const expression = await db.expression.create({ data: { videoId: video.id, text: "the people walking" } });
      for (const [k, p] of VTEST_PEOPLE.entries()) {
        await db.trackedObject.create({ data: { expressionId: expression.id, objectKey: k, label: p.label } });
        await createTask(db, admin, { videoId: video.id, expressionId: expression.id, objectKey: k, seed: { frame: 0, x: p.x, y: p.y }, assigneeId: null, priority: 1 });
      }
      notes.push(`vtest.avi: ${video.frameCount} frames, 3 tasks`);
    } catch (err) {
      notes.push(`vtest.avi skipped: ${err instanceof Error ? err.message : String(err)}`);
    }
  } else {
    notes.push("vtest.avi skipped: sample videos not available");
  }
  return { created: true, logins, notes };
}
