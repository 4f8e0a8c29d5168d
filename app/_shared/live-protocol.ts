// socket.io message shapes shared by the server (app/_server/live.ts) and the browser (app/_client/live.ts).
import { z } from "zod";
import type { Keyframe, TrackState } from "../../lib/services/observations";

export const joinVideoMsg = z.object({ videoId: z.number().int().positive() }).strict();
export const presenceMsg = z.object({
  videoId: z.number().int().positive(),
  frame: z.number().int().min(0),
  taskId: z.number().int().positive().nullable().default(null),
}).strict();
/** The client's last known version per task id; the server answers with every track that differs. */
export const resyncMsg = z.object({
  videoId: z.number().int().positive(),
  known: z.record(z.string().regex(/^\d+$/), z.number().int().min(0)).default({}),
}).strict();

export type JoinVideoMsg = z.infer<typeof joinVideoMsg>;
export type PresenceMsg = z.input<typeof presenceMsg>;
export type ResyncMsg = z.input<typeof resyncMsg>;

/** The wire form of a track is exactly what the observations service returns (one definition, no drift). */
export type LiveKeyframe = Keyframe;
export type LiveTrack = TrackState;

export interface TrackUpdateEvent extends LiveTrack {
  by: { id: number; username: string };
}

export interface PresenceEntry {
  socketId: string;
  userId: number;
  username: string;
  displayName: string;
  videoId: number;
  frame: number;
  taskId: number | null;
}

export type Ack<T> = { ok: true; data: T } | { ok: false; error: string };

/** Progress of a running point propagation (POST /api/tasks/:id/propagate), sent to the video room. */
export interface PropagateProgressEvent {
  taskId: number;
  videoId: number;
  direction: "forward" | "backward";
  frame: number;
  done: number;
  total: number;
}

/** Progress of a training run (trainer/service), sent to every connected socket (the /models page listens). */
export interface TrainProgressWire {
  runId: number;
  status: string;
  stage: string;
  step: number;
  steps: number;
  loss: number | null;
  errorCode: string | null;
}

export interface ServerToClient {
  "track:update": (e: TrackUpdateEvent) => void;
  "propagate:progress": (e: PropagateProgressEvent) => void;
  "train:progress": (e: TrainProgressWire) => void;
  presence: (e: { videoId: number; users: PresenceEntry[] }) => void;
}

export interface ClientToServer {
  "video:join": (m: JoinVideoMsg, ack: (r: Ack<{ users: PresenceEntry[] }>) => void) => void;
  "video:leave": (m: JoinVideoMsg) => void;
  presence: (m: PresenceMsg) => void;
  resync: (m: ResyncMsg, ack: (r: Ack<{ tracks: LiveTrack[] }>) => void) => void;
}

export const videoRoom = (videoId: number) => `video:${videoId}`;
