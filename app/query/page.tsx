// /query — analysts ask "where are <expression> in this video / these videos / this project?" and watch point
// tracks and masks stream in; accept results into annotation tasks or export them.
import { getDb } from "../../lib/db";
import { listProjects, listVideos } from "../../lib/services/catalog";
import { ANALYST_ROLES } from "../../lib/services/inference-jobs";
import { Denied, Shell } from "../_components/shell";
import { pageAuth } from "../_server/page-auth";
import { QueryLoader } from "./QueryLoader";

export const dynamic = "force-dynamic";

export default async function QueryPage() {
  const auth = await pageAuth("/query", ANALYST_ROLES);
  if (!auth.ok) return <Shell actor={auth.actor} title="Query"><Denied message={auth.message} /></Shell>;
  const db = getDb();
  const projects = await listProjects(db);
  const videos = (await listVideos(db)).filter((v) => v.status === "ready");
  return (
    <Shell actor={auth.actor} title="Query a model">
      <QueryLoader
        projects={projects.map((p) => ({ id: p.id, name: p.name }))}
        videos={videos.map((v) => ({ id: v.id, projectId: v.projectId, name: v.name, width: v.width, height: v.height, frameCount: v.frameCount, fps: v.fps }))}
        canAccept={auth.actor.role === "admin"}
      />
    </Shell>
  );
}
