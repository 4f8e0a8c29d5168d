// /admin — progress per video and per annotator, videos, folder import, task assignment and users.
import { redirect } from "next/navigation";
import { getDb } from "../../lib/db";
import { listUsers, listVideos } from "../../lib/services/catalog";
import { progress } from "../../lib/services/progress";
import { assignTask, listTasks } from "../../lib/services/tasks";
import { importFolderVideos } from "../../lib/services/videos";
import { TASK_STATUSES } from "../../lib/services/workflow";
import { Denied, Shell, StatusBadge } from "../_components/shell";
import { actionActor, pageAuth } from "../_server/page-auth";
import { importRoot, maxUploadBytes, videoStoreDir } from "../_server/storage";
import { UploadForm } from "./upload-form";

export const dynamic = "force-dynamic";

async function assign(formData: FormData): Promise<void> {
  "use server";
  const actor = await actionActor(["admin"]);
  const raw = String(formData.get("assigneeId") ?? "");
  let msg = "";
  try {
    await assignTask(getDb(), actor, Number(formData.get("taskId")), raw === "" ? null : Number(raw), Number(formData.get("version")));
  } catch (err) {
    msg = err instanceof Error ? err.message : "assignment failed";
  }
  redirect(msg ? `/admin?error=${encodeURIComponent(msg)}` : "/admin");
}

async function importFolderAction(formData: FormData): Promise<void> {
  "use server";
  const actor = await actionActor(["admin"]);
  let msg: string;
  try {
    const r = await importFolderVideos(getDb(), actor, { projectId: Number(formData.get("projectId")), folder: String(formData.get("folder") ?? ""), importRoot: importRoot(), storeDir: videoStoreDir(), maxBytes: maxUploadBytes() });
    const failed = r.filter((x) => x.error).map((x) => `${x.file}: ${x.error!.message}`);
    msg = `Imported ${r.length - failed.length} video(s).${failed.length ? ` Failed: ${failed.join("; ")}` : ""}`;
  } catch (err) {
    msg = err instanceof Error ? err.message : "import failed";
  }
  redirect(`/admin?notice=${encodeURIComponent(msg)}`);
}

export default async function AdminPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const auth = await pageAuth("/admin", ["admin"]);
  if (!auth.ok) return <Shell actor={auth.actor} title="Admin"><Denied message={auth.message} /></Shell>;
  const sp = await searchParams;
  const db = getDb();
  const [p, videos, users, tasks, projects] = await Promise.all([progress(db), listVideos(db), listUsers(db, auth.actor), listTasks(db, {}), db.project.findMany({ orderBy: { id: "asc" } })]);
  const annotators = users.filter((u) => u.role === "annotator" && !u.disabled);
  return (
    <Shell actor={auth.actor} title="Admin">
      {typeof sp.error === "string" && <p className="error" role="alert">{sp.error}</p>}
      {typeof sp.notice === "string" && <p className="card">{sp.notice}</p>}
      <h2>Progress per video</h2>
      <table>
        <thead><tr><th>Video</th><th>Project</th><th className="num">Frames</th>{TASK_STATUSES.map((s) => <th key={s} className="num">{s.replace("_", " ")}</th>)}<th className="num">Total</th><th className="num">Keyframes</th></tr></thead>
        <tbody>
          {p.videos.map((v) => (
            <tr key={v.videoId}><td>{v.videoName}</td><td>{v.projectName}</td><td className="num">{v.frameCount}</td>{TASK_STATUSES.map((s) => <td key={s} className="num">{v.counts[s]}</td>)}<td className="num">{v.counts.total}</td><td className="num">{v.keyframes}</td></tr>
          ))}
        </tbody>
      </table>
      <h2>Progress per annotator</h2>
      <table>
        <thead><tr><th>Annotator</th>{TASK_STATUSES.map((s) => <th key={s} className="num">{s.replace("_", " ")}</th>)}<th className="num">Rejections</th><th className="num">Keyframes authored</th></tr></thead>
        <tbody>
          {p.annotators.map((a) => (
            <tr key={a.userId}><td>{a.displayName}</td>{TASK_STATUSES.map((s) => <td key={s} className="num">{a.counts[s]}</td>)}<td className="num">{a.rejections}</td><td className="num">{a.keyframesAuthored}</td></tr>
          ))}
        </tbody>
      </table>
      <h2>Videos</h2>
      <table>
        <thead><tr><th>Id</th><th>Name</th><th>Codec</th><th>Size</th><th className="num">FPS</th><th className="num">Frames</th><th className="num">Expressions</th><th className="num">Tasks</th><th>Status</th></tr></thead>
        <tbody>
          {videos.map((v) => (
            <tr key={v.id}><td>{v.id}</td><td>{v.name}</td><td>{v.codec}</td><td>{v.width}×{v.height}</td><td className="num">{v.fps.toFixed(2)}</td><td className="num">{v.frameCount}</td><td className="num">{v.expressionCount}</td><td className="num">{v.taskCount}</td><td>{v.status}</td></tr>
          ))}
        </tbody>
      </table>
      <UploadForm projects={projects.map((pr) => ({ id: pr.id, name: pr.name }))} />
      <p className="muted"><a href="/upload">Upload with an in-browser check first (decodable, duration, codec, first frame) →</a></p>
      <form action={importFolderAction} className="card inline">
        <strong>Import a server folder</strong>
        <select name="projectId" aria-label="project">{projects.map((pr) => <option key={pr.id} value={pr.id}>{pr.name}</option>)}</select>
        <input name="folder" placeholder="folder under the import root" aria-label="folder" required />
        <button type="submit">Import</button>
        <span className="muted">Folders are read from {importRoot()} (GROUNDTRACK_IMPORT_ROOT).</span>
      </form>
      <h2>Tasks</h2>
      <table>
        <thead><tr><th>Task</th><th>Video</th><th>Expression · object</th><th>Status</th><th>Assignee</th></tr></thead>
        <tbody>
          {tasks.map((t) => (
            <tr key={t.id}>
              <td><a href={`/tasks/${t.id}`}>#{t.id}</a></td><td>{t.videoName}</td><td>“{t.expressionText}” · {t.objectLabel || `object ${t.objectKey}`}</td><td><StatusBadge status={t.status} /></td>
              <td>
                <form action={assign} className="inline">
                  <input type="hidden" name="taskId" value={t.id} />
                  <input type="hidden" name="version" value={t.version} />
                  <select name="assigneeId" defaultValue={t.assignee?.id ?? ""} aria-label={`assignee of task ${t.id}`}>
                    <option value="">unassigned</option>
                    {annotators.map((u) => <option key={u.id} value={u.id}>{u.displayName}</option>)}
                  </select>
                  <button type="submit" disabled={t.status === "accepted"}>Assign</button>
                </form>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <h2>Users</h2>
      <table>
        <thead><tr><th>User</th><th>Role</th><th>Last login</th></tr></thead>
        <tbody>{users.map((u) => <tr key={u.id}><td>{u.displayName} <span className="muted">({u.username})</span></td><td>{u.role}</td><td>{u.lastLoginAt?.replace("T", " ").slice(0, 16) ?? "never"}</td></tr>)}</tbody>
      </table>
    </Shell>
  );
}
