"use client";
// Upload with a browser-side check first: ffmpeg.wasm probes the chosen file (decodable? duration, size, codec)
// and shows its first frame at once; an unusable file is refused before any byte is sent.
import { useState } from "react";
import { probeInBrowser, type BrowserProbe } from "./probe";

type Phase = { kind: "idle" } | { kind: "probing"; name: string } | { kind: "probed"; probe: BrowserProbe; file: File } | { kind: "uploading"; probe: BrowserProbe; file: File; sent: number } | { kind: "done"; message: string };

const mb = (n: number) => (n < 1e6 ? `${(n / 1e3).toFixed(1)} kB` : `${(n / 1e6).toFixed(n < 1e7 ? 2 : 1)} MB`);

export function UploadProbe({ projects }: { projects: { id: number; name: string }[] }) {
  const [phase, setPhase] = useState<Phase>({ kind: "idle" });
  const [projectId, setProjectId] = useState(projects[0]?.id ?? 0);
  const [error, setError] = useState<string | null>(null);

  async function choose(file: File | undefined) {
    setError(null);
    if (!file) return setPhase({ kind: "idle" });
    setPhase({ kind: "probing", name: file.name });
    try {
      setPhase({ kind: "probed", probe: await probeInBrowser(file), file });
    } catch (err) {
      setPhase({ kind: "idle" });
      setError(`Could not run the in-browser probe: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  function upload(probe: BrowserProbe, file: File) {
    setError(null);
    setPhase({ kind: "uploading", probe, file, sent: 0 });
    const xhr = new XMLHttpRequest();
    xhr.open("POST", `/api/videos/upload?${new URLSearchParams({ projectId: String(projectId), name: file.name })}`);
    xhr.upload.onprogress = (e) => setPhase({ kind: "uploading", probe, file, sent: e.loaded });
    xhr.onload = () => {
      let body: { video?: { id: number; name: string; frameCount: number }; error?: { message: string } } = {};
      try {
        body = JSON.parse(xhr.responseText) as typeof body;
      } catch {}
      if (xhr.status >= 200 && xhr.status < 300 && body.video) {
        setPhase({ kind: "done", message: `Added ${body.video.name} (video #${body.video.id}): ${body.video.frameCount} frames indexed.` });
      } else {
        setPhase({ kind: "probed", probe, file });
        setError(body.error?.message ?? `Upload failed (HTTP ${xhr.status})`);
      }
    };
    xhr.onerror = () => {
      setPhase({ kind: "probed", probe, file });
      setError("Upload failed: network error");
    };
    xhr.send(file);
  }

  const probe = phase.kind === "probed" || phase.kind === "uploading" ? phase.probe : null;
  const ok = probe !== null && probe.problems.length === 0;
  return (
    <div className="card" data-testid="upload">
      <div className="inline">
        <label>Project{" "}
          <select value={projectId} onChange={(e) => setProjectId(Number(e.target.value))} aria-label="project">
            {projects.map((p) => <option key={p.id} value={p.id}>{p.name}</option>)}
          </select>
        </label>
        <input type="file" accept="video/*,.mp4,.mov,.webm,.mkv,.avi" aria-label="video file" data-testid="file" onChange={(e) => void choose(e.target.files?.[0])} />
      </div>
      {phase.kind === "probing" && <p className="muted" data-testid="probing">Checking {phase.name} in your browser (ffmpeg.wasm)…</p>}
      {probe && (
        <div style={{ display: "flex", flexWrap: "wrap", alignItems: "flex-start", marginTop: "1rem", gap: "1.2rem" }} data-testid="probe" data-ok={ok ? "1" : "0"}>
          {probe.firstFrameUrl
            ? <img src={probe.firstFrameUrl} alt={`first frame of ${probe.fileName}`} data-testid="first-frame" style={{ maxWidth: 360, maxHeight: 240, border: "1px solid var(--line)", borderRadius: 4 }} />
            : <div style={{ width: 240, height: 135, display: "grid", placeItems: "center", background: "#eee", borderRadius: 4 }} className="muted">no frame</div>}
          <table style={{ width: "auto" }}>
            <tbody>
              <tr><th>File</th><td>{probe.fileName}</td></tr>
              <tr><th>Size</th><td data-testid="size">{mb(probe.sizeBytes)}</td></tr>
              <tr><th>Decodable</th><td data-testid="decodable">{probe.decodable ? "yes" : "no"}</td></tr>
              <tr><th>Codec</th><td data-testid="codec">{probe.codec ?? "—"}{probe.container ? ` (${probe.container})` : ""}</td></tr>
              <tr><th>Resolution</th><td>{probe.width && probe.height ? `${probe.width}×${probe.height}` : "—"}</td></tr>
              <tr><th>Frame rate</th><td>{probe.fps ? `${probe.fps} fps` : "—"}</td></tr>
              <tr><th>Duration</th><td data-testid="duration">{probe.durationSec !== null ? `${probe.durationSec.toFixed(2)} s` : "—"}</td></tr>
              <tr><th>Checked in</th><td>{probe.probeMs} ms</td></tr>
            </tbody>
          </table>
        </div>
      )}
      {probe && !ok && <p className="error" role="alert" data-testid="refused">Refused before upload: {probe.problems.join("; ")}.</p>}
      {phase.kind === "probed" && ok && <div style={{ marginTop: "1rem" }}><button className="primary" type="button" onClick={() => upload(phase.probe, phase.file)} data-testid="send">Upload {phase.probe.fileName}</button></div>}
      {phase.kind === "uploading" && <p className="muted">Uploading… {mb(phase.sent)} of {mb(phase.file.size)} sent; the server then indexes every frame.</p>}
      {phase.kind === "done" && <p data-testid="uploaded">{phase.message} <a href="/admin">Back to admin</a></p>}
      {error && <p className="error" role="alert">{error}</p>}
    </div>
  );
}
