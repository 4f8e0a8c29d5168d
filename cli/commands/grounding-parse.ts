// `groundtrack grounding parse`: parse Molmo2 point/track text (html-v1/v2 `<points>`/`<tracks>`, legacy
// Molmo-1 forms) exactly as allenai/molmo2's extract_* functions do, and print the result as JSON.
import { readFileSync } from "node:fs";
import { z } from "zod";
import { extractMultiImagePoints, extractPointTracks, extractTracks, type LegacyTrackFormat, type Result } from "../../lib/grounding/text";
import { parseCommandArgs, UserError } from "../args";

export const USAGE = `usage: groundtrack grounding parse (--text TEXT | --file PATH|-) --width W --height H [--fps F]
                                [--legacy-format video_point_track_per_frame|video_point_ground_start_end|
                                                 video_single_point_track_per_frame|
                                                 video_point_track_all_frames_with_occlusion|none]
  --text / --file  the model output (--file - reads stdin)
  --width/--height image or video size in pixels (coordinates are 0-1000 of these)
  --fps            video fps: print tracks [{frame, time, points:[{id,x,y}]}] with frame = round(time*fps);
                   without it print points [{frame, x, y}] (frame = image index or timestamp)
  --legacy-format  legacy track text to fall back to (default video_point_track_per_frame, as the evaluators);
                   video_point_track_all_frames_with_occlusion adds "occluded" to every point`;

const finite = (name: string) =>
  z
    .string({ error: `--${name} is required` })
    .transform((s) => Number(s))
    .refine((n) => Number.isFinite(n), { error: `--${name} must be a finite number` });

const Options = z
  .object({
    text: z.string().optional(),
    file: z.string().min(1).optional(),
    width: finite("width").refine((n) => n > 0, { error: "--width must be > 0" }),
    height: finite("height").refine((n) => n > 0, { error: "--height must be > 0" }),
    fps: finite("fps")
      .refine((n) => n > 0, { error: "--fps must be > 0" })
      .optional(),
    "legacy-format": z
      .enum(["video_point_track_per_frame", "video_point_ground_start_end", "video_single_point_track_per_frame", "video_point_track_all_frames_with_occlusion", "none"], {
        error:
          "--legacy-format must be video_point_track_per_frame, video_point_ground_start_end, video_single_point_track_per_frame, video_point_track_all_frames_with_occlusion or none",
      })
      .default("video_point_track_per_frame"),
  })
  .refine((o) => (o.text === undefined) !== (o.file === undefined), { error: "give exactly one of --text and --file" });

function readText(file: string): string {
  try {
    return readFileSync(file === "-" ? 0 : file, "utf8");
  } catch (e) {
    throw new UserError(`cannot read --file ${file}: ${(e as Error).message}`);
  }
}

function report<T>(r: Result<T>, key: string): number {
  if (!r.ok) {
    const at = r.error.offset === undefined ? "" : ` (at character ${r.error.offset})`;
    console.error(`groundtrack grounding parse: ${r.error.message}${at}`);
    return 1;
  }
  console.log(JSON.stringify({ [key]: r.value }, null, 2));
  return 0;
}

export async function runParse(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs(argv, {
    text: { type: "string" },
    file: { type: "string" },
    width: { type: "string" },
    height: { type: "string" },
    fps: { type: "string" },
    "legacy-format": { type: "string" },
    help: { type: "boolean", short: "h" },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const parsed = Options.safeParse(values);
  if (!parsed.success) throw new UserError(`${parsed.error.issues.map((i) => i.message).join("; ")}\n${USAGE}`);
  const o = parsed.data;
  const text = o.text ?? readText(o.file!);
  const size = { width: o.width, height: o.height };
  if (o.fps === undefined) return report(extractMultiImagePoints(text, size), "points");
  if (o["legacy-format"] === "video_point_track_all_frames_with_occlusion") return report(extractPointTracks(text, { ...size, fps: o.fps }), "tracks");
  const legacyFormat: LegacyTrackFormat | null = o["legacy-format"] === "none" ? null : o["legacy-format"];
  return report(extractTracks(text, { ...size, fps: o.fps, legacyFormat }), "tracks");
}
