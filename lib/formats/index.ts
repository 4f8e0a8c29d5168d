// One entry point over every track file format: import to / export from the neutral TrackSet.
import type { KeyframeSource, TrackSet } from "../tracks/types";
import { keyframeIssues } from "../tracks/interpolate";
import { exportCvat, importCvat } from "./cvat";
import { exportMolmo2, importMolmo2 } from "./molmo2";
import { exportMot, importMot } from "./mot";
import type { ImportResult } from "./result";
import { exportTrackAny, importTrackAny } from "./trackany";

export * from "./result";
export { importTrackAny, exportTrackAny } from "./trackany";
export { importMot, exportMot } from "./mot";
export { importCvat, exportCvat } from "./cvat";
export { importMolmo2, exportMolmo2 } from "./molmo2";
export { unsafeNameReason } from "./safe-name";

export const TRACK_FORMATS = ["trackany", "molmo2", "mot", "cvat"] as const;
export type TrackFormat = (typeof TRACK_FORMATS)[number];

export function isTrackFormat(s: string): s is TrackFormat {
  return (TRACK_FORMATS as readonly string[]).includes(s);
}

/** Video facts a format may not carry itself (MOT and Molmo2 text hold no size/fps; CVAT holds no fps). */
export interface VideoHints {
  width?: number;
  height?: number;
  fps?: number;
  frameCount?: number;
}

export interface ImportOptions extends VideoHints {
  fileName?: string;
  source?: KeyframeSource;
}

function need(format: TrackFormat, hints: VideoHints, keys: (keyof VideoHints)[]): ImportResult<never> | null {
  const missing = keys.filter((k) => hints[k] === undefined);
  if (!missing.length) return null;
  return { ok: false, error: { message: `${format} input does not record ${missing.join(", ")}; pass ${missing.map((k) => `--${k === "frameCount" ? "frames" : k}`).join(" ")}` } };
}

/** Reads `text` in `format`; the result's keyframes always satisfy the shared interpolation's rules. */
export function importTracks(format: TrackFormat, text: string, options: ImportOptions = {}): ImportResult<TrackSet> {
  let result: ImportResult<TrackSet>;
  switch (format) {
    case "trackany":
      result = importTrackAny(text, options);
      break;
    case "mot":
      result = need(format, options, ["width", "height", "fps"]) ?? importMot(text, { ...options, width: options.width!, height: options.height!, fps: options.fps! });
      break;
    case "cvat":
      result = need(format, options, ["fps"]) ?? importCvat(text, { ...options, fps: options.fps! });
      break;
    case "molmo2":
      result =
        need(format, options, ["width", "height", "fps", "frameCount"]) ??
        importMolmo2(text, { ...options, width: options.width!, height: options.height!, fps: options.fps!, frameCount: options.frameCount! });
      break;
  }
  if (!result.ok) return result;
  // Belt and braces: every importer must produce interpolable tracks.
  const { video } = result.value;
  for (const o of result.value.objects) {
    const issues = keyframeIssues(o.keyframes, { frameCount: video.frameCount, shotBoundaries: video.shotBoundaries });
    if (issues.length) return { ok: false, error: { message: `${options.fileName ?? format}: object ${o.objectId}: ${issues[0]}` } };
  }
  return result;
}

export interface ExportOptions {
  /** MOT: box side in pixels. */
  boxSize?: number;
  /** Molmo2: output sampling rate. */
  samplingFps?: number;
  /** CVAT: write interpolated frames too (default true). */
  dense?: boolean;
}

/** Writes `set` in `format`. Throws RangeError when the set cannot be expressed (e.g. non-integer ids for MOT). */
export function exportTracks(format: TrackFormat, set: TrackSet, options: ExportOptions = {}): string {
  switch (format) {
    case "trackany":
      return exportTrackAny(set);
    case "mot":
      return exportMot(set, { boxSize: options.boxSize });
    case "cvat":
      return exportCvat(set, { dense: options.dense });
    case "molmo2":
      return exportMolmo2(set, { samplingFps: options.samplingFps });
  }
}
