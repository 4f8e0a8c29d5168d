// `groundtrack tracks convert`: convert point tracks between TrackAny JSON, Molmo2 <tracks> text,
// MOTChallenge txt and CVAT for video 1.1 XML through the neutral TrackSet.
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { exportTracks, importTracks, isTrackFormat, TRACK_FORMATS, unsafeNameReason, type TrackFormat } from "../../lib/formats";
import { keyframeSourceSchema } from "../../lib/tracks/types";
import { numberOption, parseCommandArgs, UserError } from "../args";

export const summary = "convert point tracks between trackany | molmo2 | mot | cvat (tracks convert --help)";

const USAGE = `usage: groundtrack tracks convert --in FILE --from FORMAT --out FILE --to FORMAT
         [--width W --height H --fps F --frames N] [--source human|propagated|model:<v>]
         [--box-size PX] [--sampling-fps F] [--keyframes-only] [--video-name NAME]
formats: ${TRACK_FORMATS.join(" | ")}
  mot needs --width --height --fps (--frames defaults to the last frame); cvat needs --fps;
  molmo2 needs --width --height --fps --frames. Given values override nothing the file records.
  --box-size: MOT export box side (default 10); --sampling-fps: Molmo2 export rate;
  --keyframes-only: CVAT export without interpolated frames;
  --video-name: video file name to record (TrackAny needs one; mot/molmo2 inputs have none).`;

function format(name: string, value: string | undefined): TrackFormat {
  if (value === undefined) throw new UserError(`--${name} is required\n${USAGE}`);
  if (!isTrackFormat(value)) throw new UserError(`--${name} must be one of ${TRACK_FORMATS.join(", ")}, got '${value}'`);
  return value;
}

const optional = (name: string, v: string | undefined) => (v === undefined ? undefined : numberOption(name, v));

export async function run(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (!sub || sub === "--help" || sub === "-h" || sub === "help") {
    console.log(USAGE);
    return sub ? 0 : 2;
  }
  if (sub !== "convert") throw new UserError(`unknown subcommand '${sub}'\n${USAGE}`);
  const { values, positionals } = parseCommandArgs(rest, {
    in: { type: "string" },
    out: { type: "string" },
    from: { type: "string" },
    to: { type: "string" },
    width: { type: "string" },
    height: { type: "string" },
    fps: { type: "string" },
    frames: { type: "string" },
    source: { type: "string" },
    "box-size": { type: "string" },
    "sampling-fps": { type: "string" },
    "keyframes-only": { type: "boolean" },
    "video-name": { type: "string" },
  });
  if (positionals.length) throw new UserError(`unexpected argument '${positionals[0]}'`);
  const from = format("from", values.from);
  const to = format("to", values.to);
  if (!values.in) throw new UserError(`--in is required\n${USAGE}`);
  if (!values.out) throw new UserError(`--out is required\n${USAGE}`);
  let source;
  if (values.source !== undefined) {
    const s = keyframeSourceSchema.safeParse(values.source);
    if (!s.success) throw new UserError(`--source must be human, interpolated, propagated or model:<version>, got '${values.source}'`);
    source = s.data;
  }
  let text: string;
  try {
    text = readFileSync(values.in, "utf8");
  } catch (e) {
    throw new UserError(`cannot read --in ${values.in}: ${(e as Error).message}`);
  }
  const imported = importTracks(from, text, {
    fileName: path.basename(values.in),
    width: optional("width", values.width),
    height: optional("height", values.height),
    fps: optional("fps", values.fps),
    frameCount: optional("frames", values.frames),
    source,
  });
  if (!imported.ok) throw new UserError(imported.error.message);
  for (const w of imported.warnings) console.error(`warning: ${w}`);
  if (values["video-name"] !== undefined) {
    const why = unsafeNameReason(values["video-name"]);
    if (why) throw new UserError(`--video-name ${JSON.stringify(values["video-name"])} ${why}`);
    imported.value.video.name = values["video-name"];
  }
  let output: string;
  try {
    output = exportTracks(to, imported.value, {
      boxSize: optional("box-size", values["box-size"]),
      samplingFps: optional("sampling-fps", values["sampling-fps"]),
      dense: !values["keyframes-only"],
    });
  } catch (e) {
    if (e instanceof RangeError) throw new UserError(`cannot write ${to}: ${e.message}`);
    throw e;
  }
  writeFileSync(values.out, output);
  const set = imported.value;
  const keyframes = set.objects.reduce((n, o) => n + o.keyframes.length, 0);
  console.log(`${values.in} (${from}) -> ${values.out} (${to}): ${set.objects.length} objects, ${keyframes} keyframes, ${set.video.frameCount} frames`);
  return 0;
}
