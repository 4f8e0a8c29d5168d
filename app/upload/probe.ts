// In-browser probe of a chosen video with ffmpeg.wasm (core served by this app at /ffmpeg-core/*): decodes the
// first frame and reads duration / codec / size from ffmpeg's report, before a single byte is uploaded.
import type { FFFSType, FFmpeg } from "@ffmpeg/ffmpeg";
import { parseFfmpegLog, type LogProbe } from "../../lib/annotator/ffmpeg-log";

export interface BrowserProbe extends LogProbe {
  fileName: string;
  sizeBytes: number;
  /** True when ffmpeg decoded the first video frame. */
  decodable: boolean;
  /** Object URL of the first frame (PNG), when decodable. */
  firstFrameUrl: string | null;
  /** Why the file is refused (empty when it can be uploaded). */
  problems: string[];
  probeMs: number;
}

let shared: Promise<FFmpeg> | null = null;

/** One ffmpeg.wasm instance per page, loaded on first use from the app's own /ffmpeg-core route. */
function ffmpeg(): Promise<FFmpeg> {
  shared ??= (async () => {
    const base = `${window.location.origin}/ffmpeg-core`;
    // Loaded at run time from the app (not bundled): its worker is then found next to it, at /ffmpeg-core/worker.js.
    const mod = (await import(/* webpackIgnore: true */ /* turbopackIgnore: true */ `${base}/index.js`)) as typeof import("@ffmpeg/ffmpeg");
    const f = new mod.FFmpeg();
    await f.load({ coreURL: `${base}/ffmpeg-core.js`, wasmURL: `${base}/ffmpeg-core.wasm` });
    return f;
  })().catch((err: unknown) => {
    shared = null;
    throw err;
  });
  return shared;
}

let runs = 0;

export async function probeInBrowser(file: File, opts: { minSeconds?: number } = {}): Promise<BrowserProbe> {
  const t0 = performance.now();
  const f = await ffmpeg();
  const logs: string[] = [];
  const onLog = ({ message }: { message: string }) => logs.push(message);
  f.on("log", onLog);
  const dir = `/probe${++runs}`;
  const out = `/first${runs}.png`;
  let png: Uint8Array | null = null;
  try {
    await f.createDir(dir);
    // WORKERFS reads the File lazily: nothing is copied into wasm memory, so large files probe quickly.
    await f.mount("WORKERFS" as FFFSType, { files: [file] }, dir);
    await f.exec(["-hide_banner", "-nostdin", "-i", `${dir}/${file.name}`, "-map", "0:v:0", "-frames:v", "1", "-f", "image2", "-c:v", "png", out], 60_000);
    try {
      const data = await f.readFile(out);
      if (data instanceof Uint8Array && data.length > 0) png = data;
      await f.deleteFile(out);
    } catch {
      png = null;
    }
  } finally {
    f.off("log", onLog);
    await f.unmount(dir).catch(() => undefined);
    await f.deleteDir(dir).catch(() => undefined);
  }
  const report = parseFfmpegLog(logs);
  const problems: string[] = [];
  if (file.size === 0) problems.push("the file is empty");
  if (!report.codec) problems.push(report.errors[0] ? `not a video ffmpeg can read: ${report.errors[0]}` : "no video stream found");
  else if (!png) problems.push(`the first frame could not be decoded (${report.codec})`);
  if (report.durationSec !== null && opts.minSeconds !== undefined && report.durationSec < opts.minSeconds) problems.push(`shorter than ${opts.minSeconds} s`);
  return {
    ...report,
    fileName: file.name,
    sizeBytes: file.size,
    decodable: png !== null,
    firstFrameUrl: png ? URL.createObjectURL(new Blob([new Uint8Array(png)], { type: "image/png" })) : null,
    problems,
    probeMs: Math.round(performance.now() - t0),
  };
}
