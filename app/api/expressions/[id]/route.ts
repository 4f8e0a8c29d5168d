// PATCH /api/expressions/:id {text}; DELETE (admin).
import { deleteExpression, updateExpression } from "../../../../lib/services/catalog";
import { expressionPatch } from "../../../../lib/services/schemas";
import { body, intParam, route } from "../../../_server/route";

export const PATCH = route<{ id: string }>(["admin"], async ({ req, db, actor, params }) => ({ expression: await updateExpression(db, actor, intParam(params.id, "id"), (await body(req, expressionPatch)).text) }));
export const DELETE = route<{ id: string }>(["admin"], async ({ db, actor, params }) => {
  await deleteExpression(db, actor, intParam(params.id, "id"));
  return { ok: true };
});
