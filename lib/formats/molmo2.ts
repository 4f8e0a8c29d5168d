// Molmo2 `<tracks coords="t id x y …">label</tracks>` text, parsed and written by lib/grounding/text (an exact
// port of allenai/molmo2 point_formatter.py). The text holds visible points only, coordinates on a 0–1000 grid
// and times with one decimal, so it is lossy: occluded points are not written, coordinates round to
// 1/1000 of the frame size, and a frame survives a round trip only when frame / fps is a multiple of 0.1 s.
import { extractTracks, formatTracks, type PointingFormat, type TrackFrameInput } from "../grounding/text";
import { interpolateTrack } from "../tracks/interpolate";
import type { Keyframe, KeyframeSource, TrackSet } from "../tracks/types";
import { failure, guard, type ImportResult } from "./result";
import { keyframesOnGrid } from "./sampled";

export interface Molmo2ImportOptions {
  fileName?: string;
  width: number;
  height: number;
  fps: number;
  frameCount: number;
  source?: KeyframeSource;
}

function lineOf(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

/**
 * Reads Molmo2 track text. Each point becomes a visible keyframe on frame round(time * fps) (the reference's
 * rule); an object missing from a listed timestamp after it appeared gets an `outside` keyframe there. The
 * `<tracks>` label becomes the expression. Points the reference parser discards (outside the image) are
 * discarded here too.
 */
export function importMolmo2(text: string, options: Molmo2ImportOptions): ImportResult<TrackSet> {
  const file = options.fileName ?? "tracks.txt";
  return guard((warnings) => {
    const parsed = extractTracks(text, { width: options.width, height: options.height, fps: options.fps });
    if (!parsed.ok) {
      const { offset } = parsed.error;
      if (offset === undefined) throw failure(file, parsed.error.message);
      const line = lineOf(text, offset);
      throw failure(`${file} line ${line}`, parsed.error.message, { line });
    }
    if (parsed.value.length === 0 && /coords\s*=/.test(text)) {
      warnings.push(`${file}: the text has coords but no point inside the image (the Molmo2 parser drops such points)`);
    }
    const present = new Map<number, Keyframe[]>();
    const grid: number[] = [];
    const byFrame = new Map<number, number>();
    for (const f of [...parsed.value].sort((a, b) => a.frame - b.frame)) {
      if (f.frame < 0 || f.frame >= options.frameCount) throw failure(file, `timestamp ${f.time} s is frame ${f.frame}, outside the video's ${options.frameCount} frames`, { field: "time" });
      const other = byFrame.get(f.frame);
      if (other !== undefined) throw failure(file, `timestamps ${other} s and ${f.time} s both fall on frame ${f.frame} at ${options.fps} fps`, { field: "time" });
      byFrame.set(f.frame, f.time);
      grid.push(f.frame);
      for (const p of f.points) {
        const list = present.get(p.id) ?? [];
        list.push({ frame: f.frame, x: p.x, y: p.y, state: "visible", source: options.source ?? "human" });
        present.set(p.id, list);
      }
    }
    const label = /<tracks\b[^>]*>([^<]*)<\/tracks>/.exec(text)?.[1];
    return {
      video: { width: options.width, height: options.height, fps: options.fps, frameCount: options.frameCount },
      ...(label ? { expression: label } : {}),
      objects: [...present.entries()].sort((a, b) => a[0] - b[0]).map(([id, ks]) => ({ objectId: String(id), keyframes: keyframesOnGrid(ks, grid) })),
    };
  });
}

export interface Molmo2ExportOptions {
  /** Frames to write; default: every `fps / samplingFps`-th frame when samplingFps is given, else every keyframe frame. */
  frames?: readonly number[];
  samplingFps?: number;
  format?: PointingFormat;
  /** Label inside the tag; default the set's expression. */
  label?: string;
}

/**
 * Writes `<tracks>` text with lib/grounding/text's formatTracks (ids are renumbered 1.. by first appearance, as
 * the reference does). Points come from the shared interpolation on the chosen frames; occluded ones are
 * passed as occluded and skipped by the writer, outside/unknown ones are not passed.
 */
export function exportMolmo2(set: TrackSet, options: Molmo2ExportOptions = {}): string {
  const { video } = set;
  const ids = set.objects.map((o) => {
    if (!/^(0|[1-9][0-9]*)$/.test(o.objectId)) throw new RangeError(`Molmo2 text needs non-negative integer object ids; got '${o.objectId}'`);
    return Number(o.objectId);
  });
  let frames: number[];
  if (options.frames) frames = [...new Set(options.frames)].sort((a, b) => a - b);
  else if (options.samplingFps !== undefined) {
    const step = video.fps / options.samplingFps;
    if (!(step >= 1)) throw new RangeError(`samplingFps ${options.samplingFps} must be positive and at most fps ${video.fps}`);
    frames = [];
    for (let i = 0; Math.round(i * step) < video.frameCount; i++) frames.push(Math.round(i * step));
  } else frames = [...new Set(set.objects.flatMap((o) => o.keyframes.map((k) => k.frame)))].sort((a, b) => a - b);
  const dense = set.objects.map((o) => interpolateTrack(o.keyframes, { frameCount: video.frameCount, shotBoundaries: video.shotBoundaries }));
  const input: TrackFrameInput[] = frames.map((frame) => {
    const points: TrackFrameInput["points"] = [];
    dense.forEach((d, i) => {
      const p = d[frame];
      if (p && p.state !== "outside") points.push({ id: ids[i], x: p.x, y: p.y, occluded: p.state === "occluded" });
    });
    return { time: video.timestamps?.[frame] ?? frame / video.fps, points };
  });
  const text = formatTracks(input, { width: video.width, height: video.height, format: options.format, label: options.label ?? set.expression ?? "" });
  // Times are written with one decimal: make sure every written frame reads back as itself.
  const written = input.flatMap((f, i) => (f.points.some((p) => !p.occluded) ? [frames[i]] : []));
  const reread = extractTracks(text, { width: video.width, height: video.height, fps: video.fps });
  const readFrames = reread.ok ? reread.value.map((f) => f.frame) : [];
  const lost = written.find((f, i) => readFrames[i] !== f);
  if (lost !== undefined) {
    throw new RangeError(
      `frame ${lost} (${(lost / video.fps).toFixed(3)} s at ${video.fps} fps) does not survive Molmo2's one-decimal timestamps; ` +
        "choose frames on a 0.1 s grid (e.g. a sampling fps that divides the video fps into 0.1 s steps)",
    );
  }
  return text;
}
