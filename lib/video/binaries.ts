// Resolves the ffmpeg / ffprobe executables in one place: env override first, then the npm-shipped builds.
import { createRequire } from "node:module";
import { existsSync } from "node:fs";
import { VideoError } from "./errors";

const require = createRequire(import.meta.url);

function resolve(envName: string, pkg: string): string {
  const fromEnv = process.env[envName];
  if (fromEnv) {
    if (!existsSync(fromEnv)) throw new VideoError("io", `${envName} points to '${fromEnv}', which does not exist`);
    return fromEnv;
  }
  let p: string;
  try {
    p = (require(pkg) as { path: string }).path;
  } catch (e) {
    throw new VideoError("io", `${pkg} is not installed and ${envName} is not set; cannot run ${pkg.split("/")[1]}`, { cause: e });
  }
  if (!existsSync(p)) throw new VideoError("io", `${pkg} has no binary at '${p}'; set ${envName}`);
  return p;
}

/** Path of the ffmpeg executable (env GROUNDTRACK_FFMPEG overrides @ffmpeg-installer/ffmpeg). */
export function ffmpegPath(): string {
  return resolve("GROUNDTRACK_FFMPEG", "@ffmpeg-installer/ffmpeg");
}

/** Path of the ffprobe executable (env GROUNDTRACK_FFPROBE overrides @ffprobe-installer/ffprobe). */
export function ffprobePath(): string {
  return resolve("GROUNDTRACK_FFPROBE", "@ffprobe-installer/ffprobe");
}
