// `groundtrack grounding …`: encode points to MolmoPoint targets (and decode them back) for an image or
// a sampled video; `grounding parse` is dispatched to ./grounding-parse.ts (Molmo2 text formats).
import { z } from "zod";
import {
  buildImageGrid, buildVideoGrid, decodeTargets, encodeImagePoints, encodeVideoPoints, sampleUniformLastFrame, type PointTarget,
} from "../../lib/grounding";
import { jsonOption, parseCommandArgs, UserError } from "../args";

export const summary = "MolmoPoint grounding tokens: encode-image, encode-video (points → targets → decoded), parse (Molmo2 text)";

const USAGE = `usage:
  groundtrack grounding encode-image --width W --height H [--max-crops N] --points '[[x,y],...]'
  groundtrack grounding encode-video --width W --height H (--timestamps '[t0,t1,...]' | --duration D [--max-frames 128] [--max-fps 2])
                                    --points '[[t,x,y],...]'
  groundtrack grounding parse ...   (Molmo2 point/track text; see 'groundtrack grounding parse --help')
Prints {"targets":[{patch,subpatch,location}],"decoded":[[...]]}: targets sorted as the model emits them
(no-more-points terminator not listed), decoded = the pixel (and timestamp) each target decodes to.
  --max-crops   crop budget of the overlap-and-resize-c2 tiling (default 8, Molmo2 eval uses 24)
  --duration    sample the frames with Molmo2's uniform_last_frame sampler instead of giving --timestamps
                (--max-frames default 128, --max-fps default 2, as Molmo2 SFT)`;

const positiveInt = (name: string) =>
  z
    .string({ error: `--${name} is required` })
    .transform(Number)
    .refine((n) => Number.isInteger(n) && n > 0, { error: `--${name} must be a positive integer` });

function sizeOf(values: { width?: string; height?: string }): { width: number; height: number } {
  const r = z.object({ width: positiveInt("width"), height: positiveInt("height") }).safeParse(values);
  if (!r.success) throw new UserError(r.error.issues[0].message);
  return r.data;
}

function inImage(name: string, w: number, h: number) {
  return (p: readonly number[], ctx: z.RefinementCtx) => {
    const [x, y] = p.slice(-2);
    if (x < 0 || x > w || y < 0 || y > h) ctx.addIssue({ code: "custom", message: `${name}: (${x}, ${y}) is outside the ${w}×${h} image` });
  };
}

/** Parses a JSON option with a zod schema, naming the option and the offending element. */
function parseJson<T>(option: string, text: string | undefined, schema: z.ZodType<T>): T {
  const r = schema.safeParse(jsonOption(option, text));
  if (!r.success) {
    const issue = r.error.issues[0];
    const where = issue.path.length ? `[${issue.path.join("][")}]` : "";
    throw new UserError(`--${option}${where}: ${issue.message}`);
  }
  return r.data;
}

function print(targets: PointTarget[], decoded: number[][]): number {
  console.log(JSON.stringify({ targets, decoded }));
  return 0;
}

async function encodeImage(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs(argv, {
    width: { type: "string" }, height: { type: "string" }, "max-crops": { type: "string" }, points: { type: "string" },
  });
  const { width, height } = sizeOf(values);
  const mc = z.object({ m: positiveInt("max-crops") }).safeParse({ m: values["max-crops"] ?? "8" });
  if (!mc.success) throw new UserError(mc.error.issues[0].message);
  const point = z.tuple([z.number(), z.number()]).superRefine(inImage("point", width, height));
  const points = parseJson("points", values.points, z.array(point));
  const grid = buildImageGrid(width, height, mc.data.m);
  const targets = encodeImagePoints(grid, points);
  return print(targets, decodeTargets(grid, targets));
}

async function encodeVideo(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs(argv, {
    width: { type: "string" }, height: { type: "string" }, timestamps: { type: "string" }, points: { type: "string" },
    duration: { type: "string" }, "max-frames": { type: "string" }, "max-fps": { type: "string" },
  });
  const { width, height } = sizeOf(values);
  let timestamps: number[];
  if (values.duration !== undefined) {
    if (values.timestamps !== undefined) throw new UserError("give either --timestamps or --duration, not both");
    const r = z
      .object({
        duration: z.string().transform(Number).refine((n) => Number.isFinite(n) && n >= 0, { error: "--duration must be a number ≥ 0" }),
        maxFrames: positiveInt("max-frames"),
        maxFps: z.string().transform(Number).refine((n) => Number.isFinite(n) && n > 0, { error: "--max-fps must be a number > 0" }),
      })
      .safeParse({ duration: values.duration, maxFrames: values["max-frames"] ?? "128", maxFps: values["max-fps"] ?? "2" });
    if (!r.success) throw new UserError(r.error.issues[0].message);
    timestamps = sampleUniformLastFrame(r.data.duration, r.data.maxFrames, r.data.maxFps).times;
  } else {
    timestamps = parseJson("timestamps", values.timestamps, z.array(z.number().min(0)).min(1, { error: "needs at least one frame timestamp" }));
  }
  const point = z.tuple([z.number().min(0), z.number(), z.number()]).superRefine(inImage("point", width, height));
  const points = parseJson("points", values.points, z.array(point));
  const grid = buildVideoGrid(width, height, timestamps);
  const targets = encodeVideoPoints(grid, points);
  return print(targets, decodeTargets(grid, targets));
}

async function parse(argv: string[]): Promise<number> {
  let mod: { runParse(argv: string[]): Promise<number> };
  try {
    mod = await import("./grounding-parse.ts");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ERR_MODULE_NOT_FOUND" && String(e).includes("grounding-parse")) {
      throw new UserError("'grounding parse' is not available: cli/commands/grounding-parse.ts is missing");
    }
    throw e;
  }
  return mod.runParse(argv);
}

export async function run(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  switch (sub) {
    case "encode-image":
      return encodeImage(rest);
    case "encode-video":
      return encodeVideo(rest);
    case "parse":
      return parse(rest);
    case undefined:
    case "help":
    case "--help":
    case "-h":
      console.log(USAGE);
      return 0;
    default:
      throw new UserError(`unknown subcommand '${sub}'\n${USAGE}`);
  }
}
