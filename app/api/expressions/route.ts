// GET /api/expressions?videoId= ; POST {videoId, text, objects[]} (admin).
import { createExpression, listExpressions } from "../../../lib/services/catalog";
import { expressionBody } from "../../../lib/services/schemas";
import { ANY_ROLE } from "../../_server/auth";
import { body, intParam, json, route } from "../../_server/route";

export const GET = route(ANY_ROLE, async ({ req, db }) => ({ expressions: await listExpressions(db, intParam(new URL(req.url).searchParams.get("videoId"), "videoId")) }));
export const POST = route(["admin"], async ({ req, db, actor }) => json({ expression: await createExpression(db, actor, await body(req, expressionBody)) }, 201));
