// socket.io client for the annotator: joins a video room, reports presence (frame), receives track updates,
// and on every (re)connect resyncs by sending the versions it has — the server answers with what changed.
import { io, type Socket } from "socket.io-client";
import type { ClientToServer, LiveTrack, PresenceEntry, ServerToClient, TrackUpdateEvent } from "../_shared/live-protocol";

export type { LiveTrack, PresenceEntry, TrackUpdateEvent };

export interface LiveOptions {
  videoId: number;
  /** "" / undefined = same origin (browser). */
  url?: string;
  /** Node only: e.g. { cookie: "gt_session=…" } (browsers send the httpOnly cookie themselves). */
  extraHeaders?: Record<string, string>;
  /** Called for every live update and for every track the server sends on resync. */
  onTrack: (track: LiveTrack, origin: "update" | "resync", by?: TrackUpdateEvent["by"]) => void;
  onPresence?: (users: PresenceEntry[]) => void;
  onStatus?: (status: "connected" | "disconnected" | "error", detail?: string) => void;
}

export class LiveConnection {
  private readonly socket: Socket<ServerToClient, ClientToServer>;
  private readonly known = new Map<number, number>();
  private frame = 0;
  private taskId: number | null = null;
  private presenceTimer: ReturnType<typeof setTimeout> | null = null;
  private lastPresenceAt = 0;
  /** Presence is sent at most this often (ms): playback changes the frame 25-60 times a second. */
  static readonly PRESENCE_INTERVAL_MS = 100;

  constructor(private readonly opts: LiveOptions) {
    const ioOpts = { transports: ["websocket", "polling"], reconnectionDelay: 200, reconnectionDelayMax: 2000, extraHeaders: opts.extraHeaders, autoConnect: false };
    this.socket = opts.url ? io(opts.url, ioOpts) : io(ioOpts);
    this.socket.on("connect", () => void this.onConnect());
    this.socket.on("disconnect", () => opts.onStatus?.("disconnected"));
    this.socket.on("connect_error", (err) => opts.onStatus?.("error", err.message));
    this.socket.on("track:update", (e) => {
      if (e.videoId !== opts.videoId) return;
      this.noteVersion(e.taskId, e.version);
      opts.onTrack(e, "update", e.by);
    });
    this.socket.on("presence", (e) => {
      if (e.videoId === opts.videoId) opts.onPresence?.(e.users);
    });
  }

  connect(): this {
    this.socket.connect();
    return this;
  }

  get connected(): boolean {
    return this.socket.connected;
  }

  get id(): string | undefined {
    return this.socket.id;
  }

  /** Record a version the client already holds (e.g. after its own successful PUT) so resync skips it. */
  noteVersion(taskId: number, version: number): void {
    const prev = this.known.get(taskId);
    if (prev === undefined || version > prev) this.known.set(taskId, version);
  }

  knownVersions(): Record<string, number> {
    return Object.fromEntries([...this.known].map(([k, v]) => [String(k), v]));
  }

  /** Tell the room which frame (and task) this user is on; throttled, the latest frame always goes out. */
  setFrame(frame: number, taskId: number | null = this.taskId): void {
    this.frame = frame;
    this.taskId = taskId;
    if (this.presenceTimer) return;
    const wait = Math.max(0, this.lastPresenceAt + LiveConnection.PRESENCE_INTERVAL_MS - Date.now());
    this.presenceTimer = setTimeout(() => {
      this.presenceTimer = null;
      this.lastPresenceAt = Date.now();
      if (this.socket.connected) this.socket.emit("presence", { videoId: this.opts.videoId, frame: this.frame, taskId: this.taskId });
    }, wait);
  }

  /** Ask for every track whose version differs from what we hold; resolves with them (also passed to onTrack). */
  resync(): Promise<LiveTrack[]> {
    return new Promise((resolve, reject) => {
      this.socket.emit("resync", { videoId: this.opts.videoId, known: this.knownVersions() }, (r) => {
        if (!r.ok) return reject(new Error(r.error));
        for (const t of r.data.tracks) {
          this.noteVersion(t.taskId, t.version);
          this.opts.onTrack(t, "resync");
        }
        resolve(r.data.tracks);
      });
    });
  }

  close(): void {
    if (this.presenceTimer) clearTimeout(this.presenceTimer);
    this.presenceTimer = null;
    this.socket.close();
  }

  /** Test hook: drop the transport as a network failure would (socket.io then reconnects by itself). */
  simulateDrop(): void {
    this.socket.io.engine?.close();
  }

  private async onConnect(): Promise<void> {
    this.opts.onStatus?.("connected");
    await new Promise<void>((resolve) => {
      this.socket.emit("video:join", { videoId: this.opts.videoId }, (r) => {
        if (r.ok) this.opts.onPresence?.(r.data.users);
        else this.opts.onStatus?.("error", r.error);
        resolve();
      });
    });
    this.socket.emit("presence", { videoId: this.opts.videoId, frame: this.frame, taskId: this.taskId });
    await this.resync().catch((err: unknown) => this.opts.onStatus?.("error", err instanceof Error ? err.message : String(err)));
  }
}
