// GET /api/videos/:id; PATCH {name} (admin); DELETE (admin: rows, then the stored file).
import { rm } from "node:fs/promises";
import { deleteVideo, getVideo, renameVideo } from "../../../../lib/services/catalog";
import { videoPatch } from "../../../../lib/services/schemas";
import { ANY_ROLE } from "../../../_server/auth";
import { body, intParam, route } from "../../../_server/route";

export const GET = route<{ id: string }>(ANY_ROLE, async ({ db, params }) => ({ video: await getVideo(db, intParam(params.id, "id")) }));
export const PATCH = route<{ id: string }>(["admin"], async ({ req, db, actor, params }) => ({ video: await renameVideo(db, actor, intParam(params.id, "id"), (await body(req, videoPatch)).name) }));
export const DELETE = route<{ id: string }>(["admin"], async ({ db, actor, params }) => {
  const file = await deleteVideo(db, actor, intParam(params.id, "id"));
  await rm(file, { force: true });
  return { ok: true };
});
