// zod schemas for every external input the services accept (HTTP bodies and socket messages share them).
import { z } from "zod";

export const observationState = z.enum(["visible", "occluded", "outside"]);
export const observationSource = z.union([
  z.enum(["human", "interpolated", "propagated"]),
  z.string().regex(/^model:[A-Za-z0-9._\-+/]{1,80}$/, "model source must look like model:<version>"),
]);

export const keyframeEdit = z.union([
  z.object({
    frame: z.number().int().min(0),
    x: z.number().finite(),
    y: z.number().finite(),
    state: observationState,
    source: observationSource.default("human"),
  }).strict(),
  z.object({ frame: z.number().int().min(0), remove: z.literal(true) }).strict(),
]);
export type KeyframeEdit = z.infer<typeof keyframeEdit>;

export const putObservationsBody = z.object({
  expectedVersion: z.number().int().min(0),
  edits: z.array(keyframeEdit).min(1).max(100_000),
}).strict();
export type PutObservationsBody = z.infer<typeof putObservationsBody>;

export const transitionBody = z.object({ expectedVersion: z.number().int().min(0).optional() }).strict();

export const reviewBody = z.object({
  decision: z.enum(["accepted", "rejected"]),
  comment: z.string().max(10_000).default(""),
  flaggedFrames: z.array(z.number().int().min(0)).max(100_000).default([]),
  expectedVersion: z.number().int().min(0).optional(),
}).strict();
export type ReviewBody = z.infer<typeof reviewBody>;

export const assignBody = z.object({
  assigneeId: z.number().int().positive().nullable(),
  expectedVersion: z.number().int().min(0).optional(),
}).strict();

export const loginBody = z.object({
  username: z.string().min(1).max(100),
  password: z.string().min(1).max(200),
}).strict();

export const projectBody = z.object({
  name: z.string().trim().min(1).max(200),
  description: z.string().max(10_000).default(""),
}).strict();
export const projectPatch = projectBody.partial().strict();

export const expressionBody = z.object({
  videoId: z.number().int().positive(),
  text: z.string().trim().min(1).max(2_000),
  objects: z.array(z.object({ objectKey: z.number().int().min(0), label: z.string().max(200).default("") }).strict()).default([]),
}).strict();
export const expressionPatch = z.object({ text: z.string().trim().min(1).max(2_000) }).strict();

export const taskBody = z.object({
  videoId: z.number().int().positive(),
  expressionId: z.number().int().positive(),
  objectKey: z.number().int().min(0),
  seed: z.object({ frame: z.number().int().min(0), x: z.number().finite(), y: z.number().finite() }).strict(),
  assigneeId: z.number().int().positive().nullable().default(null),
  priority: z.number().int().default(0),
}).strict();
export type TaskBody = z.infer<typeof taskBody>;

export const videoPatch = z.object({ name: z.string().trim().min(1).max(300) }).strict();

export const importFolderBody = z.object({
  projectId: z.number().int().positive(),
  folder: z.string().min(1).max(4_096),
}).strict();

export const userBody = z.object({
  username: z.string().trim().min(1).max(100).regex(/^[A-Za-z0-9._-]+$/, "letters, digits, . _ - only"),
  displayName: z.string().trim().min(1).max(200),
  role: z.enum(["annotator", "reviewer", "admin"]),
  password: z.string().min(8).max(200),
}).strict();

/** Parses a reviewer's frame list such as "12, 40-45" into sorted unique frame indices. */
export function parseFrameList(text: string): number[] {
  const out = new Set<number>();
  for (const part of text.split(/[,\s]+/).filter(Boolean)) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) throw new Error(`flagged frames: "${part}" is not a frame number or a range like 40-45`);
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    if (b < a || b - a > 100_000) throw new Error(`flagged frames: range "${part}" is invalid`);
    for (let f = a; f <= b; f++) out.add(f);
  }
  return [...out].sort((x, y) => x - y);
}
