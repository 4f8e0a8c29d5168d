// GET /api/jobs/:id/export?videoId=N&format=trackany|molmo2 — one video's result as a download.
import { ANALYST_ROLES, EXPORT_FORMATS, exportJobVideo, type JobExportFormat } from "../../../../../lib/services/inference-jobs";
import { badRequest } from "../../../../../lib/services/errors";
import { intParam, route } from "../../../../_server/route";

export const GET = route<{ id: string }>(ANALYST_ROLES, async ({ req, db, params }) => {
  const q = new URL(req.url).searchParams;
  const format = q.get("format") ?? "trackany";
  if (!(EXPORT_FORMATS as readonly string[]).includes(format)) throw badRequest(`format: expected ${EXPORT_FORMATS.join(" or ")}, got ${JSON.stringify(format)}`);
  const out = await exportJobVideo(db, intParam(params.id, "id"), intParam(q.get("videoId"), "videoId"), format as JobExportFormat);
  return new Response(out.body, { headers: { "content-type": out.contentType, "content-disposition": `attachment; filename="${out.fileName}"`, "cache-control": "no-store" } });
});
