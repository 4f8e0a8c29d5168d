// Web-process side of job streaming. Workers (in this process or others) write InferenceJobEvent rows; the relay
// polls them every ~150 ms and emits them to the job's socket.io room on the `/jobs` namespace:
// `job:progress`, `job:partial`, `job:done`, `job:error`. Going through the database keeps one path for in-process
// and separate workers and survives a worker crash (nothing is held in worker memory). Old events are pruned.
import type { Namespace, Server, Socket } from "socket.io";
import { z } from "zod";
import type { Db } from "../../lib/db";
import type { Actor } from "../../lib/auth/roles";

export const JOBS_NAMESPACE = "/jobs";
export const jobRoom = (jobId: number) => `job:${jobId}`;
const joinMsg = z.object({ jobId: z.number().int().positive() }).strict();

export type JobEventName = "job:progress" | "job:partial" | "job:done" | "job:error";
const EVENT_NAME: Record<string, JobEventName> = { progress: "job:progress", partial: "job:partial", done: "job:done", error: "job:error" };

export interface RelayOptions {
  /** Cookie header → actor allowed to watch jobs (throws otherwise). */
  authenticate: (cookie: string | undefined) => Promise<Actor>;
  pollMs?: number;
  /** Events older than this are deleted (default 10 min). */
  keepMs?: number;
}

export interface JobRelay {
  readonly namespace: Namespace;
  /** Relays every event written so far (tests; the timer does this on its own). */
  flush(): Promise<number>;
  close(): void;
}

export async function attachJobRelay(io: Server, db: Db, opts: RelayOptions): Promise<JobRelay> {
  const nsp = io.of(JOBS_NAMESPACE);
  nsp.use((socket, next) => {
    opts.authenticate(socket.handshake.headers.cookie)
      .then((actor) => {
        (socket.data as { actor?: Actor }).actor = actor;
        next();
      })
      .catch((e: unknown) => next(new Error(e instanceof Error ? e.message : "authentication failed")));
  });
  nsp.on("connection", (socket: Socket) => {
    socket.on("job:join", async (raw: unknown, ack?: (r: { ok: boolean; error?: string }) => void) => {
      const reply = typeof ack === "function" ? ack : () => {};
      const m = joinMsg.safeParse(raw);
      if (!m.success) return reply({ ok: false, error: "invalid message: expected {jobId}" });
      if (!(await db.inferenceJob.findUnique({ where: { id: m.data.jobId }, select: { id: true } }))) return reply({ ok: false, error: `job ${m.data.jobId} not found` });
      await socket.join(jobRoom(m.data.jobId));
      reply({ ok: true });
    });
    socket.on("job:leave", (raw: unknown) => {
      const m = joinMsg.safeParse(raw);
      if (m.success) void socket.leave(jobRoom(m.data.jobId));
    });
  });

  // Start after the newest event: a restarted web server does not replay history (clients fetch state over REST).
  let last = (await db.inferenceJobEvent.findFirst({ orderBy: { id: "desc" }, select: { id: true } }))?.id ?? 0;
  let busy: Promise<number> | null = null;
  let lastPrune = Date.now();
  const keepMs = opts.keepMs ?? 10 * 60_000;
  const pump = async (): Promise<number> => {
    let n = 0;
    for (;;) {
      const rows = await db.inferenceJobEvent.findMany({ where: { id: { gt: last } }, orderBy: { id: "asc" }, take: 500 });
      for (const r of rows) {
        last = r.id;
        const name = EVENT_NAME[r.type];
        if (!name) continue;
        let payload: unknown;
        try {
          payload = JSON.parse(r.payload);
        } catch {
          continue;
        }
        nsp.to(jobRoom(r.jobId)).emit(name, { jobId: r.jobId, ...(payload as object) });
        n++;
      }
      if (rows.length < 500) break;
    }
    if (Date.now() - lastPrune > 30_000) {
      lastPrune = Date.now();
      await db.inferenceJobEvent.deleteMany({ where: { createdAt: { lt: new Date(Date.now() - keepMs) } } });
    }
    return n;
  };
  const flush = (): Promise<number> => {
    busy ??= pump().finally(() => (busy = null));
    return busy;
  };
  const timer = setInterval(() => void flush().catch((e: unknown) => console.error("[jobs relay]", e)), opts.pollMs ?? 150);
  timer.unref();
  return {
    namespace: nsp,
    flush,
    close() {
      clearInterval(timer);
    },
  };
}
