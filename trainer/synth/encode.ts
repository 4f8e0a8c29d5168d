// H.264 mp4 writer fed with raw RGB frames through a pipe to the ffmpeg binary lib/video resolves.
// Single-threaded, bit-exact flags and no metadata so the same frames give the same file.
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { ffmpegPath } from "../../lib/video/binaries";

export class Mp4Writer {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly done: Promise<void>;
  private stderr = "";

  constructor(
    readonly file: string,
    width: number,
    height: number,
    fps: number,
  ) {
    const args = [
      "-nostdin", "-hide_banner", "-loglevel", "error", "-y",
      "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", `${width}x${height}`, "-r", String(fps), "-i", "pipe:0",
      "-c:v", "libx264", "-preset", "veryfast", "-crf", "16", "-pix_fmt", "yuv420p", "-threads", "1", "-bf", "0",
      "-g", String(Math.max(1, Math.round(fps))), "-x264-params", "scenecut=0",
      "-an", "-fflags", "+bitexact", "-flags:v", "+bitexact", "-map_metadata", "-1", "-movflags", "+faststart",
      "-f", "mp4", file,
    ];
    this.child = spawn(ffmpegPath(), args, { stdio: ["pipe", "pipe", "pipe"], shell: false });
    this.child.stdout.resume();
    this.child.stderr.setEncoding("utf8");
    this.child.stderr.on("data", (c: string) => (this.stderr = (this.stderr + c).slice(-8000)));
    this.child.stdin.on("error", () => {}); // EPIPE when ffmpeg dies; the exit code carries the reason
    this.done = new Promise<void>((resolve, reject) => {
      this.child.on("error", (e) => reject(new Error(`could not start ffmpeg: ${e.message}`, { cause: e })));
      this.child.on("close", (code) => (code === 0 ? resolve() : reject(new Error(`ffmpeg failed writing ${file} (exit ${code}): ${this.stderr.trim()}`))));
    });
    this.done.catch(() => {}); // observed by finish()
  }

  /** Queues one frame (copied); resolves when the pipe can take more. */
  async write(rgb: Uint8Array): Promise<void> {
    if (!this.child.stdin.write(Buffer.from(rgb))) {
      await new Promise<void>((resolve, reject) => {
        const onDrain = () => (this.child.off("close", onClose), resolve());
        const onClose = () => (this.child.stdin.off("drain", onDrain), reject(new Error(`ffmpeg exited while writing ${this.file}: ${this.stderr.trim()}`)));
        this.child.stdin.once("drain", onDrain);
        this.child.once("close", onClose);
      });
    }
  }

  async finish(): Promise<void> {
    this.child.stdin.end();
    await this.done;
  }

  abort(): void {
    this.child.kill("SIGKILL");
  }
}
