// The one interface every model runtime implements (built-in ONNX MolmoPoint model, remote Molmo2 server, …).
// A job picks a runtime by name; the job service, the CLI and the trainer's evaluation all call `query`.
import type { TrackSet } from "../lib/tracks";
import type { VideoMeta } from "../lib/video";

export interface RuntimeVideo {
  /** Stable id (the database id as a string, or a file hash for CLI use). */
  id: string;
  /** Local path of the video file. */
  path: string;
  meta: VideoMeta;
}

export interface RuntimeProgress {
  /** e.g. "sampling", "encoding", "decoding", "parsing". */
  stage: string;
  done: number;
  total: number;
}

export interface QueryRequest {
  video: RuntimeVideo;
  /** Referring expression, e.g. "the dogs running left". */
  expression: string;
  signal: AbortSignal;
  onProgress?: (p: RuntimeProgress) => void;
  /** Points decoded so far, in decoding order (for streaming into the UI). */
  onPartial?: (partial: TrackSet) => void;
}

export interface QueryResult {
  /**
   * Ordered point tracks with object IDs, keyframes at the sampled frames (native frame indices and pixels),
   * each keyframe's source `model:<version>`.
   */
  tracks: TrackSet;
  /** Which engine produced the result, recorded with every stored result: "built-in:<version>", "remote:<model>@<url>". */
  engine: string;
  /** Native frame indices the model saw. */
  sampledFrames: number[];
  /** The model's raw answer (grounding-token string or Molmo2 text), kept for audit and re-parsing. */
  rawOutput: string;
}

export interface ModelRuntime {
  /** "built-in" | "remote" | … */
  readonly kind: string;
  /** Human-readable engine id, same as QueryResult.engine. */
  readonly engine: string;
  query(req: QueryRequest): Promise<QueryResult>;
  close(): Promise<void>;
}

/** Raised by runtimes for problems the user can act on (missing model file, server down, nonsense answer). */
export class RuntimeError extends Error {
  override name = "RuntimeError";
  constructor(
    readonly code: "model_missing" | "model_invalid" | "server_unreachable" | "timeout" | "bad_answer" | "cancelled" | "video_unreadable",
    message: string,
  ) {
    super(message);
  }
}
