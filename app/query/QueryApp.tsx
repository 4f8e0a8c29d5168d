"use client";
// The /query page: pick videos (or a whole project), type an expression, choose the model (a registered version —
// the promoted one preselected —, the built-in default or a custom remote server); the job's progress,
// partial tracks and masks stream over socket.io (/jobs namespace) onto the Konva player. A collection query ranks
// videos by how many objects matched. Results can be accepted into annotation tasks (admins) or exported.
import { useCallback, useEffect, useRef, useState } from "react";
import { io, type Socket } from "socket.io-client";
import type { JobResults, JobView, VideoResult } from "../../lib/services/inference-jobs";
import type { TrackSet } from "../../lib/tracks";
import { findChoice, modelChoices, type ChoiceValue, type ListedVersion } from "./model-choices";
import { colourFor, Player, type MaskMap } from "./Player";
import css from "./query.module.css";

export interface QueryAppProps {
  projects: Array<{ id: number; name: string }>;
  videos: Array<{ id: number; projectId: number; name: string; width: number; height: number; frameCount: number; fps: number }>;
  canAccept: boolean;
}

type Live = Record<number, { tracks?: TrackSet; masks: MaskMap; status?: string; error?: string }>;

async function api<T>(url: string, init?: RequestInit): Promise<T> {
  const res = await fetch(url, { ...init, headers: { "content-type": "application/json", ...(init?.headers ?? {}) } });
  const body = (await res.json().catch(() => null)) as (T & { error?: { message: string } }) | null;
  if (!res.ok) throw new Error(body?.error?.message ?? `${res.status} ${res.statusText}`);
  return body as T;
}

