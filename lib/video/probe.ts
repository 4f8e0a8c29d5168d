// probeVideo: stream facts from ffprobe plus a frame-exact index built from ONE ffmpeg decode of the video stream.
// The index lists every frame ffmpeg decodes (vsync passthrough: nothing duplicated or dropped), in the
// decoder's output (= presentation) order, with its presentation timestamp (best-effort pts: the packet pts or,
// when missing as in AVI, the dts) rescaled to microseconds; broken timestamps are repaired (repairTimestamps). The same decode yields 64x48 thumbnails for shot detection, so shot indices and
// frame indices cannot drift apart.
import { open } from "node:fs/promises";
import { z } from "zod";
import { ffmpegPath, ffprobePath } from "./binaries";
import { regularFileSize, VideoError } from "./errors";
import { declaredContainerBytes } from "./container-size";
import { runBinary } from "./run";
import { SHOT_THUMB_BYTES, SHOT_THUMB_H, SHOT_THUMB_W, ShotScorer, detectShotBoundaries, type ShotDetectorOptions } from "./shots";
import { SNIFF_BYTES, sniffContainer } from "./sniff";

export interface VideoMeta {
  /** mp4 | mov | webm | mkv | avi, or ffmpeg's format name for other containers. */
  container: string;
  /** ffmpeg codec name of the video stream (h264, vp9, mpeg4, msmpeg4v3, ...). */
  codec: string;
  /** Size of the frames as decoded (display rotation applied, e.g. portrait phone video). */
  width: number;
  height: number;
  /** Nominal frame rate (stream average rate; for VFR video this is only a summary). */
  fps: number;
  /** Container-reported duration of the video (stream, else format); from the index when neither exists. */
  durationSec: number;
  /** Number of frames ffmpeg decodes — equals timestamps.length. */
  frameCount: number;
  /**
   * Presentation timestamp of each frame (seconds on the container clock — not shifted to 0 — at 1 µs
   * resolution), strictly increasing. Frame i is the i-th frame ffmpeg decodes.
   */
  timestamps: number[];
  /** Frame indices that start a new shot (never 0). */
  shotBoundaries: number[];
  sizeBytes: number;
  /** True when frame durations differ by more than max(2 ms, 10%) from the median frame duration. */
  isVfr: boolean;
}

const rational = z.string().optional();
const ProbeJson = z.object({
  streams: z
    .array(
      z.object({
        index: z.number().int(),
        codec_type: z.string().optional(),
        codec_name: z.string().optional(),
        width: z.number().int().optional(),
        height: z.number().int().optional(),
        avg_frame_rate: rational,
        r_frame_rate: rational,
        duration: z.string().optional(),
        nb_frames: z.string().optional(),
        disposition: z.record(z.string(), z.number()).optional(),
        tags: z.record(z.string(), z.string()).optional(),
        side_data_list: z.array(z.object({ rotation: z.number().optional() }).loose()).optional(),
      }),
    )
    .default([]),
  format: z.object({ format_name: z.string().optional(), duration: z.string().optional() }).optional(),
});
type ProbeStream = z.infer<typeof ProbeJson>["streams"][number];

export interface ProbeOptions {
  shots?: ShotDetectorOptions;
  /** Kill ffmpeg/ffprobe after this long (default 10 min). */
  timeoutMs?: number;
  /** Name used in error messages instead of the path (e.g. the uploaded file's original name). */
  displayName?: string;
}

function parseRational(s: string | undefined): number {
  if (!s) return 0;
  const [n, d] = s.split("/").map(Number);
  const v = d === undefined ? n : d === 0 ? 0 : n / d;
  return Number.isFinite(v) && v > 0 ? v : 0;
}

const TRUNCATION = /moov atom not found|partial file|unexpected end of file|End of file|stream ends prematurely|Read error|truncated/i;

/** Turns a failed ffprobe/ffmpeg run into a typed error a user understands. */
function classifyFailure(file: string, stderr: string, looksLikeVideo: boolean, realPath = file): VideoError {
  // The last few ffmpeg lines, without log prefixes, naming the file as the user knows it.
  const tail = stderr.trim().split("\n").slice(-3).join(" | ").replace(/\[[\w-]+ @ 0x[0-9a-f]+\] /g, "").replace(/\[(error|fatal|panic|warning|info)\] /g, "").split(realPath).join(file);
  // Content that is no container of ours is "not a video" even when ffprobe, guessing from the name, complains
  // about a missing moov atom.
  if (!looksLikeVideo) return new VideoError("not_video", `'${file}' is not a video file ffmpeg can read: ${tail}`, { file });
  if (TRUNCATION.test(stderr)) return new VideoError("truncated", `The video file '${file}' is incomplete (it was cut off, e.g. by an interrupted upload): ${tail}`, { file });
  return new VideoError("corrupt", `The video file '${file}' is damaged and cannot be read: ${tail}`, { file });
}

