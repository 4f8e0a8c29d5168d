// Helpers for calling Next route handlers directly (they are plain (Request, ctx) → Response functions)
// against a real SQLite database, and for seeding a small workflow world.
import type { Db } from "../../lib/db";
import { createUser } from "../../lib/services/catalog";
import { createTask } from "../../lib/services/tasks";
import type { Actor } from "../../lib/auth/roles";
import { POST as loginPost } from "../../app/api/auth/login/route";

type RouteFn = (req: Request, ctx?: { params: Promise<Record<string, string>> }) => Promise<Response>;

export interface CallResult<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

export async function call<T = any>(handler: unknown, opts: { method?: string; path?: string; cookie?: string; body?: unknown; params?: Record<string, string> } = {}): Promise<CallResult<T>> {
  const headers: Record<string, string> = {};
  if (opts.cookie) headers.cookie = opts.cookie;
  if (opts.body !== undefined) headers["content-type"] = "application/json";
  const req = new Request(`http://127.0.0.1${opts.path ?? "/api/x"}`, {
    method: opts.method ?? (opts.body === undefined ? "GET" : "POST"),
    headers,
    body: opts.body === undefined ? undefined : typeof opts.body === "string" ? opts.body : JSON.stringify(opts.body),
  });
  const res = await (handler as RouteFn)(req, opts.params ? { params: Promise.resolve(opts.params) } : undefined);
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : null) as T, headers: res.headers };
}

/** Logs in through the real login route and returns the Cookie header value to send. */
export async function loginCookie(username: string, password: string): Promise<string> {
  const r = await call(loginPost, { body: { username, password } });
  if (r.status !== 200) throw new Error(`login ${username} failed: ${r.status} ${JSON.stringify(r.body)}`);
  const setCookie = r.headers.get("set-cookie") ?? "";
  return setCookie.split(";")[0]!;
}

export interface World {
  users: { admin: Actor; reviewer: Actor; ann1: Actor; ann2: Actor };
  password: string;
  projectId: number;
  videoId: number;
  expressionId: number;
  taskIds: number[];
}

/** admin, reviewer, two annotators; one 640x480 100-frame video; one expression with 3 objects, 3 tasks. */
export async function seedWorld(db: Db): Promise<World> {
  process.env.GROUNDTRACK_BCRYPT_COST = "4"; // test users only: fast hashes
  const password = "test-password-1";
  const mk = async (username: string, role: "admin" | "reviewer" | "annotator"): Promise<Actor> => {
    const u = await createUser(db, null, { username, displayName: username.toUpperCase(), role, password });
    return { id: u.id, username, displayName: u.displayName, role };
  };
  const users = { admin: await mk("admin", "admin"), reviewer: await mk("rev", "reviewer"), ann1: await mk("ann1", "annotator"), ann2: await mk("ann2", "annotator") };
  const project = await db.project.create({ data: { name: "P" } });
  const video = await db.video.create({
    data: {
      projectId: project.id, name: "v.mp4", container: "mp4", codec: "h264", width: 640, height: 480, fps: 25, durationSec: 4, frameCount: 100,
      frameTimestamps: JSON.stringify(Array.from({ length: 100 }, (_, i) => i / 25)), shotBoundaries: "[0]", storagePath: "/nonexistent/v.mp4", sizeBytes: 1000,
    },
  });
  const expression = await db.expression.create({ data: { videoId: video.id, text: "the three balls", objects: { create: [{ objectKey: 0 }, { objectKey: 1 }, { objectKey: 2 }] } } });
  const taskIds: number[] = [];
  for (let k = 0; k < 3; k++) {
    const t = await createTask(db, users.admin, { videoId: video.id, expressionId: expression.id, objectKey: k, seed: { frame: 0, x: 10 + k * 100, y: 20 }, assigneeId: null, priority: 0 });
    taskIds.push(t.id);
  }
  return { users, password, projectId: project.id, videoId: video.id, expressionId: expression.id, taskIds };
}
