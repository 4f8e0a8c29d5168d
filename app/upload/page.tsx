// /upload (admin) — choose a video, check it in the browser (ffmpeg.wasm), then stream it to /api/videos/upload.
import { getDb } from "../../lib/db";
import { listProjects } from "../../lib/services/catalog";
import { Denied, Shell } from "../_components/shell";
import { pageAuth } from "../_server/page-auth";
import { UploadProbe } from "./UploadProbe";

export const dynamic = "force-dynamic";

export default async function UploadPage() {
  const auth = await pageAuth("/upload", ["admin"]);
  if (!auth.ok) return <Shell actor={auth.actor} title="Upload a video"><Denied message={auth.message} /></Shell>;
  const projects = await listProjects(getDb());
  return (
    <Shell actor={auth.actor} title="Upload a video">
      <p className="muted">The file is checked in your browser first (decodable, duration, size, codec, first frame); nothing is sent until it passes.</p>
      {projects.length === 0 ? <p className="error">Create a project on the admin page first.</p> : <UploadProbe projects={projects.map((p) => ({ id: p.id, name: p.name }))} />}
    </Shell>
  );
}
