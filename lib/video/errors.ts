// The one error type the video layer throws: a machine-readable code plus a message a user understands.

export type VideoErrorCode = "too_large" | "not_video" | "unsupported" | "corrupt" | "truncated" | "bad_name" | "io";

export class VideoError extends Error {
  override name = "VideoError";
  readonly code: VideoErrorCode;
  /** The file the error is about, when there is one (for logs and UI). */
  readonly file?: string;

  constructor(code: VideoErrorCode, message: string, opts: { file?: string; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.code = code;
    this.file = opts.file;
  }
}

export function isVideoError(e: unknown): e is VideoError {
  return e instanceof VideoError;
}
