// Validation and grouping of mask prompts, and the frame order of a propagation run (shared by both engines).
import { z } from "zod";
import type { MaskPrompt, PropagateRequest } from "./types";

/** Bad prompts or frame bounds: the caller's input, reported with the offending field. */
export class PromptError extends Error {
  override name = "PromptError";
}

const PromptSchema = z.object({
  frame: z.number().int().min(0),
  objectId: z.string().min(1),
  points: z.array(z.tuple([z.number(), z.number(), z.union([z.literal(0), z.literal(1)])])).min(1, { error: "needs at least one point" }),
});

/** One object's prompted frames, points in video pixels, in the order given. */
export interface ObjectPrompts {
  objectId: string;
  frames: Map<number, Array<[number, number, 0 | 1]>>;
}

/** Validates prompts against the video; groups them by object (first-seen order) and frame (points merged). */
export function groupPrompts(prompts: readonly MaskPrompt[], width: number, height: number, frameCount: number): ObjectPrompts[] {
  if (!Array.isArray(prompts) || prompts.length === 0) throw new PromptError("prompts: at least one prompt (frame, objectId, points) is required");
  const byObject = new Map<string, ObjectPrompts>();
  prompts.forEach((raw, i) => {
    const r = PromptSchema.safeParse(raw);
    if (!r.success) {
      const issue = r.error.issues[0];
      throw new PromptError(`prompts[${i}]${issue.path.length ? `.${issue.path.join(".")}` : ""}: ${issue.message}`);
    }
    const p = r.data;
    if (p.frame >= frameCount) throw new PromptError(`prompts[${i}].frame: frame ${p.frame} does not exist (the video has frames 0-${frameCount - 1})`);
    p.points.forEach(([x, y], j) => {
      if (!(x >= 0 && x <= width && y >= 0 && y <= height)) throw new PromptError(`prompts[${i}].points[${j}]: (${x}, ${y}) is outside the ${width}×${height} frame`);
    });
    let o = byObject.get(p.objectId);
    if (!o) byObject.set(p.objectId, (o = { objectId: p.objectId, frames: new Map() }));
    const pts = o.frames.get(p.frame) ?? [];
    pts.push(...p.points);
    o.frames.set(p.frame, pts);
  });
  return [...byObject.values()];
}

/** The frames to process, pass by pass, like `SAM2VideoPredictor.propagate_in_video` (forward, then reverse). */
export interface PropagationPlan {
  start: number;
  passes: Array<{ reverse: boolean; frames: number[] }>;
}

/**
 * Start: `startFrame`, else the earliest prompted frame (SAM2's default start for both directions).
 * forward: start..endFrame (default last); backward: start..endFrame (default 0), descending;
 * both: start..last, then start-1..0 (the demo backend runs forward then reverse from one start frame; the start
 * frame is emitted once). With "both", endFrame limits the forward pass.
 */
export function planPropagation(req: Pick<PropagateRequest, "direction" | "startFrame" | "endFrame">, prompted: number[], frameCount: number): PropagationPlan {
  const last = frameCount - 1;
  const check = (name: string, v: number | undefined) => {
    if (v !== undefined && !(Number.isInteger(v) && v >= 0 && v <= last)) throw new PromptError(`${name}: ${v} is not a frame of this video (0-${last})`);
  };
  check("startFrame", req.startFrame);
  check("endFrame", req.endFrame);
  if (!["both", "forward", "backward"].includes(req.direction)) throw new PromptError(`direction must be both, forward or backward, got ${JSON.stringify(req.direction)}`);
  const start = req.startFrame ?? Math.min(...prompted);
  const range = (a: number, b: number) => (a <= b ? Array.from({ length: b - a + 1 }, (_, k) => a + k) : Array.from({ length: a - b + 1 }, (_, k) => a - k));
  if (req.direction === "forward") {
    const end = req.endFrame ?? last;
    if (end < start) throw new PromptError(`endFrame ${end} is before the start frame ${start} of a forward propagation`);
    return { start, passes: [{ reverse: false, frames: range(start, end) }] };
  }
  if (req.direction === "backward") {
    const end = req.endFrame ?? 0;
    if (end > start) throw new PromptError(`endFrame ${end} is after the start frame ${start} of a backward propagation`);
    return { start, passes: [{ reverse: true, frames: range(start, end) }] };
  }
  const end = req.endFrame ?? last;
  if (end < start) throw new PromptError(`endFrame ${end} is before the start frame ${start}`);
  const passes = [{ reverse: false, frames: range(start, end) }];
  if (start > 0) passes.push({ reverse: true, frames: range(start - 1, 0) });
  return { start, passes };
}

/** The lowest and highest frame a run reads (its passes and its prompted frames). */
export function framesRange(plan: PropagationPlan, prompted: readonly number[]): [number, number] {
  const all = [...prompted, ...plan.passes.flatMap((p) => [p.frames[0], p.frames[p.frames.length - 1]])];
  return [Math.min(...all), Math.max(...all)];
}
