// Admin progress: task counts by status per video and per annotator, plus keyframes authored.
import type { Db } from "../db";
import { TASK_STATUSES, type TaskStatus } from "./workflow";

export type StatusCounts = Record<TaskStatus, number> & { total: number };

export interface VideoProgress { videoId: number; videoName: string; projectName: string; frameCount: number; counts: StatusCounts; keyframes: number }
export interface AnnotatorProgress { userId: number; username: string; displayName: string; counts: StatusCounts; keyframesAuthored: number; rejections: number }
export interface Progress { videos: VideoProgress[]; annotators: AnnotatorProgress[] }

function emptyCounts(): StatusCounts {
  const c = { total: 0 } as StatusCounts;
  for (const s of TASK_STATUSES) c[s] = 0;
  return c;
}

export async function progress(db: Db): Promise<Progress> {
  const [videos, byVideo, byUser, users, kfByVideo, kfByAuthor, rejections] = await Promise.all([
    db.video.findMany({ include: { project: { select: { name: true } } }, orderBy: { id: "asc" } }),
    db.task.groupBy({ by: ["videoId", "status"], _count: { _all: true } }),
    db.task.groupBy({ by: ["assigneeId", "status"], _count: { _all: true } }),
    db.user.findMany({ where: { role: { in: ["annotator", "admin"] } }, orderBy: { id: "asc" } }),
    db.$queryRawUnsafe<{ videoId: number; n: number }[]>(
      `SELECT e."videoId" AS videoId, COUNT(*) AS n FROM "Observation" o JOIN "TrackedObject" t ON t.id = o."objectId" JOIN "Expression" e ON e.id = t."expressionId" GROUP BY e."videoId"`,
    ),
    db.observation.groupBy({ by: ["authorId"], _count: { _all: true } }),
    db.$queryRawUnsafe<{ assigneeId: number; n: number }[]>(
      `SELECT t."assigneeId" AS assigneeId, COUNT(*) AS n FROM "Review" r JOIN "Task" t ON t.id = r."taskId" WHERE r.decision = 'rejected' AND t."assigneeId" IS NOT NULL GROUP BY t."assigneeId"`,
    ),
  ]);
  const vMap = new Map<number, StatusCounts>();
  for (const g of byVideo) {
    const c = vMap.get(g.videoId) ?? emptyCounts();
    c[g.status as TaskStatus] += g._count._all;
    c.total += g._count._all;
    vMap.set(g.videoId, c);
  }
  const uMap = new Map<number, StatusCounts>();
  for (const g of byUser) {
    if (g.assigneeId === null) continue;
    const c = uMap.get(g.assigneeId) ?? emptyCounts();
    c[g.status as TaskStatus] += g._count._all;
    c.total += g._count._all;
    uMap.set(g.assigneeId, c);
  }
  const kfV = new Map(kfByVideo.map((r) => [Number(r.videoId), Number(r.n)]));
  const kfA = new Map(kfByAuthor.map((r) => [r.authorId, r._count._all]));
  const rej = new Map(rejections.map((r) => [Number(r.assigneeId), Number(r.n)]));
  const assignees = new Set(uMap.keys());
  return {
    videos: videos.map((v) => ({ videoId: v.id, videoName: v.name, projectName: v.project.name, frameCount: v.frameCount, counts: vMap.get(v.id) ?? emptyCounts(), keyframes: kfV.get(v.id) ?? 0 })),
    annotators: users
      .filter((u) => u.role === "annotator" || assignees.has(u.id))
      .map((u) => ({ userId: u.id, username: u.username, displayName: u.displayName, counts: uMap.get(u.id) ?? emptyCounts(), keyframesAuthored: kfA.get(u.id) ?? 0, rejections: rej.get(u.id) ?? 0 })),
  };
}
