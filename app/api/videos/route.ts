// GET /api/videos?projectId= — videos with their metadata.
import { listVideos } from "../../../lib/services/catalog";
import { ANY_ROLE } from "../../_server/auth";
import { optionalIntParam, route } from "../../_server/route";

export const GET = route(ANY_ROLE, async ({ req, db }) => ({ videos: await listVideos(db, optionalIntParam(new URL(req.url).searchParams.get("projectId"), "projectId")) }));
