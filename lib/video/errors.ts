// The one error type the video layer throws: a machine-readable code plus a message a user understands.
import { stat } from "node:fs/promises";

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

/** Size of a regular file, or a VideoError naming it as the user knows it (`shown`). */
export async function regularFileSize(file: string, shown: string): Promise<number> {
  try {
    const st = await stat(file);
    if (!st.isFile()) throw new VideoError("io", `'${shown}' is not a regular file`, { file: shown });
    return st.size;
  } catch (e) {
    if (e instanceof VideoError) throw e;
    throw new VideoError("io", `Cannot read '${shown}': ${(e as Error).message}`, { file: shown, cause: e });
  }
}
