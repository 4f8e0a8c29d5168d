// GET /api/reports/predictions — stored prediction sets (reviewer/admin).
// POST /api/reports/predictions {name, format: trackany|molmo2, engine?, items: [{videoId?, expressionId?, content}]}
// — imports a prediction (or ground-truth) file as a PredictionSet; the body is size-limited and every error
// names the item and field.
import { badRequest, ServiceError } from "../../../../lib/services/errors";
import { listPredictionSets } from "../../../../lib/services/reports";
import { importPredictionSet, importPredictionsSchema, MAX_IMPORT_CHARS } from "../../../../lib/services/reports-import";
import { route } from "../../../_server/route";

/** Body limit: the content limit plus room for the JSON envelope and escaping. */
const MAX_BODY_BYTES = MAX_IMPORT_CHARS * 2;

export const GET = route(["reviewer", "admin"], async ({ db }) => ({ sets: await listPredictionSets(db) }));

export const POST = route(["reviewer", "admin"], async ({ req, db, actor }) => {
  const declared = Number(req.headers.get("content-length") ?? "0");
  if (declared > MAX_BODY_BYTES) throw new ServiceError(413, "too_large", `body: ${declared} bytes; the limit is ${MAX_BODY_BYTES}`);
  const text = await req.text();
  if (text.length > MAX_BODY_BYTES) throw new ServiceError(413, "too_large", `body: ${text.length} characters; the limit is ${MAX_BODY_BYTES}`);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw badRequest(`body: not valid JSON (${(e as Error).message})`);
  }
  const input = importPredictionsSchema.parse(raw);
  const imported = await importPredictionSet(db, actor, input);
  return new Response(JSON.stringify(imported), { status: 201, headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" } });
});
