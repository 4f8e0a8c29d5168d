// PATCH /api/projects/:id {name?, description?}; DELETE (admin; cascades to videos and their tasks).
import { deleteProject, updateProject } from "../../../../lib/services/catalog";
import { projectPatch } from "../../../../lib/services/schemas";
import { body, intParam, route } from "../../../_server/route";

export const PATCH = route<{ id: string }>(["admin"], async ({ req, db, actor, params }) => ({ project: await updateProject(db, actor, intParam(params.id, "id"), await body(req, projectPatch)) }));
export const DELETE = route<{ id: string }>(["admin"], async ({ db, actor, params }) => {
  await deleteProject(db, actor, intParam(params.id, "id"));
  return { ok: true };
});
