// Reads what ffmpeg prints about its input ("Duration: …", "Stream #0:0…: Video: h264 …, 640x360 …, 25 fps")
// into a probe summary. Used by the upload page, whose in-browser ffmpeg.wasm reports through its log.

export interface LogProbe {
  /** Seconds, or null when ffmpeg printed "N/A" / nothing. */
  durationSec: number | null;
  /** First video stream's codec name (e.g. "h264", "vp9"), or null when there is no video stream. */
  codec: string | null;
  width: number | null;
  height: number | null;
  fps: number | null;
  /** Container format names from "Input #0, mov,mp4,m4a,…, from …". */
  container: string | null;
  /** ffmpeg's own error lines (e.g. "Invalid data found when processing input"). */
  errors: string[];
}

export function parseFfmpegLog(lines: readonly string[]): LogProbe {
  const out: LogProbe = { durationSec: null, codec: null, width: null, height: null, fps: null, container: null, errors: [] };
  for (const raw of lines) {
    const line = raw.trim();
    const input = /^Input #0, (.+?), from /.exec(line);
    if (input && out.container === null) out.container = input[1]!;
    const d = /Duration: (\d+):(\d{2}):(\d{2}(?:\.\d+)?)/.exec(line);
    if (d && out.durationSec === null) out.durationSec = Number(d[1]) * 3600 + Number(d[2]) * 60 + Number(d[3]);
    const v = /^Stream #0:\d+.*?: Video: ([A-Za-z0-9_]+)(.*)$/.exec(line);
    if (v && out.codec === null) {
      out.codec = v[1]!;
      const rest = v[2]!;
      const size = /(?:^|[ ,])(\d{2,5})x(\d{2,5})(?=[ ,]|$)/.exec(rest);
      if (size) {
        out.width = Number(size[1]);
        out.height = Number(size[2]);
      }
      const fps = /([\d.]+)(k?) fps/.exec(rest) ?? /([\d.]+)(k?) tbr/.exec(rest);
      if (fps) out.fps = Number(fps[1]) * (fps[2] ? 1000 : 1);
    }
    if (/Invalid data found|could not find codec|No such file|Error (?:opening|while decoding)|moov atom not found|does not contain any stream|Output file .* does not contain/i.test(line)) {
      out.errors.push(line);
    }
  }
  return out;
}