export default function QueryApp({ projects, videos, canAccept }: QueryAppProps) {
  const [projectId, setProjectId] = useState<number>(projects[0]?.id ?? 0);
  const [scope, setScope] = useState<"videos" | "project">("videos");
  const [picked, setPicked] = useState<number[]>(() => (videos[0] ? [videos[0].id] : []));
  const [expression, setExpression] = useState("");
  const [listed, setListed] = useState<ListedVersion[]>([]);
  const [choice, setChoice] = useState<ChoiceValue>("built-in");
  const choiceTouched = useRef(false);
  const [endpoint, setEndpoint] = useState("http://127.0.0.1:8000/v1");
  const [model, setModel] = useState("allenai/Molmo2-8B");
  const [withMasks, setWithMasks] = useState(true);
  const [job, setJob] = useState<JobView | null>(null);
  const [results, setResults] = useState<VideoResult[]>([]);
  const [live, setLive] = useState<Live>({});
  const [selected, setSelected] = useState<number | null>(null);
  const [progress, setProgress] = useState<{ value: number; stage: string }>({ value: 0, stage: "" });
  const [message, setMessage] = useState<{ kind: "error" | "info"; text: string } | null>(null);
  const [recent, setRecent] = useState<JobView[]>([]);
  const socket = useRef<Socket | null>(null);
  const jobId = job?.id ?? null;

  // The registry (GET /api/models): usable versions for the selector; the promoted one is preselected.
  useEffect(() => {
    void api<{ versions: ListedVersion[] }>("/api/models")
      .then((r) => {
        setListed(r.versions);
        if (!choiceTouched.current) setChoice(modelChoices(r.versions).initial);
      })
      .catch((err: unknown) => setMessage({ kind: "error", text: `model versions unavailable: ${(err as Error).message}` }));
  }, []);
  const choices = modelChoices(listed);
  const chosen = findChoice(choices, choice) ?? choices.builtinDefault;

  const loadRecent = useCallback(() => void api<{ jobs: JobView[] }>("/api/jobs?limit=10").then((r) => setRecent(r.jobs)).catch(() => {}), []);
  useEffect(loadRecent, [loadRecent]);

  const loadResults = useCallback(async (id: number) => {
    const r = await api<JobResults>(`/api/jobs/${id}/results`);
    setJob(r.job);
    setResults(r.videos);
    setSelected((s) => s ?? r.videos[0]?.videoId ?? null);
    if (r.job.status === "done" || r.job.status === "failed" || r.job.status === "cancelled") setProgress({ value: r.job.status === "done" ? 1 : r.job.progress, stage: r.job.status });
    if (r.job.status === "failed") setMessage({ kind: "error", text: `Job #${id} failed: ${r.job.error ?? "unknown error"}` });
  }, []);

  // One socket per page; (re)join the current job's room.
  useEffect(() => {
    const s = io("/jobs", { transports: ["websocket", "polling"] });
    socket.current = s;
    s.on("connect_error", (e) => setMessage({ kind: "error", text: `live updates unavailable: ${e.message}` }));
    return () => {
      s.close();
      socket.current = null;
    };
  }, []);

  useEffect(() => {
    const s = socket.current;
    if (!s || jobId === null) return;
    const join = () => s.emit("job:join", { jobId }, (r: { ok: boolean; error?: string }) => !r.ok && setMessage({ kind: "error", text: r.error ?? "cannot follow the job" }));
    if (s.connected) join();
    s.on("connect", join);
    const mine = (e: { jobId: number }) => e.jobId === jobId;
    const onProgress = (e: { jobId: number; progress: number; stage: string }) => mine(e) && setProgress({ value: e.progress, stage: e.stage });
    const onPartial = (e: { jobId: number; videoId: number; tracks?: TrackSet; masks?: { frame: number; masks: Array<{ objectId: string; rle: { size: [number, number]; counts: string } }> }; status?: string; error?: string }) => {
      if (!mine(e)) return;
      setSelected((sel) => sel ?? e.videoId);
      setLive((prev) => {
        const cur = prev[e.videoId] ?? { masks: {} };
        const next = { ...cur };
        if (e.tracks) next.tracks = e.tracks;
        if (e.masks) {
          const m: MaskMap = { ...cur.masks };
          for (const om of e.masks.masks) m[om.objectId] = { ...(m[om.objectId] ?? {}), [String(e.masks.frame)]: om.rle };
          next.masks = m;
        }
        if (e.status) next.status = e.status;
        if (e.error) next.error = e.error;
        return { ...prev, [e.videoId]: next };
      });
      if (e.status) void loadResults(jobId);
    };
    const onEnd = (e: { jobId: number; status: string; error: string | null }) => {
      if (!mine(e)) return;
      void loadResults(jobId);
      loadRecent();
      setMessage(e.status === "done" ? { kind: "info", text: `Job #${jobId} finished.` } : { kind: "error", text: `Job #${jobId} ${e.status}${e.error ? `: ${e.error}` : ""}` });
    };
    s.on("job:progress", onProgress);
    s.on("job:partial", onPartial);
    s.on("job:done", onEnd);
    s.on("job:error", onEnd);
    return () => {
      s.off("connect", join);
      s.off("job:progress", onProgress);
      s.off("job:partial", onPartial);
      s.off("job:done", onEnd);
      s.off("job:error", onEnd);
      s.emit("job:leave", { jobId });
    };
  }, [jobId, loadResults, loadRecent]);

  // Slow safety net: poll the job while it runs (socket events are the fast path).
  useEffect(() => {
    if (jobId === null || !job || job.status === "done" || job.status === "failed" || job.status === "cancelled") return;
    const t = setInterval(() => void loadResults(jobId).catch(() => {}), 3000);
    return () => clearInterval(t);
  }, [jobId, job, loadResults]);

  async function start(e: React.FormEvent) {
    e.preventDefault();
    setMessage(null);
    setLive({});
    setResults([]);
    setSelected(null);
    setProgress({ value: 0, stage: "queued" });
    try {
      const body = {
        expression,
        ...chosen.request,
        masks: withMasks,
        ...(scope === "project" ? { projectId } : { videoIds: picked }),
        ...(chosen.value === "remote" ? { remote: { endpoint, model } } : {}),
      };
      const r = await api<{ job: JobView }>("/api/query", { method: "POST", body: JSON.stringify(body) });
      setJob(r.job);
      setResults([]);
      loadRecent();
    } catch (err) {
      setMessage({ kind: "error", text: (err as Error).message });
    }
  }

  async function cancel() {
    if (jobId === null) return;
    try {
      setJob((await api<{ job: JobView }>(`/api/jobs/${jobId}/cancel`, { method: "POST", body: "{}" })).job);
    } catch (err) {
      setMessage({ kind: "error", text: (err as Error).message });
    }
  }

  async function accept(videoId: number) {
    if (jobId === null) return;
    try {
      const r = await api<{ tasks: unknown[]; skipped: number }>(`/api/jobs/${jobId}/accept`, { method: "POST", body: JSON.stringify({ videoIds: [videoId] }) });
      setMessage({ kind: "info", text: `Created ${r.tasks.length} annotation task(s)${r.skipped ? `; ${r.skipped} object(s) already had tasks` : ""}.` });
    } catch (err) {
      setMessage({ kind: "error", text: (err as Error).message });
    }
  }

  const projectVideos = videos.filter((v) => v.projectId === projectId);
  const running = job !== null && (job.status === "queued" || job.status === "running");
  const current = results.find((r) => r.videoId === selected);
  const liveCur = selected !== null ? live[selected] : undefined;
  // Streamed state wins while the job runs; the stored result once the video is done.
  const tracks: TrackSet | undefined = current && current.status === "done" ? current.tracks : liveCur?.tracks ?? current?.tracks;
  const masks: MaskMap = current && current.status === "done" && Object.keys(current.masks).length ? current.masks : liveCur?.masks ?? {};
  const playerVideo = videos.find((v) => v.id === selected);
  const finished = job !== null && !running;
  const statusOf = (videoId: number) => {
    const s = results.find((r) => r.videoId === videoId)?.status ?? live[videoId]?.status ?? "pending";
    // A job that stopped (failed / cancelled) before reaching a video never ran it.
    return s === "pending" && finished ? `not run (job ${job.status})` : s;
  };
  const rows = results.length ? results : (job?.videos ?? []).map((v) => ({ videoId: v.videoId, name: v.name, status: v.status, error: v.error, tracks: live[v.videoId]?.tracks }));

  return (
    <div className={css.layout}>
      <form className={css.panel} onSubmit={start} aria-label="query">
        <label>
          Project
          <select value={projectId} onChange={(e) => setProjectId(Number(e.target.value))}>
            {projects.map((p) => <option key={p.id} value={p.id}>{p.name}</option>)}
          </select>
        </label>
        <div className={css.row}>
          <label className={css.row}><input type="radio" checked={scope === "videos"} onChange={() => setScope("videos")} /> chosen videos</label>
          <label className={css.row}><input type="radio" checked={scope === "project"} onChange={() => setScope("project")} /> whole project</label>
        </div>
        {scope === "videos" && (
          <div className={css.videoList}>
            {projectVideos.length === 0 && <p className="muted">No ready videos in this project.</p>}
            {projectVideos.map((v) => (
              <label key={v.id}>
                <input type="checkbox" checked={picked.includes(v.id)} onChange={(e) => setPicked((p) => (e.target.checked ? [...p, v.id] : p.filter((x) => x !== v.id)))} />
                {v.name} <span className="muted">{v.frameCount} fr</span>
              </label>
            ))}
          </div>
        )}
        <label>
          Expression
          <input type="text" value={expression} onChange={(e) => setExpression(e.target.value)} placeholder="e.g. the red squares" required />
        </label>
        <label>
          Runtime / version
          <select value={chosen.value} onChange={(e) => { choiceTouched.current = true; setChoice(e.target.value as ChoiceValue); }}>
            {choices.versions.length > 0 && (
              <optgroup label="Registered versions">
                {choices.versions.map((c) => <option key={c.value} value={c.value}>{c.label}</option>)}
              </optgroup>
            )}
            <optgroup label={choices.versions.length ? "Other" : "No versions registered"}>
              <option value={choices.builtinDefault.value}>{choices.builtinDefault.label}</option>
              <option value={choices.customRemote.value}>{choices.customRemote.label}</option>
            </optgroup>
          </select>
        </label>
        <span className={`muted ${css.detail}`} data-testid="model-detail">{chosen.detail}</span>
        {chosen.value === "remote" && (
          <>
            <label>Endpoint <input type="url" value={endpoint} onChange={(e) => setEndpoint(e.target.value)} required /></label>
            <label>Model <input type="text" value={model} onChange={(e) => setModel(e.target.value)} required /></label>
          </>
        )}
        <label className={css.row}><input type="checkbox" checked={withMasks} onChange={(e) => setWithMasks(e.target.checked)} /> SAM2 masks from each object&apos;s first point</label>
        <div className={css.row}>
          <button className="primary" type="submit" disabled={running || !expression.trim() || (scope === "videos" && picked.length === 0)}>Run query</button>
          {running && <button type="button" onClick={() => void cancel()}>Cancel</button>}
        </div>
        {recent.length > 0 && (
          <table className={css.jobs}>
            <tbody>
              {recent.map((j) => (
                <tr key={j.id}>
                  <td><a href="#" onClick={(e) => { e.preventDefault(); setLive({}); setSelected(null); setMessage(null); void loadResults(j.id); }}>#{j.id}</a></td>
                  <td>{j.expression}{j.modelVersion ? <span className="muted"> · {j.modelVersion}</span> : null}</td>
                  <td><span className={`badge badge-${j.status}`}>{j.status}</span></td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </form>

      <section>
        {message && <p className={message.kind === "error" ? "error" : "muted"} role={message.kind === "error" ? "alert" : "status"}>{message.text}</p>}
        {job && (
          <div className="card">
            <div className={css.row}>
              <strong>Job #{job.id}</strong> <span>&ldquo;{job.expression}&rdquo;</span> <span className={`badge badge-${job.status}`}>{job.status}</span>
              <span className="muted">{job.modelVersion ? `model ${job.modelVersion} (${job.runtime})` : job.runtime} · {progress.stage || job.stage}</span>
            </div>
            <div className={css.progress} aria-label="progress"><div style={{ width: `${Math.round((progress.value || job.progress) * 100)}%` }} /></div>
            <table className={css.ranking}>
              <thead><tr><th>Video</th><th className="num">Objects</th><th>Status</th><th /></tr></thead>
              <tbody>
                {rows.map((r) => (
                  <tr key={r.videoId} className={r.videoId === selected ? css.selected : undefined} onClick={() => setSelected(r.videoId)}>
                    <td>{r.name}</td>
                    <td className="num">{r.tracks?.objects.length ?? 0}</td>
                    <td>{statusOf(r.videoId)}{r.error ? <span className="error"> — {r.error}</span> : null}</td>
                    <td>
                      {r.status === "done" && (
                        <span className={css.row}>
                          <a href={`/api/jobs/${job.id}/export?videoId=${r.videoId}&format=trackany`}>TrackAny</a>
                          <a href={`/api/jobs/${job.id}/export?videoId=${r.videoId}&format=molmo2`}>Molmo2</a>
                          {canAccept && job.status === "done" && <button type="button" onClick={(e) => { e.stopPropagation(); void accept(r.videoId); }}>Accept as tasks</button>}
                        </span>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        {tracks && playerVideo && selected !== null && (
          <div className="card">
            <div className={css.legend}>
              <strong>{tracks.objects.length} object(s)</strong>
              {tracks.objects.map((o, i) => <span key={o.objectId}><span className={css.swatch} style={{ background: colourFor(i) }} />object {o.objectId} · {o.keyframes.length} keyframes</span>)}
              {current?.maskEngine ? <span className="muted">masks: {current.maskEngine}</span> : null}
              {current?.engine ? <span className="muted">tracks: {current.engine}</span> : null}
            </div>
            <Player videoId={selected} tracks={tracks} masks={masks} width={Math.min(760, playerVideo.width * 2)} />
          </div>
        )}
        {!job && <p className="muted">Choose videos, type what to look for, and run the query. Tracks and masks appear here as the model answers.</p>}
      </section>
    </div>
  );
}
