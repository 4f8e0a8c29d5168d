// /review — submitted tasks, oldest first; accept, or reject with a comment and flagged frames.
import { redirect } from "next/navigation";
import { getDb } from "../../lib/db";
import { parseFrameList } from "../../lib/services/schemas";
import { reviewQueue, reviewTask } from "../../lib/services/tasks";
import { ServiceError } from "../../lib/services/errors";
import { Denied, Shell } from "../_components/shell";
import { actionActor, pageAuth } from "../_server/page-auth";

export const dynamic = "force-dynamic";

async function review(formData: FormData): Promise<void> {
  "use server";
  const actor = await actionActor(["reviewer", "admin"]);
  const taskId = Number(formData.get("taskId"));
  const decision = formData.get("decision") === "accepted" ? "accepted" : "rejected";
  let message = "";
  try {
    const flaggedFrames = parseFrameList(String(formData.get("flagged") ?? ""));
    await reviewTask(getDb(), actor, taskId, {
      decision, comment: String(formData.get("comment") ?? ""), flaggedFrames, expectedVersion: Number(formData.get("version")),
    });
  } catch (err) {
    message = err instanceof ServiceError || err instanceof Error ? err.message : "review failed";
  }
  redirect(message ? `/review?error=${encodeURIComponent(`Task #${taskId}: ${message}`)}` : `/review?done=${taskId}`);
}

export default async function ReviewPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const auth = await pageAuth("/review", ["reviewer", "admin"]);
  if (!auth.ok) return <Shell actor={auth.actor} title="Review"><Denied message={auth.message} /></Shell>;
  const sp = await searchParams;
  const tasks = await reviewQueue(getDb());
  return (
    <Shell actor={auth.actor} title={`Review queue (${tasks.length})`}>
      {typeof sp.error === "string" && <p className="error" role="alert">{sp.error}</p>}
      {typeof sp.done === "string" && <p className="muted">Task #{sp.done} reviewed.</p>}
      {tasks.length === 0 ? <p className="muted">Nothing is waiting for review.</p> : (
        <table>
          <thead><tr><th>Task</th><th>Video</th><th>Expression · object</th><th>Annotator</th><th className="num">Keyframes</th><th>Submitted</th><th>Decision</th></tr></thead>
          <tbody>
            {tasks.map((t) => (
              <tr key={t.id}>
                <td><a href={`/tasks/${t.id}?mode=review`}>#{t.id}</a></td>
                <td>{t.videoName}</td>
                <td>“{t.expressionText}” · {t.objectLabel || `object ${t.objectKey}`}</td>
                <td>{t.assignee?.displayName ?? "—"}</td>
                <td className="num">{t.keyframeCount}</td>
                <td>{t.submittedAt?.replace("T", " ").slice(0, 16)}</td>
                <td>
                  <form action={review} className="inline">
                    <input type="hidden" name="taskId" value={t.id} />
                    <input type="hidden" name="version" value={t.version} />
                    <input name="comment" placeholder="comment" aria-label="comment" />
                    <input name="flagged" placeholder="frames e.g. 12, 40-45" aria-label="flagged frames" size={14} />
                    <button className="primary" name="decision" value="accepted" type="submit">Accept</button>
                    <button name="decision" value="rejected" type="submit">Reject</button>
                  </form>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Shell>
  );
}