/** The first SNIFF_BYTES of a file (for magic-byte sniffing). */
export async function readHead(file: string): Promise<Uint8Array> {
  const fh = await open(file, "r");
  try {
    const buf = Buffer.alloc(SNIFF_BYTES);
    const { bytesRead } = await fh.read(buf, 0, SNIFF_BYTES, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

export function pickVideoStream(streams: ProbeStream[]): ProbeStream | undefined {
  return streams.find((s) => s.codec_type === "video" && !s.disposition?.attached_pic);
}

/** ffprobe's stream/format facts (no decoding). Throws VideoError when the file is not a readable video. */
export async function probeStreams(file: string, timeoutMs = 60_000, shown = file): Promise<{ stream: ProbeStream; formatName: string; formatDuration: number; sniffed: ReturnType<typeof sniffContainer> }> {
  const head = await readHead(file);
  const sniffed = sniffContainer(head);
  const r = await runBinary(ffprobePath(), ["-v", "error", "-show_streams", "-show_format", "-of", "json", file], { timeoutMs });
  if (r.signal) throw new VideoError("io", `ffprobe crashed (${r.signal}) while reading '${shown}'`, { file: shown });
  if (r.code !== 0) throw classifyFailure(shown, r.stderr, sniffed !== null, file);
  let parsed: z.infer<typeof ProbeJson>;
  try {
    parsed = ProbeJson.parse(JSON.parse(r.stdout.toString("utf8")));
  } catch (e) {
    throw new VideoError("io", `ffprobe printed output groundtrack cannot parse for '${shown}': ${(e as Error).message}`, { file: shown, cause: e });
  }
  const stream = pickVideoStream(parsed.streams);
  if (!stream && parsed.streams.length === 0 && sniffed !== null) {
    throw new VideoError("corrupt", `The video file '${shown}' is damaged: it looks like ${sniffed.toUpperCase()} but no stream in it can be read`, { file: shown });
  }
  if (!stream) {
    if (sniffed === null) throw new VideoError("not_video", `'${shown}' is not a video file (no video stream found)`, { file: shown });
    throw new VideoError("not_video", `'${shown}' contains no video stream (audio only or empty)`, { file: shown });
  }
  if (!stream.codec_name || stream.codec_name === "none" || !stream.width || !stream.height) {
    throw new VideoError("unsupported", `The video codec in '${shown}' is not supported by this ffmpeg build (${stream.codec_name ?? "unknown codec"})`, { file: shown });
  }
  return { stream, formatName: parsed.format?.format_name ?? "unknown", formatDuration: parseRational(parsed.format?.duration), sniffed };
}

/** One decoded frame as reported by ffmpeg's showinfo filter: decode ordinal and pts in microseconds (null = none). */
export interface ShowinfoFrame {
  n: number;
  ptsUs: number | null;
  /** Decoder flagged the frame as a keyframe (decoding can start here). */
  key: boolean;
}

/** Display rotation in degrees (display matrix side data, or the old `rotate` tag). ffmpeg applies it when decoding. */
export function streamRotation(stream: ProbeStream): number {
  const fromMatrix = stream.side_data_list?.find((d) => typeof d.rotation === "number")?.rotation;
  const r = fromMatrix ?? Number(stream.tags?.rotate ?? 0);
  return Number.isFinite(r) ? r : 0;
}

const SHOWINFO = /\[Parsed_showinfo_\d+ @ [^\]]+\] (?:\[info\] )?n:\s*(\d+)\s+pts:\s*(-?\d+|NOPTS)\b.*?\biskey:(\d)/;

/** Parses one showinfo line (the filter runs after settb=AVTB, so pts are microseconds); null for other lines. */
export function parseShowinfoLine(line: string): ShowinfoFrame | null {
  const m = SHOWINFO.exec(line);
  return m ? { n: Number(m[1]), ptsUs: m[2] === "NOPTS" ? null : Number(m[2]), key: m[3] === "1" } : null;
}

const ERROR_LINE = /\[(error|fatal|panic)\]/;
const OWN_MUXER = /^\[(null|rawvideo|image2) @/;

/** ffmpeg lines logged at error level or worse (with -loglevel level+...), minus our own null/raw muxers' complaints. */
export function errorLines(stderr: string): string[] {
  return stderr.split(/\r\n|\n|\r/).filter(isErrorLine);
}

export function isErrorLine(l: string): boolean {
  return ERROR_LINE.test(l) && !OWN_MUXER.test(l);
}

/**
 * Arguments that select the video stream and pass every decoded frame through unchanged in number
 * (-vsync 0: no duplication or dropping) with container timestamps (-copyts: no shift to zero).
 */
export function decodeInputArgs(file: string, streamIndex: number): string[] {
  return ["-nostdin", "-hide_banner", "-nostats", "-loglevel", "level+info", "-copyts", "-i", file, "-map", `0:${streamIndex}`, "-an", "-sn", "-dn", "-vsync", "0"];
}

/**
 * Per-frame timestamps in decoder output order. The decoder already emits frames in presentation order
 * (it reorders B-frames by the codec's own picture order), so the index keeps that order: frame i is the i-th
 * frame ffmpeg outputs. Timestamps the container got wrong — missing, or not after the previous frame (e.g. a
 * last frame whose only timestamp is its dts) — are repaired to previous + median frame duration, so
 * `timestamps` is strictly increasing. Returns the repaired µs values and how many needed repair.
 */
export function repairTimestamps(frames: ShowinfoFrame[], fps: number): { ptsUs: number[]; repaired: number } {
  const raw = frames.map((f) => f.ptsUs);
  const deltas: number[] = [];
  for (let i = 1; i < raw.length; i++) {
    const a = raw[i - 1];
    const b = raw[i];
    if (a !== null && b !== null && b > a) deltas.push(b - a);
  }
  const step = median(deltas) || Math.round(1e6 / (fps > 0 ? fps : 25));
  const out: number[] = [];
  let repaired = 0;
  for (let i = 0; i < raw.length; i++) {
    const p = raw[i];
    if (p !== null && (i === 0 || p > out[i - 1])) out.push(p);
    else {
      out.push(i === 0 ? 0 : out[i - 1] + step);
      repaired++;
    }
  }
  return { ptsUs: out, repaired };
}

function median(xs: number[]): number {
  if (!xs.length) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/**
 * Decoders conceal damage and keep going, so a damaged file still "decodes". Judge the damage when decode
 * errors were logged: frames stopping well before the declared duration together with an end-of-data error
 * mean a truncated file (one the structural check could not see, e.g. a live WebM); over 2% fewer frames
 * than the container declares, or errors on more than 10% of frames, mean a corrupt one. A few errors on one
 * frame (real cameras, e.g. box.mp4) are tolerated.
 */
function checkDecodeDamage(shown: string, errors: string[], f: { decoded: number; expected: number; covered: number; declaredDuration: number; frameSec: number }): void {
  if (errors.length === 0) return;
  const detail = errors.slice(-2).map((l) => l.replace(/^\[[\w,-]+ @ 0x[0-9a-f]+\] /, "").replace(/\[(error|fatal|panic)\] /, "")).join(" | ");
  const missingAtEnd = f.declaredDuration - f.covered;
  const looksCutOff = errors.some((l) => TRUNCATION.test(l));
  if (looksCutOff && f.declaredDuration > 0 && missingAtEnd > Math.max(2 * f.frameSec, 0.05 * f.declaredDuration)) {
    throw new VideoError("truncated", `The video file '${shown}' is incomplete: its frames stop at ${f.covered.toFixed(2)} s of ${f.declaredDuration.toFixed(2)} s (${detail})`, { file: shown });
  }
  if (f.expected > 0 && f.expected - f.decoded > 0.02 * f.expected) {
    throw new VideoError("corrupt", `The video file '${shown}' is damaged: only ${f.decoded} of ${f.expected} frames could be decoded (${detail})`, { file: shown });
  }
  if (errors.length > Math.max(3, 0.1 * f.decoded)) {
    throw new VideoError("corrupt", `The video file '${shown}' is damaged: ${errors.length} decoding errors in ${f.decoded} frames (${detail})`, { file: shown });
  }
}

/**
 * Probes a video file and builds its frame-exact index and shot boundaries (one full decode).
 * Throws VideoError: io (missing/unreadable), not_video, unsupported, corrupt, truncated.
 */
export async function probeVideo(file: string, opts: ProbeOptions = {}): Promise<VideoMeta> {
  const shown = opts.displayName ?? file;
  const sizeBytes = await regularFileSize(file, shown);
  if (sizeBytes === 0) throw new VideoError("not_video", `'${shown}' is empty`, { file: shown });
  const timeoutMs = opts.timeoutMs ?? 600_000;
  const kind = sniffContainer(await readHead(file));
  if (kind) {
    const declared = await declaredContainerBytes(file, kind);
    if (declared !== null && declared > sizeBytes) {
      throw new VideoError("truncated", `The video file '${shown}' is incomplete: its ${kind.toUpperCase()} structure declares ${declared} bytes but the file has only ${sizeBytes} (cut off, e.g. by an interrupted upload or copy)`, { file: shown });
    }
  }
  const { stream, formatName, formatDuration, sniffed } = await probeStreams(file, Math.min(timeoutMs, 60_000), shown);

  // One decode: 64x48 RGB thumbnails on stdout for the shot detector, showinfo (pts per frame, µs) on stderr.
  const scorer = new ShotScorer();
  let pending: Buffer = Buffer.alloc(0);
  let thumbs = 0;
  // Per-frame showinfo lines are parsed as they stream (a long video logs far more than the stderr tail kept).
  const frames: ShowinfoFrame[] = [];
  const errors: string[] = [];
  const r = await runBinary(
    ffmpegPath(),
    [
      ...decodeInputArgs(file, stream.index),
      // showinfo after the downscale and without its per-plane checksums (unused): they cost 2-3x at full size.
      "-vf", `settb=AVTB,scale=${SHOT_THUMB_W}:${SHOT_THUMB_H}:flags=area,format=rgb24,showinfo=checksum=0`,
      "-f", "rawvideo", "pipe:1",
    ],
    {
      timeoutMs,
      maxStderr: 64_000, // only the tail is needed for messages; frames are parsed from the stream
      onStderrLine: (line) => {
        const f = parseShowinfoLine(line);
        if (f) frames.push(f);
        else if (isErrorLine(line) && errors.length < 10_000) errors.push(line);
      },
      onStdout: (chunk) => {
        pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
        let at = 0;
        while (pending.length - at >= SHOT_THUMB_BYTES) {
          scorer.push(pending.subarray(at, at + SHOT_THUMB_BYTES));
          at += SHOT_THUMB_BYTES;
          thumbs++;
        }
        pending = Buffer.from(pending.subarray(at));
      },
    },
  );
  if (r.signal) throw new VideoError("io", `ffmpeg was stopped (${r.signal}) while reading '${shown}' (timeout ${timeoutMs} ms?)`, { file: shown });
  if (r.code !== 0 || frames.length === 0) {
    if (frames.length === 0 && r.code === 0) throw new VideoError("corrupt", `No frame of '${shown}' could be decoded${errors.length ? `: ${errors.slice(-2).join(" | ")}` : ""}`, { file: shown });
    throw classifyFailure(shown, errors.join("\n") || r.stderr, sniffed !== null, file);
  }
  if (thumbs !== frames.length) throw new VideoError("io", `ffmpeg reported ${frames.length} frames but produced ${thumbs} for '${shown}'`, { file: shown });
  const nominal = parseRational(stream.avg_frame_rate) || parseRational(stream.r_frame_rate);
  const { ptsUs } = repairTimestamps(frames, nominal);
  const timestamps = ptsUs.map((us) => us / 1e6);
  const deltas = ptsUs.slice(1).map((p, i) => p - ptsUs[i]);
  const med = median(deltas);
  const isVfr = deltas.some((d) => Math.abs(d - med) > Math.max(2000, 0.1 * med));
  const fps = nominal || (med > 0 ? 1e6 / med : 0);
  const shotBoundaries = detectShotBoundaries(scorer.scores, opts.shots);
  const covered = timestamps[timestamps.length - 1] - timestamps[0] + (med || 1e6 / (fps || 25)) / 1e6;
  const declaredDuration = parseRational(stream.duration) || formatDuration;
  const durationSec = declaredDuration || covered;
  checkDecodeDamage(shown, errors, {
    decoded: frames.length,
    expected: Math.max(Number(stream.nb_frames ?? 0) || 0, Math.round(declaredDuration * fps)),
    covered,
    declaredDuration,
    frameSec: (med || 1e6 / (fps || 25)) / 1e6,
  });
  // Decoded frames are display-rotated by ffmpeg, so report the size they come out with.
  const quarterTurn = Math.abs(Math.round(streamRotation(stream) / 90)) % 2 === 1;
  return {
    container: sniffed ?? formatName.split(",")[0],
    codec: stream.codec_name ?? "unknown",
    width: (quarterTurn ? stream.height : stream.width) ?? 0,
    height: (quarterTurn ? stream.width : stream.height) ?? 0,
    fps,
    durationSec,
    frameCount: timestamps.length,
    timestamps,
    shotBoundaries,
    sizeBytes,
    isVfr,
  };
}
