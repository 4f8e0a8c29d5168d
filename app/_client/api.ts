// Typed fetch wrappers over the workflow API, for browser components (and Node scripts/tests via baseUrl+cookie).
import type { Actor } from "../../lib/auth/roles";
import type { KeyframeEdit } from "../../lib/services/schemas";
import type { TaskObservations, TrackState } from "../../lib/services/observations";
import type { TaskSummary } from "../../lib/services/tasks";
import type { PropagateBody, PropagateOutcome } from "../../lib/services/propagation";
import type { Progress } from "../../lib/services/progress";
import type { ExpressionSummary, ProjectSummary, UserSummary, VideoSummary } from "../../lib/services/catalog";
import type { TaskStatus } from "../../lib/services/workflow";
import type { ExternalModelBody, TrainingRunView } from "../../lib/services/models";
import type { ModelsOverview, PageActionBody, RunCurves, VersionComparison, VersionDetail, VersionRow } from "../../lib/services/models-view";
import type { StartRunBody } from "../api/training/runs/launch";

export type { Actor, KeyframeEdit, TaskObservations, TrackState, PropagateBody, PropagateOutcome, TaskSummary, Progress, ExpressionSummary, ProjectSummary, UserSummary, VideoSummary, TaskStatus };

/** A non-2xx answer: `code` is machine-readable (unauthorized, forbidden, conflict, invalid_transition, bad_request…). */
export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string, readonly details?: unknown) {
    super(message);
    this.name = "ApiError";
  }
}

export type PutResult = { ok: true; state: TrackState } | { ok: false; conflict: TrackState; message: string };
export type PropagateResult = { ok: true; outcome: PropagateOutcome } | { ok: false; conflict: TrackState; message: string };

export interface ApiClientOptions {
  /** "" in the browser (same origin); "http://127.0.0.1:3000" from Node. */
  baseUrl?: string;
  /** Cookie header to send from Node (browsers send the httpOnly cookie themselves). */
  cookie?: string;
  fetch?: typeof fetch;
}

