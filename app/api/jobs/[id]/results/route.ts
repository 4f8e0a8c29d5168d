// GET /api/jobs/:id/results[?videoId=N][&masks=0] — tracks (and masks) per video, videos ranked by matched objects.
import { ANALYST_ROLES, getJobResults } from "../../../../../lib/services/inference-jobs";
import { intParam, optionalIntParam, route } from "../../../../_server/route";

export const GET = route<{ id: string }>(ANALYST_ROLES, async ({ req, db, params }) => {
  const q = new URL(req.url).searchParams;
  const videoId = optionalIntParam(q.get("videoId"), "videoId");
  return getJobResults(db, intParam(params.id, "id"), { withMasks: q.get("masks") !== "0", ...(videoId === undefined ? {} : { videoId }) });
});
