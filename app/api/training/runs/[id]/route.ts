// GET /api/training/runs/:id[?since=<step>&maxPoints=<n>] — one run and its curves (loss per head, validation
// metrics), decimated for plotting; `since` returns only later steps (live appends). Any signed-in user.
import { getTrainingRun } from "../../../../../lib/services/models";
import { runCurves } from "../../../../../lib/services/models-view";
import { badRequest } from "../../../../../lib/services/errors";
import { ANY_ROLE } from "../../../../_server/auth";
import { intParam, route } from "../../../../_server/route";

export const GET = route<{ id: string }>(ANY_ROLE, async ({ req, db, params }) => {
  const id = intParam(params.id, "id");
  const q = new URL(req.url).searchParams;
  const sinceRaw = q.get("since");
  let since: number | undefined;
  if (sinceRaw !== null && sinceRaw !== "") {
    if (!/^-?\d+$/.test(sinceRaw)) throw badRequest(`since: expected a step number, got ${JSON.stringify(sinceRaw)}`);
    since = Number(sinceRaw);
  }
  const maxRaw = q.get("maxPoints");
  const maxPoints = maxRaw === null || maxRaw === "" ? undefined : intParam(maxRaw, "maxPoints");
  if (maxPoints !== undefined && maxPoints < 4) throw badRequest("maxPoints: at least 4");
  const run = await getTrainingRun(db, id);
  return { run, curves: await runCurves(db, id, { sinceStep: since, maxPoints }) };
});