export function createApiClient(opts: ApiClientOptions = {}) {
  const base = opts.baseUrl ?? "";
  const doFetch = opts.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => fetch(input, init));

  async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { accept: "application/json" };
    if (body !== undefined) headers["content-type"] = "application/json";
    if (opts.cookie) headers.cookie = opts.cookie;
    const res = await doFetch(`${base}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: "same-origin" });
    const text = await res.text();
    const data: unknown = text ? JSON.parse(text) : null;
    if (!res.ok) {
      const err = (data as { error?: { code?: string; message?: string; details?: unknown } } | null)?.error;
      throw new ApiError(res.status, err?.code ?? "http_error", err?.message ?? `${method} ${path} failed with ${res.status}`, err?.details);
    }
    return data as T;
  }

  const q = (params: Record<string, string | number | undefined>) => {
    const s = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) if (v !== undefined) s.set(k, String(v));
    const str = s.toString();
    return str ? `?${str}` : "";
  };

  return {
    login: (username: string, password: string) => request<{ user: Actor }>("POST", "/api/auth/login", { username, password }),
    logout: () => request<{ ok: true }>("POST", "/api/auth/logout", {}),
    me: () => request<{ user: Actor }>("GET", "/api/auth/me"),

    myTasks: () => request<{ tasks: TaskSummary[] }>("GET", "/api/tasks").then((r) => r.tasks),
    listTasks: (filter: { status?: TaskStatus; videoId?: number; assigneeId?: number } = {}) => request<{ tasks: TaskSummary[] }>("GET", `/api/tasks${q(filter)}`).then((r) => r.tasks),
    nextTask: () => request<{ task: TaskSummary | null }>("GET", "/api/tasks/next").then((r) => r.task),
    getTask: (id: number) => request<{ task: TaskSummary }>("GET", `/api/tasks/${id}`).then((r) => r.task),
    startTask: (id: number, expectedVersion?: number) => request<{ task: TaskSummary }>("POST", `/api/tasks/${id}/start`, { expectedVersion }).then((r) => r.task),
    submitTask: (id: number, expectedVersion?: number) => request<{ task: TaskSummary }>("POST", `/api/tasks/${id}/submit`, { expectedVersion }).then((r) => r.task),
    reopenTask: (id: number, expectedVersion?: number) => request<{ task: TaskSummary }>("POST", `/api/tasks/${id}/reopen`, { expectedVersion }).then((r) => r.task),
    reviewTask: (id: number, review: { decision: "accepted" | "rejected"; comment?: string; flaggedFrames?: number[]; expectedVersion?: number }) =>
      request<{ task: TaskSummary }>("POST", `/api/tasks/${id}/review`, review).then((r) => r.task),
    assignTask: (id: number, assigneeId: number | null, expectedVersion?: number) => request<{ task: TaskSummary }>("POST", `/api/tasks/${id}/assign`, { assigneeId, expectedVersion }).then((r) => r.task),
    reviewQueue: () => request<{ tasks: TaskSummary[] }>("GET", "/api/review/queue").then((r) => r.tasks),

    /** The task's keyframes, the video's metadata and every other object's keyframes (context). */
    observations: (taskId: number) => request<TaskObservations>("GET", `/api/tasks/${taskId}/observations`),
    /** Writes a batch of keyframe edits; a stale `expectedVersion` resolves to {ok:false, conflict: newer state}. */
    async putObservations(taskId: number, expectedVersion: number, edits: KeyframeEdit[]): Promise<PutResult> {
      try {
        return { ok: true, state: await request<TrackState>("PUT", `/api/tasks/${taskId}/observations`, { expectedVersion, edits }) };
      } catch (err) {
        if (err instanceof ApiError && err.status === 409 && err.code === "conflict" && err.details) {
          return { ok: false, conflict: err.details as TrackState, message: err.message };
        }
        throw err;
      }
    },

    /** "Propagate this point": tracks the point from `fromFrame` and writes `propagated` keyframes; a stale version resolves to {ok:false, conflict}. */
    async propagate(taskId: number, body: PropagateBody): Promise<PropagateResult> {
      try {
        return { ok: true, outcome: await request<PropagateOutcome>("POST", `/api/tasks/${taskId}/propagate`, body) };
      } catch (err) {
        if (err instanceof ApiError && err.status === 409 && err.code === "conflict" && err.details) {
          return { ok: false, conflict: err.details as TrackState, message: err.message };
        }
        throw err;
      }
    },

    progress: () => request<Progress>("GET", "/api/admin/progress"),
    projects: () => request<{ projects: ProjectSummary[] }>("GET", "/api/projects").then((r) => r.projects),
    createProject: (name: string, description = "") => request<{ project: ProjectSummary }>("POST", "/api/projects", { name, description }).then((r) => r.project),
    videos: (projectId?: number) => request<{ videos: VideoSummary[] }>("GET", `/api/videos${q({ projectId })}`).then((r) => r.videos),
    expressions: (videoId: number) => request<{ expressions: ExpressionSummary[] }>("GET", `/api/expressions${q({ videoId })}`).then((r) => r.expressions),
    users: () => request<{ users: UserSummary[] }>("GET", "/api/users").then((r) => r.users),
    // Model registry and training (/models): reads for any role, actions for admins.
    modelsOverview: () => request<ModelsOverview>("GET", "/api/models"),
    /** A version with its per-source numbers and per-example benchmark scores. */
    modelDetail: (version: string) => request<VersionDetail>("GET", `/api/models/${encodeURIComponent(version)}?detail=1`),
    compareModels: (a: string, b: string) => request<VersionComparison>("GET", `/api/models/compare${q({ a, b })}`),
    /** `expectedStatus` / `expectedPromoted` are what the caller showed: a changed state answers 409 (ApiError code "conflict"). */
    promoteModel: (version: string, body: PageActionBody = {}) => request<{ version: VersionRow }>("POST", `/api/models/${encodeURIComponent(version)}/promote`, body).then((r) => r.version),
    retireModel: (version: string, body: PageActionBody = {}) => request<{ version: VersionRow }>("POST", `/api/models/${encodeURIComponent(version)}/retire`, body).then((r) => r.version),
    registerExternalModel: (body: ExternalModelBody) => request<{ version: VersionRow }>("POST", "/api/models/external", body).then((r) => r.version),
    /** Starts `groundtrack train run` on a snapshot (admin); resolves to the new run id. */
    startTrainingRun: (body: StartRunBody) => request<{ runId: number }>("POST", "/api/training/runs", body).then((r) => r.runId),
    trainingRun: (id: number, opts: { since?: number; maxPoints?: number } = {}) => request<{ run: TrainingRunView; curves: RunCurves }>("GET", `/api/training/runs/${id}${q(opts)}`),
    /** URL of a frame chunk served by /api/videos/:id/frames (for <img>/fetch). */
    frameChunkUrl: (videoId: number, chunk: number) => `${base}/api/videos/${videoId}/frames?chunk=${chunk}`,
  };
}

export type ApiClient = ReturnType<typeof createApiClient>;

/** Same-origin client for browser components. */
export const api: ApiClient = createApiClient();

export interface FramePack {
  chunk: number;
  firstFrame: number;
  lastFrame: number;
  mime: string;
  /** frames[k] is the encoded image of frame firstFrame + k. */
  frames: Blob[];
}

/** Decodes the body of GET /api/videos/:id/frames?chunk=N (see that route for the layout). */
export function decodeFramePack(buf: ArrayBuffer): FramePack {
  const view = new DataView(buf);
  const headerLen = view.getUint32(0, true);
  const header = JSON.parse(new TextDecoder().decode(new Uint8Array(buf, 4, headerLen))) as Omit<FramePack, "frames"> & { sizes: number[] };
  let offset = 4 + headerLen;
  const frames = header.sizes.map((n) => {
    const b = new Blob([new Uint8Array(buf, offset, n)], { type: header.mime });
    offset += n;
    return b;
  });
  return { chunk: header.chunk, firstFrame: header.firstFrame, lastFrame: header.lastFrame, mime: header.mime, frames };
}

/** Fetches and decodes one frame chunk (browser; the session cookie authenticates). */
export async function fetchFrameChunk(videoId: number, chunk: number, opts: { width?: number; signal?: AbortSignal } = {}): Promise<FramePack> {
  const res = await fetch(`/api/videos/${videoId}/frames?chunk=${chunk}${opts.width ? `&width=${opts.width}` : ""}`, { signal: opts.signal, credentials: "same-origin" });
  if (!res.ok) throw new ApiError(res.status, "http_error", `frames chunk ${chunk} of video ${videoId}: HTTP ${res.status}`);
  return decodeFramePack(await res.arrayBuffer());
}
