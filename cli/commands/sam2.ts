// `groundtrack sam2 propagate`: clicks on one frame → per-frame masks (COCO RLE) for every object, propagated
// through the video with SAM2 (four-module ONNX export in --models) or, without weights, the classical
// colour-region segmenter (said on stderr and recorded as the engine in the output).
import { createHash } from "node:crypto";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { z } from "zod";
import { createMaskEngine, PromptError, type FrameMasks, type MaskPrompt } from "../../inference/sam2";
import { RuntimeError, type RuntimeVideo } from "../../inference/runtime";
import { planPropagation } from "../../inference/sam2/prompts";
import { isVideoError, probeVideo } from "../../lib/video";
import { jsonOption, parseCommandArgs, UserError } from "../args";
import { progressBar } from "../progress";

export const summary = "SAM2 masks: propagate clicks on a frame through the video (per-frame COCO RLE per object)";

const USAGE = `usage:
  groundtrack sam2 propagate --models DIR --video FILE --frame N --points '[[x,y,label],...]'
                             [--objects '{"1":[[x,y,1]],"2":[[x,y,1],[x,y,0]]}'] [--direction both|forward|backward]
                             [--start N] [--end N] [--device auto|cpu|cuda] --out masks.json
  --points      clicks for object "1" on --frame (label 1 = on the object, 0 = not on it); pixels of the video
  --objects     clicks per object id on --frame (instead of, or besides, --points)
  --direction   both (default: forward from the start frame, then backward), forward or backward
  --start/--end first and last frame to process (default: the prompted frame and the video's end/start)
  --models      directory with image_encoder.onnx, image_decoder.onnx, memory_attention(_objptr).onnx and
                memory_encoder.onnx (see models/sam2/README.md); without weights the classical segmenter is used
Writes {"engine","video":{path,width,height,frameCount},"direction","prompts","frames":[{frame,masks:[{objectId,rle:{size,counts},score,area}]}]}.`;

const Point = z.tuple([z.number(), z.number(), z.union([z.literal(0), z.literal(1)], { error: "label must be 1 (positive) or 0 (negative)" })]);
const Points = z.array(Point).min(1, { error: "needs at least one point" });

function parseJson<T>(option: string, text: string, schema: z.ZodType<T>): T {
  const r = schema.safeParse(jsonOption(option, text));
  if (!r.success) {
    const issue = r.error.issues[0];
    const where = issue.path.length ? `[${issue.path.map((p) => JSON.stringify(p)).join("][")}]` : "";
    throw new UserError(`--${option}${where}: ${issue.message}`);
  }
  return r.data;
}

function intOption(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const v = Number(text);
  if (!Number.isInteger(v) || v < 0) throw new UserError(`--${name} must be a frame index (integer ≥ 0), got '${text}'`);
  return v;
}

async function propagate(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, {
    models: { type: "string" }, video: { type: "string" }, frame: { type: "string" }, points: { type: "string" },
    objects: { type: "string" }, direction: { type: "string" }, start: { type: "string" }, end: { type: "string" },
    device: { type: "string" }, out: { type: "string" }, help: { type: "boolean", short: "h" },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (positionals.length) throw new UserError(`unexpected argument '${positionals[0]}'\n${USAGE}`);
  for (const name of ["models", "video", "frame", "out"] as const) if (values[name] === undefined) throw new UserError(`--${name} is required\n${USAGE}`);
  if (values.points === undefined && values.objects === undefined) throw new UserError(`give the clicks with --points or --objects\n${USAGE}`);
  const frame = intOption("frame", values.frame) as number;
  const direction = values.direction ?? "both";
  if (!["both", "forward", "backward"].includes(direction)) throw new UserError(`--direction must be both, forward or backward, got '${direction}'`);
  const device = values.device ?? "auto";
  if (!["auto", "cpu", "cuda"].includes(device)) throw new UserError(`--device must be auto, cpu or cuda, got '${device}'`);
  const objects: Record<string, Array<[number, number, 0 | 1]>> = {};
  if (values.objects !== undefined) Object.assign(objects, parseJson("objects", values.objects, z.record(z.string().min(1, { error: "object ids must not be empty" }), Points)));
  if (values.points !== undefined) {
    if (objects["1"]) throw new UserError("--points are the clicks of object \"1\", which --objects also defines; put them in --objects");
    objects["1"] = parseJson("points", values.points, Points);
  }
  if (Object.keys(objects).length === 0) throw new UserError("--objects has no objects");
  const prompts: MaskPrompt[] = Object.entries(objects).map(([objectId, points]) => ({ frame, objectId, points }));

  const file = values.video as string;
  let meta;
  try {
    meta = await probeVideo(file);
  } catch (e) {
    if (isVideoError(e)) throw new UserError(`--video: ${e.message}`);
    throw e;
  }
  const video: RuntimeVideo = { id: `cli-${createHash("sha1").update(path.resolve(file)).digest("hex").slice(0, 12)}`, path: file, meta };
  const req = { direction: direction as "both" | "forward" | "backward", startFrame: intOption("start", values.start), endFrame: intOption("end", values.end) };
  let total: number;
  try {
    if (frame >= meta.frameCount) throw new PromptError(`--frame ${frame} does not exist: '${file}' has frames 0-${meta.frameCount - 1}`);
    total = planPropagation(req, [frame], meta.frameCount).passes.reduce((n, p) => n + p.frames.length, 0);
  } catch (e) {
    if (e instanceof PromptError) throw new UserError(e.message.replace(/^(startFrame|endFrame)/, (m) => (m === "startFrame" ? "--start" : "--end")));
    throw e;
  }

  let engine;
  try {
    engine = await createMaskEngine({ modelsDir: values.models, device: device as "auto" | "cpu" | "cuda", log: (m) => console.error(m) });
  } catch (e) {
    if (e instanceof RuntimeError) throw new UserError(`--models: ${e.message}`);
    throw e;
  }
  console.error(`sam2: engine ${engine.engine}`);
  const bar = progressBar(`sam2 ${engine.engine}`, total);
  let frames: FrameMasks[];
  try {
    frames = await engine.propagate({ video, prompts, ...req, onFrame: () => bar.tick() });
  } catch (e) {
    if (e instanceof PromptError) throw new UserError(e.message.replace(/^prompts\[(\d+)\]/, (_, i: string) => `clicks of object ${JSON.stringify(prompts[Number(i)].objectId)}`));
    if (e instanceof RuntimeError) throw new UserError(e.message);
    throw e;
  } finally {
    bar.stop();
    await engine.close();
  }
  const result = {
    engine: engine.engine,
    video: { path: file, width: meta.width, height: meta.height, frameCount: meta.frameCount },
    direction,
    prompts,
    frames,
  };
  try {
    writeFileSync(values.out as string, JSON.stringify(result) + "\n");
  } catch (e) {
    throw new UserError(`cannot write --out ${values.out}: ${(e as Error).message}`);
  }
  const nonEmpty = frames.filter((f) => f.masks.some((m) => m.area > 0)).length;
  console.error(`sam2: ${frames.length} frames (${nonEmpty} with a non-empty mask) → ${values.out}`);
  return 0;
}

export async function run(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === "propagate") return propagate(rest);
  if (sub === undefined || sub === "help" || sub === "--help" || sub === "-h") {
    console.log(USAGE);
    return 0;
  }
  throw new UserError(`unknown sam2 subcommand '${sub}'\n${USAGE}`);
}
