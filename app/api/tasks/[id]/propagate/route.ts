// POST /api/tasks/:id/propagate — {fromFrame, direction: "forward"|"backward"|"both", toFrame?, expectedVersion?}.
// Follows the task's point from fromFrame (Lucas–Kanade; SAM2 mask centroids when SAM2 weights are installed)
// and writes `propagated` keyframes through the observations service (human keyframes are never overwritten;
// an edit during the run → 409 with the newer track). The assignee, reviewers and admins may call it.
// Progress streams to the video room as `propagate:progress`; the result is broadcast like an observations PUT.
import { existsSync, readdirSync } from "node:fs";
import path from "node:path";
import { propagateBody, propagateTask } from "../../../../../lib/services/propagation";
import type { MaskPropagator } from "../../../../../lib/tracking/propagate";
import { ANY_ROLE } from "../../../../_server/auth";
import { publishPropagateProgress, publishTrackUpdate } from "../../../../_server/live-hub";
import { body, intParam, route } from "../../../../_server/route";

const holder = globalThis as unknown as { __groundtrackPropagateSam2?: Promise<MaskPropagator | undefined> };

/** The SAM2 engine when weights are installed ($GROUNDTRACK_SAM2_DIR or models/sam2), loaded once per process. */
function sam2Engine(): Promise<MaskPropagator | undefined> {
  if (!holder.__groundtrackPropagateSam2) {
    const env = process.env.GROUNDTRACK_SAM2_DIR;
    const dir = env ? path.resolve(/*turbopackIgnore: true*/ env) : path.resolve(/*turbopackIgnore: true*/ process.cwd(), "models", "sam2");
    const hasWeights = existsSync(dir) && readdirSync(dir).some((f) => f.endsWith(".onnx"));
    holder.__groundtrackPropagateSam2 = hasWeights
      ? import("../../../../../inference/sam2")
          .then((m) => m.createMaskEngine({ modelsDir: dir, log: (msg) => console.error(`[propagate] ${msg}`) }))
          .then((e) => (e.engine.startsWith("sam2:") ? e : undefined))
          .catch((err: unknown) => {
            // A broken SAM2 install must not block annotation: LK still works; the response names the engine used.
            console.error("[propagate] SAM2 unavailable, using Lucas–Kanade:", err instanceof Error ? err.message : err);
            return undefined;
          })
      : Promise.resolve(undefined);
  }
  return holder.__groundtrackPropagateSam2;
}

export const POST = route<{ id: string }>(ANY_ROLE, async ({ req, db, actor, params }) => {
  const taskId = intParam(params.id, "id");
  const input = await body(req, propagateBody);
  let lastSent = 0;
  const out = await propagateTask(db, actor, taskId, input, {
    maskEngine: await sam2Engine(),
    signal: req.signal,
    onProgress: (p) => {
      const now = Date.now();
      if (now - lastSent < 100 && p.done < p.total) return; // at most ~10 messages a second
      lastSent = now;
      publishPropagateProgress({ taskId: p.taskId, videoId: p.videoId, direction: p.direction, frame: p.frame, done: p.done, total: p.total });
    },
  });
  if (out.frames.length) publishTrackUpdate({ ...out.state, by: { id: actor.id, username: actor.username } });
  return out;
});
