// Admin CRUD for projects, videos, expressions and users (tasks live in tasks.ts).
import type { Db } from "../db";
import { hasRole, type Actor } from "../auth/roles";
import { hashPassword } from "../auth/password";
import { audit } from "./audit";
import { badRequest, conflict, forbidden, notFound } from "./errors";

function requireAdmin(actor: Actor): void {
  if (!hasRole(actor, ["admin"])) throw forbidden("admin only");
}

function isUniqueViolation(err: unknown): boolean {
  return typeof err === "object" && err !== null && "code" in err && (err as { code: unknown }).code === "P2002";
}

export interface ProjectSummary { id: number; name: string; description: string; videoCount: number; createdAt: string }
export interface VideoSummary {
  id: number; projectId: number; name: string; codec: string; width: number; height: number; fps: number; durationSec: number;
  frameCount: number; sizeBytes: number; status: string; error: string | null; expressionCount: number; taskCount: number; createdAt: string;
}
export interface ExpressionSummary { id: number; videoId: number; text: string; objects: { id: number; objectKey: number; label: string }[] }
export interface UserSummary { id: number; username: string; displayName: string; role: string; disabled: boolean; lastLoginAt: string | null }

export async function listProjects(db: Db): Promise<ProjectSummary[]> {
  const rows = await db.project.findMany({ include: { _count: { select: { videos: true } } }, orderBy: { id: "asc" } });
  return rows.map((p) => ({ id: p.id, name: p.name, description: p.description, videoCount: p._count.videos, createdAt: p.createdAt.toISOString() }));
}

export async function createProject(db: Db, actor: Actor, body: { name: string; description: string }): Promise<ProjectSummary> {
  requireAdmin(actor);
  try {
    const p = await db.project.create({ data: { name: body.name, description: body.description, createdById: actor.id } });
    await audit(db, actor.id, "project.create", "project", p.id);
    return { id: p.id, name: p.name, description: p.description, videoCount: 0, createdAt: p.createdAt.toISOString() };
  } catch (err) {
    if (isUniqueViolation(err)) throw conflict(`name: a project called "${body.name}" already exists`);
    throw err;
  }
}

export async function updateProject(db: Db, actor: Actor, id: number, patch: { name?: string; description?: string }): Promise<ProjectSummary> {
  requireAdmin(actor);
  if (!(await db.project.findUnique({ where: { id } }))) throw notFound(`project ${id}`);
  try {
    await db.project.update({ where: { id }, data: patch });
  } catch (err) {
    if (isUniqueViolation(err)) throw conflict(`name: a project called "${patch.name}" already exists`);
    throw err;
  }
  await audit(db, actor.id, "project.update", "project", id, patch);
  const all = await listProjects(db);
  return all.find((p) => p.id === id)!;
}

export async function deleteProject(db: Db, actor: Actor, id: number): Promise<void> {
  requireAdmin(actor);
  const r = await db.project.deleteMany({ where: { id } });
  if (r.count === 0) throw notFound(`project ${id}`);
  await audit(db, actor.id, "project.delete", "project", id);
}

export async function listVideos(db: Db, projectId?: number): Promise<VideoSummary[]> {
  const rows = await db.video.findMany({ where: projectId ? { projectId } : {}, include: { _count: { select: { expressions: true, tasks: true } } }, orderBy: { id: "asc" } });
  return rows.map((v) => ({
    id: v.id, projectId: v.projectId, name: v.name, codec: v.codec, width: v.width, height: v.height, fps: v.fps, durationSec: v.durationSec,
    frameCount: v.frameCount, sizeBytes: v.sizeBytes, status: v.status, error: v.error, expressionCount: v._count.expressions, taskCount: v._count.tasks,
    createdAt: v.createdAt.toISOString(),
  }));
}

export async function getVideo(db: Db, id: number): Promise<VideoSummary> {
  const v = (await listVideos(db)).find((x) => x.id === id);
  if (!v) throw notFound(`video ${id}`);
  return v;
}

