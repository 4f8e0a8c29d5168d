// Bridge between route handlers and the socket.io server: the custom server registers a publisher on
// globalThis (route bundles and server.ts are separate module graphs, so a module singleton would not do).
import type { TrackState } from "../../lib/services/observations";
import type { PropagateProgressEvent, TrainProgressWire } from "../_shared/live-protocol";

export interface TrackUpdate extends TrackState {
  by: { id: number; username: string };
}

export interface LivePublisher {
  trackUpdated(update: TrackUpdate): void;
  /** Disconnects every socket opened with this session (after logout). */
  sessionEnded(tokenHash: string): void;
  /** Progress of a point propagation, to the video room. */
  propagateProgress?(event: PropagateProgressEvent): void;
  /** Progress of a training run, to every connected socket. */
  trainProgress?(event: TrainProgressWire): void;
}

const holder = globalThis as unknown as { __groundtrackLive?: LivePublisher };

export function setLivePublisher(p: LivePublisher | undefined): void {
  holder.__groundtrackLive = p;
}

/** Broadcasts to the video's room when a live server runs in this process; a no-op otherwise (e.g. `next dev`). */
export function publishTrackUpdate(update: TrackUpdate): void {
  holder.__groundtrackLive?.trackUpdated(update);
}

/** Called by the logout route so a logged-out browser's sockets stop receiving updates. */
export function publishSessionEnded(tokenHash: string): void {
  holder.__groundtrackLive?.sessionEnded(tokenHash);
}

/** Streams point-propagation progress to the video room (no-op without a live server). */
export function publishPropagateProgress(event: PropagateProgressEvent): void {
  holder.__groundtrackLive?.propagateProgress?.(event);
}

/** Streams training-run progress to every socket (no-op without a live server). */
export function publishTrainProgress(event: TrainProgressWire): void {
  holder.__groundtrackLive?.trainProgress?.(event);
}
