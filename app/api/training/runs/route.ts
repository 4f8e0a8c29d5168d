// GET /api/training/runs — training runs, newest first (status, progress, error, candidate). Any signed-in user.
// POST /api/training/runs {snapshotId, steps, batchSize?, lr?, seed?, checkpointEvery?, version?} — admin: starts a
// run on a snapshot in its own `groundtrack train run` process; 202 with the run id once the run exists.
import { listTrainingRuns } from "../../../../lib/services/models";
import { audit } from "../../../../lib/services/audit";
import { ANY_ROLE } from "../../../_server/auth";
import { body, json, route } from "../../../_server/route";
import { launchTrainingRun, startRunBody } from "./launch";

export const GET = route(ANY_ROLE, async ({ db }) => ({ runs: await listTrainingRuns(db, { limit: 100 }) }));

export const POST = route(["admin"], async ({ req, db, actor }) => {
  const input = await body(req, startRunBody);
  const launched = await launchTrainingRun(input);
  await audit(db, actor.id, "training.start", "trainingRun", launched.runId, { ...input, pid: launched.pid });
  return json({ runId: launched.runId }, 202);
});
