// /tasks/:id — the annotator (client-only Konva component); ?mode=review opens it read-only for reviewers.
import { Denied, Shell } from "../../_components/shell";
import { pageAuth } from "../../_server/page-auth";
import { AnnotatorLoader } from "../../_annotator/AnnotatorLoader";

export const dynamic = "force-dynamic";

export default async function TaskPage({ params, searchParams }: { params: Promise<{ id: string }>; searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const { id } = await params;
  const sp = await searchParams;
  const auth = await pageAuth(`/tasks/${id}${sp.mode === "review" ? "?mode=review" : ""}`);
  if (!/^\d+$/.test(id) || Number(id) <= 0) return <Shell actor={auth.actor} title="Task"><Denied message={`"${id}" is not a task number.`} /></Shell>;
  if (!auth.ok) return <Shell actor={auth.actor} title="Task"><Denied message={auth.message} /></Shell>;
  // Reviewers only ever review; annotators only ever annotate.
  const mode = auth.actor.role === "reviewer" || (sp.mode === "review" && auth.actor.role !== "annotator") ? "review" : "annotate";
  return <AnnotatorLoader taskId={Number(id)} mode={mode} actor={auth.actor} />;
}
