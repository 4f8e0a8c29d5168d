// socket.io side of the live layer: cookie-authenticated sockets, one room per video, presence
// (who is on which video/frame), track updates after successful PUTs, and version-based resync.
import type { Server, Socket } from "socket.io";
import type { Db } from "../../lib/db";
import type { Actor } from "../../lib/auth/roles";
import { trackState } from "../../lib/services/observations";
import { ServiceError } from "../../lib/services/errors";
import {
  joinVideoMsg, presenceMsg, resyncMsg, videoRoom,
  type Ack, type ClientToServer, type LiveTrack, type PresenceEntry, type ServerToClient,
} from "../_shared/live-protocol";
import { hashToken } from "../../lib/auth/sessions";
import { ANY_ROLE, authorize, tokenFromCookieHeader } from "./auth";
import type { LivePublisher, TrackUpdate } from "./live-hub";

interface SocketData { actor: Actor; tokenHash: string }
type LiveServer = Server<ClientToServer, ServerToClient, Record<string, never>, SocketData>;
type LiveSocket = Socket<ClientToServer, ServerToClient, Record<string, never>, SocketData>;

function fail(err: unknown): { ok: false; error: string } {
  if (err instanceof ServiceError) return { ok: false, error: err.message };
  if (err instanceof Error && err.name === "ZodError") return { ok: false, error: `invalid message: ${err.message}` };
  console.error("[live] unexpected error", err);
  return { ok: false, error: "internal error" };
}

/** Wires authentication and handlers onto `io`; returns the publisher route handlers use after a PUT. */
export function attachLive(io: Server, db: Db): LivePublisher {
  const live = io as LiveServer;
  const presence = new Map<string, PresenceEntry>();

  const roomUsers = (videoId: number) => [...presence.values()].filter((p) => p.videoId === videoId);
  const broadcastPresence = (videoId: number) => live.to(videoRoom(videoId)).emit("presence", { videoId, users: roomUsers(videoId) });

  live.use((socket, next) => {
    authorize(db, socket.handshake.headers.cookie, ANY_ROLE)
      .then((actor) => {
        socket.data.actor = actor;
        socket.data.tokenHash = hashToken(tokenFromCookieHeader(socket.handshake.headers.cookie) ?? "");
        next();
      })
      .catch((err: unknown) => next(new Error(err instanceof ServiceError ? err.message : "authentication failed")));
  });

  live.on("connection", (socket: LiveSocket) => {
    const actor = socket.data.actor;

    const leaveCurrent = () => {
      const p = presence.get(socket.id);
      if (!p) return;
      presence.delete(socket.id);
      void socket.leave(videoRoom(p.videoId));
      broadcastPresence(p.videoId);
    };

    socket.on("video:join", async (raw, ack) => {
      const reply: (r: Ack<{ users: PresenceEntry[] }>) => void = typeof ack === "function" ? ack : () => {};
      try {
        const m = joinVideoMsg.parse(raw);
        if (!(await db.video.findUnique({ where: { id: m.videoId }, select: { id: true } }))) throw new ServiceError(404, "not_found", `video ${m.videoId} not found`);
        const prev = presence.get(socket.id);
        if (prev && prev.videoId !== m.videoId) leaveCurrent();
        await socket.join(videoRoom(m.videoId));
        presence.set(socket.id, { socketId: socket.id, userId: actor.id, username: actor.username, displayName: actor.displayName, videoId: m.videoId, frame: prev?.videoId === m.videoId ? prev.frame : 0, taskId: prev?.videoId === m.videoId ? prev.taskId : null });
        broadcastPresence(m.videoId);
        reply({ ok: true, data: { users: roomUsers(m.videoId) } });
      } catch (err) {
        reply(fail(err));
      }
    });

    socket.on("video:leave", () => leaveCurrent());

    socket.on("presence", (raw) => {
      const parsed = presenceMsg.safeParse(raw);
      if (!parsed.success) return;
      const p = presence.get(socket.id);
      if (!p || p.videoId !== parsed.data.videoId) return; // must join the room first
      p.frame = parsed.data.frame;
      p.taskId = parsed.data.taskId;
      broadcastPresence(p.videoId);
    });

    socket.on("resync", async (raw, ack) => {
      const reply: (r: Ack<{ tracks: LiveTrack[] }>) => void = typeof ack === "function" ? ack : () => {};
      try {
        const m = resyncMsg.parse(raw);
        const tasks = await db.task.findMany({ where: { videoId: m.videoId }, select: { id: true, version: true }, orderBy: { id: "asc" } });
        const stale = tasks.filter((t) => m.known[String(t.id)] !== t.version);
        const tracks: LiveTrack[] = [];
        for (const t of stale) tracks.push(await trackState(db, t.id));
        reply({ ok: true, data: { tracks } });
      } catch (err) {
        reply(fail(err));
      }
    });

    socket.on("disconnect", () => leaveCurrent());
  });

  return {
    trackUpdated(update: TrackUpdate) {
      live.to(videoRoom(update.videoId)).emit("track:update", update);
    },
    propagateProgress(event) {
      live.to(videoRoom(event.videoId)).emit("propagate:progress", event);
    },
    trainProgress(event) {
      live.emit("train:progress", event);
    },
    sessionEnded(tokenHash: string) {
      for (const s of live.sockets.sockets.values()) if (s.data.tokenHash === tokenHash) s.disconnect(true);
    },
  };
}
