"use client";
// Video upload for admins: streams the file as the raw request body to /api/videos/upload (no multipart
// buffering on the server), then reloads the page so the new video shows in the tables.
import { useState } from "react";

export function UploadForm({ projects }: { projects: { id: number; name: string }[] }) {
  const [state, setState] = useState<{ busy: boolean; message: string; error: boolean }>({ busy: false, message: "", error: false });

  async function onSubmit(e: React.FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    const file = form.get("file");
    if (!(file instanceof File) || file.size === 0) return setState({ busy: false, message: "Choose a video file first.", error: true });
    setState({ busy: true, message: `Uploading ${file.name} (${(file.size / 1e6).toFixed(1)} MB) and indexing every frame…`, error: false });
    const q = new URLSearchParams({ projectId: String(form.get("projectId")), name: file.name });
    try {
      const res = await fetch(`/api/videos/upload?${q}`, { method: "POST", body: file, credentials: "same-origin" });
      const body = (await res.json()) as { video?: { name: string; frameCount: number }; error?: { message: string } };
      if (!res.ok || !body.video) return setState({ busy: false, message: body.error?.message ?? `Upload failed (HTTP ${res.status})`, error: true });
      setState({ busy: false, message: `Added ${body.video.name}: ${body.video.frameCount} frames.`, error: false });
      window.location.reload();
    } catch (err) {
      setState({ busy: false, message: `Upload failed: ${err instanceof Error ? err.message : String(err)}`, error: true });
    }
  }

  return (
    <form onSubmit={onSubmit} className="card inline">
      <strong>Upload a video</strong>
      <select name="projectId" aria-label="project">{projects.map((p) => <option key={p.id} value={p.id}>{p.name}</option>)}</select>
      <input type="file" name="file" accept="video/*,.mp4,.mov,.webm,.mkv,.avi" aria-label="video file" />
      <button type="submit" disabled={state.busy}>{state.busy ? "Uploading…" : "Upload"}</button>
      {state.message && <span className={state.error ? "error" : "muted"} role={state.error ? "alert" : "status"}>{state.message}</span>}
    </form>
  );
}
