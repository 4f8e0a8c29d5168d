// GET /api/models/compare?a=<version>&b=<version> — per-metric values of two versions and the deltas (b − a), and
// whether both were scored on the same frozen benchmark split. Any signed-in user.
import { badRequest } from "../../../../lib/services/errors";
import { compareVersions } from "../../../../lib/services/models-view";
import { ANY_ROLE } from "../../../_server/auth";
import { route } from "../../../_server/route";

export const GET = route(ANY_ROLE, async ({ req, db }) => {
  const q = new URL(req.url).searchParams;
  const a = q.get("a");
  const b = q.get("b");
  if (!a) throw badRequest("a: the first version to compare is required");
  if (!b) throw badRequest("b: the second version to compare is required");
  return compareVersions(db, a, b);
});
