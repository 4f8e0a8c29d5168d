// Shared by the trainer service tests: a real encoded video in the database with accepted tasks (through the real
// workflow: create → start → submit → review accepted), plus a small real synthetic dataset.
import path from "node:path";
import type { Db } from "../../../lib/db";
import { reviewTask, startTask, submitTask, createTask } from "../../../lib/services/tasks";
import { generateSyntheticVideo, type VideoMeta } from "../../../lib/video";
import { generateDataset } from "../../../trainer/synth/dataset";
import type { World } from "../../helpers/app";

export async function addVideo(db: Db, w: World, file: string, name: string, opts: { frames: number; dbFrames?: number }): Promise<{ id: number; meta: VideoMeta }> {
  const { meta } = await generateSyntheticVideo(file, {
    width: 96, height: 64, frames: opts.frames, fps: 10,
    objects: [{ id: 1, category: "square", colour: "red", size: 8, path: [{ frame: 0, x: 20, y: 30 }, { frame: opts.frames - 1, x: 70, y: 30 }] }],
  }, 1);
  const v = await db.video.create({
    data: {
      projectId: w.projectId, name, container: meta.container, codec: meta.codec, width: meta.width, height: meta.height, fps: meta.fps,
      durationSec: meta.durationSec, frameCount: opts.dbFrames ?? meta.frameCount, frameTimestamps: JSON.stringify(meta.timestamps),
      shotBoundaries: JSON.stringify(meta.shotBoundaries), storagePath: file, sizeBytes: meta.sizeBytes,
    },
  });
  return { id: v.id, meta };
}

/** An expression with one task per object seeded at `frames[k][0]`, extra keyframes at the other frames, all accepted. */
export async function acceptedExpression(db: Db, w: World, videoId: number, text: string, frames: number[][], opts: { gold?: boolean; accept?: boolean } = {}): Promise<number[]> {
  const expression = await db.expression.create({ data: { videoId, text, objects: { create: frames.map((_, k) => ({ objectKey: k })) } } });
  const ids: number[] = [];
  for (const [k, fs] of frames.entries()) {
    const t = await createTask(db, w.users.admin, { videoId, expressionId: expression.id, objectKey: k, seed: { frame: fs[0], x: 20 + 10 * k, y: 30 }, assigneeId: null, priority: 0 });
    for (const f of fs.slice(1)) {
      await db.observation.create({ data: { objectId: t.objectId, frameIndex: f, x: 20 + 10 * k + f, y: 30, state: "visible", source: "human" } });
    }
    if (opts.gold) await db.task.update({ where: { id: t.id }, data: { isGold: true } });
    if (opts.accept !== false) {
      await startTask(db, w.users.ann1, t.id);
      await submitTask(db, w.users.ann1, t.id);
      await reviewTask(db, w.users.reviewer, t.id, { decision: "accepted", comment: "", flaggedFrames: [] });
    }
    ids.push(t.id);
  }
  return ids;
}

/** A tiny synthetic dataset (3 videos: 1 test, 2 train), 12 frames of 96x64. */
export async function tinySynth(dir: string, seed = 5): Promise<string> {
  const out = path.join(dir, `synth-${seed}`);
  await generateDataset(out, { videos: 3, seed, frames: 12, width: 96, height: 64, fps: 10, samplingFps: 2, testVideos: 1, valVideos: 0 }, { jobs: 1 });
  return out;
}
