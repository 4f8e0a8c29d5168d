// / — the signed-in user's tasks and the "next task" entry point of the annotation queue.
import { getDb } from "../lib/db";
import { listMyTasks } from "../lib/services/tasks";
import { Shell, StatusBadge } from "./_components/shell";
import { pageAuth } from "./_server/page-auth";

export const dynamic = "force-dynamic";

export default async function Home({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const auth = await pageAuth("/");
  const actor = auth.actor!;
  const sp = await searchParams;
  const tasks = await listMyTasks(getDb(), actor);
  const open = tasks.filter((t) => t.status !== "accepted");
  const done = tasks.filter((t) => t.status === "accepted");
  return (
    <Shell actor={actor} title="My tasks">
      {(actor.role === "annotator" || actor.role === "admin") && (
        <div className="card inline">
          <a href="/next"><button className="primary" type="button">Take next task</button></a>
          <span className="muted">Opens your task in progress, a rejected one to fix, or claims a new one.</span>
          {sp.empty ? <strong>The queue is empty.</strong> : null}
        </div>
      )}
      {actor.role === "reviewer" && <p><a href="/review">Go to the review queue →</a></p>}
      <TaskTable title={`Open (${open.length})`} tasks={open} />
      <TaskTable title={`Accepted (${done.length})`} tasks={done} />
    </Shell>
  );
}

function TaskTable({ title, tasks }: { title: string; tasks: Awaited<ReturnType<typeof listMyTasks>> }) {
  return (
    <>
      <h2>{title}</h2>
      {tasks.length === 0 ? <p className="muted">None.</p> : (
        <table>
          <thead><tr><th>Task</th><th>Video</th><th>Expression · object</th><th>Status</th><th className="num">Keyframes</th><th>Review</th></tr></thead>
          <tbody>
            {tasks.map((t) => (
              <tr key={t.id}>
                <td><a href={`/tasks/${t.id}`}>#{t.id}</a></td>
                <td>{t.videoName}</td>
                <td>“{t.expressionText}” · {t.objectLabel || `object ${t.objectKey}`}</td>
                <td><StatusBadge status={t.status} /></td>
                <td className="num">{t.keyframeCount}</td>
                <td>{t.lastReview ? `${t.lastReview.decision}${t.lastReview.comment ? `: ${t.lastReview.comment}` : ""}${t.lastReview.flaggedFrames.length ? ` (frames ${t.lastReview.flaggedFrames.join(", ")})` : ""}` : ""}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