export async function renameVideo(db: Db, actor: Actor, id: number, name: string): Promise<VideoSummary> {
  requireAdmin(actor);
  if (!(await db.video.findUnique({ where: { id } }))) throw notFound(`video ${id}`);
  try {
    await db.video.update({ where: { id }, data: { name } });
  } catch (err) {
    if (isUniqueViolation(err)) throw conflict(`name: the project already has a video called "${name}"`);
    throw err;
  }
  await audit(db, actor.id, "video.rename", "video", id, { name });
  return getVideo(db, id);
}

/** Deletes the database rows; the caller removes the stored file afterwards (returned path). */
export async function deleteVideo(db: Db, actor: Actor, id: number): Promise<string> {
  requireAdmin(actor);
  const v = await db.video.findUnique({ where: { id } });
  if (!v) throw notFound(`video ${id}`);
  await db.video.delete({ where: { id } });
  await audit(db, actor.id, "video.delete", "video", id, { name: v.name });
  return v.storagePath;
}

export async function listExpressions(db: Db, videoId: number): Promise<ExpressionSummary[]> {
  const rows = await db.expression.findMany({ where: { videoId }, include: { objects: { orderBy: { objectKey: "asc" } } }, orderBy: { id: "asc" } });
  return rows.map((e) => ({ id: e.id, videoId: e.videoId, text: e.text, objects: e.objects.map((o) => ({ id: o.id, objectKey: o.objectKey, label: o.label })) }));
}

export async function createExpression(db: Db, actor: Actor, body: { videoId: number; text: string; objects: { objectKey: number; label: string }[] }): Promise<ExpressionSummary> {
  requireAdmin(actor);
  if (!(await db.video.findUnique({ where: { id: body.videoId } }))) throw badRequest(`videoId: video ${body.videoId} does not exist`);
  const keys = body.objects.map((o) => o.objectKey);
  if (new Set(keys).size !== keys.length) throw badRequest("objects: objectKey values must be unique within an expression");
  const e = await db.expression.create({ data: { videoId: body.videoId, text: body.text, objects: { create: body.objects } } });
  await audit(db, actor.id, "expression.create", "expression", e.id);
  return (await listExpressions(db, body.videoId)).find((x) => x.id === e.id)!;
}

export async function updateExpression(db: Db, actor: Actor, id: number, text: string): Promise<ExpressionSummary> {
  requireAdmin(actor);
  const e = await db.expression.findUnique({ where: { id } });
  if (!e) throw notFound(`expression ${id}`);
  await db.expression.update({ where: { id }, data: { text } });
  await audit(db, actor.id, "expression.update", "expression", id, { text });
  return (await listExpressions(db, e.videoId)).find((x) => x.id === id)!;
}

export async function deleteExpression(db: Db, actor: Actor, id: number): Promise<void> {
  requireAdmin(actor);
  const r = await db.expression.deleteMany({ where: { id } });
  if (r.count === 0) throw notFound(`expression ${id}`);
  await audit(db, actor.id, "expression.delete", "expression", id);
}

export async function listUsers(db: Db, actor: Actor): Promise<UserSummary[]> {
  if (!hasRole(actor, ["admin", "reviewer"])) throw forbidden("reviewers and admins only");
  const rows = await db.user.findMany({ orderBy: { id: "asc" } });
  return rows.map((u) => ({ id: u.id, username: u.username, displayName: u.displayName, role: u.role, disabled: u.disabled, lastLoginAt: u.lastLoginAt?.toISOString() ?? null }));
}

export async function createUser(db: Db, actor: Actor | null, body: { username: string; displayName: string; role: string; password: string }): Promise<UserSummary> {
  if (actor) requireAdmin(actor);
  try {
    const u = await db.user.create({ data: { username: body.username, displayName: body.displayName, role: body.role, passwordHash: await hashPassword(body.password) } });
    await audit(db, actor?.id ?? null, "user.create", "user", u.id, { role: u.role });
    return { id: u.id, username: u.username, displayName: u.displayName, role: u.role, disabled: u.disabled, lastLoginAt: null };
  } catch (err) {
    if (isUniqueViolation(err)) throw conflict(`username: "${body.username}" is taken`);
    throw err;
  }
}
