"use client";
// The TrackAny annotator: extend a seed point into a frame-exact track. Loads the task, its video's frame-exact
// index and the other objects' tracks, then edits the target's keyframes with undo/redo, debounced autosave
// under optimistic concurrency, live updates and presence over socket.io. Review mode is the same view, read-only,
// with flagging and accept / reject / reopen.
import { useCallback, useEffect, useMemo, useReducer, useRef, useState } from "react";
import type { Actor } from "../../lib/auth/roles";
import { ContextTracks, type ContextTrack } from "../../lib/annotator/context";
import { Debouncer } from "../../lib/annotator/debounce";
import {
  discardStashed, initialDocument, onNewerState, onSaved, pendingChanges, reapplyStashed, toTrackKeyframes,
  type DocumentState, type ServerTrack,
} from "../../lib/annotator/document";
import type { FrameCache } from "../../lib/annotator/frame-cache";
import { EditHistory } from "../../lib/annotator/history";
import { actionForKey, type AnnotatorAction } from "../../lib/annotator/keymap";
import { bufferRuns, formatTime, frameAtPlayback, frameTime, visibilityRuns } from "../../lib/annotator/timeline";
import { clampToImage, fitView, type Size, type View } from "../../lib/annotator/viewport";
import { editAt, keyframeAt, nextKeyframe, previousKeyframe, removeKeyframe, setKeyframe, TrackSampler, type Keyframe, type PointState } from "../../lib/tracks";
import { api, ApiError, type TaskObservations, type TaskSummary } from "../_client/api";
import { LiveConnection, type LiveTrack, type PresenceEntry } from "../_client/live";
import { FrameStage } from "./FrameStage";
import { isClosed, openFrameCache } from "./frames";
import { HelpOverlay } from "./HelpOverlay";
import { Timeline } from "./Timeline";
import styles from "./annotator.module.css";

export type AnnotatorMode = "annotate" | "review";

interface Loaded {
  obs: TaskObservations;
  cache: FrameCache<ImageBitmap>;
  chunkSize: number;
}

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

export default function Annotator({ taskId, mode, actor }: { taskId: number; mode: AnnotatorMode; actor: Actor }) {
  const [loaded, setLoaded] = useState<Loaded | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [, bumpCache] = useReducer((x: number) => x + 1, 0);
  useEffect(() => {
    let cancelled = false;
    let cache: FrameCache<ImageBitmap> | null = null;
    (async () => {
      let task = await api.getTask(taskId);
      const mayAnnotate = mode === "annotate" && (actor.role === "annotator" || actor.role === "admin");
      const mine = task.assignee === null || task.assignee.id === actor.id || actor.role === "admin";
      if (mayAnnotate && mine && (task.status === "new" || task.status === "rejected")) task = await api.startTask(taskId, task.version);
      const obs = await api.observations(taskId);
      const opened = await openFrameCache(obs.video, obs.task.seed.frame, () => bumpCache());
      cache = opened.cache;
      if (cancelled) return opened.cache.dispose();
      setLoaded({ obs, cache: opened.cache, chunkSize: opened.chunkSize });
    })().catch((err: unknown) => !cancelled && setError(message(err)));
    return () => {
      cancelled = true;
      cache?.dispose();
    };
  }, [taskId, mode, actor]);
  if (error) return <div className={styles.loading} role="alert">Could not open task #{taskId}: {error}</div>;
  if (!loaded) return <div className={styles.loading} data-testid="annotator-loading">Loading task #{taskId}…</div>;
  return <Workspace {...loaded} mode={mode} actor={actor} />;
}

function Workspace({ obs, cache, chunkSize, mode, actor }: Loaded & { mode: AnnotatorMode; actor: Actor }) {
  const video = obs.video;
  const taskId = obs.task.id;
  const frameCount = video.frameCount;
  const imageSize: Size = useMemo(() => ({ width: video.width, height: video.height }), [video.width, video.height]);
  const shots = useMemo(() => video.shotBoundaries.filter((b) => b > 0 && b < frameCount), [video.shotBoundaries, frameCount]);
  const interp = useMemo(() => ({ frameCount, shotBoundaries: shots }), [frameCount, shots]);
  const [, rerender] = useReducer((x: number) => x + 1, 0);

  // --- task, document, history ---
  const [task, setTask] = useState<TaskSummary>(obs.task);
  const docRef = useRef<DocumentState>(initialDocument(obs.target));
  const setDoc = useCallback((d: DocumentState) => {
    docRef.current = d;
    rerender();
  }, []);
  const doc = docRef.current;
  const history = useRef(new EditHistory<Keyframe[]>());
  const editable = mode === "annotate" && task.status === "in_progress" && (task.assignee?.id === actor.id || actor.role === "admin");
  const reviewing = mode === "review" || (!editable && (actor.role === "reviewer" || actor.role === "admin") && task.status === "submitted");
  const [notice, setNotice] = useState<string | null>(null);
  const [saveStatus, setSaveStatus] = useState<"saved" | "pending" | "saving" | "error" | "conflict">("saved");

  // --- frame, view, playback ---
  const [frame, setFrameState] = useState(Math.min(frameCount - 1, obs.task.seed.frame));
  const frameRef = useRef(frame);
  const dirRef = useRef<1 | -1>(1);
  const setFrame = useCallback((f: number) => {
    const next = Math.min(frameCount - 1, Math.max(0, Math.round(f)));
    if (next !== frameRef.current) dirRef.current = next > frameRef.current ? 1 : -1;
    frameRef.current = next;
    setFrameState(next);
  }, [frameCount]);
  const [playing, setPlaying] = useState(false);
  const [showContext, setShowContext] = useState(true);
  const [showHelp, setShowHelp] = useState(false);
  const stageBox = useRef<HTMLDivElement>(null);
  const [stageSize, setStageSize] = useState<Size>({ width: 960, height: 540 });
  const [view, setView] = useState<View>(() => fitView({ width: 960, height: 540 }, imageSize));
  const viewFitted = useRef(false);
  const spaceHeld = useRef(false);
  const spacePanned = useRef(false);
  useEffect(() => {
    const el = stageBox.current;
    if (!el) return;
    const measure = () => {
      const s = { width: Math.max(200, el.clientWidth), height: Math.max(150, el.clientHeight) };
      setStageSize(s);
      if (!viewFitted.current) {
        viewFitted.current = true;
        setView(fitView(s, imageSize));
      }
    };
    const ro = new ResizeObserver(measure);
    ro.observe(el);
    measure();
    return () => ro.disconnect();
  }, [imageSize]);

  // --- frames through the chunk cache ---
  const lastShown = useRef<{ frame: number; bmp: ImageBitmap } | null>(null);
  const peek = cache.peek(frame);
  if (peek) lastShown.current = { frame, bmp: peek };
  else if (lastShown.current && isClosed(lastShown.current.bmp)) lastShown.current = null;
  const frameReady = peek !== undefined;
  useEffect(() => {
    cache.prefetchAround(frame, dirRef.current);
    if (!cache.has(frame)) {
      cache.get(frame).then(() => rerender(), (err: unknown) => setNotice(`frame ${frame}: ${message(err)}`));
    }
  }, [cache, frame]);
  const paintedRef = useRef<HTMLDivElement>(null);
  const onPainted = useCallback((f: number) => {
    if (paintedRef.current) paintedRef.current.dataset.paintedFrame = String(f);
    window.dispatchEvent(new CustomEvent("gt:painted", { detail: { frame: f, t: performance.now() } }));
  }, []);

  useEffect(() => {
    if (!playing) return;
    let start = performance.now();
    let from = frameRef.current;
    let raf = 0;
    const tick = (now: number) => {
      const f = frameAtPlayback(from, (now - start) / 1000, video.frameTimestamps, video.fps, frameCount);
      if (f !== frameRef.current) {
        if (cache.has(f)) setFrame(f);
        else {
          // Hold on the last frame until its chunk arrives rather than skipping frames.
          cache.prefetchAround(f, 1);
          start = now;
          from = frameRef.current;
        }
      }
      if (f >= frameCount - 1) setPlaying(false);
      else raf = requestAnimationFrame(tick);
    };
    raf = requestAnimationFrame(tick);
    return () => cancelAnimationFrame(raf);
  }, [playing, cache, frameCount, setFrame, video.fps, video.frameTimestamps]);

  // --- target track (THE shared interpolation) ---
  const sampler = useMemo(() => new TrackSampler(doc.local, interp), [doc.local, interp]);
  const target = sampler.at(frame);
  const bands = useMemo(() => visibilityRuns(doc.local, frameCount, shots), [doc.local, frameCount, shots]);
  const buffer = bufferRuns(cache.loadedChunks(), chunkSize, frameCount);

  // --- context: every other object of the video, updated live ---
  const [context, setContext] = useState<Map<number, ContextTrack>>(
    () => new Map(obs.context.map((c) => [c.objectId, { objectId: c.objectId, label: `#${c.objectId}`, keyframes: toTrackKeyframes(c.keyframes) }])),
  );
  const contextTracks = useMemo(() => new ContextTracks([...context.values()], interp), [context, interp]);
  const contextFrame = useMemo(() => (showContext ? contextTracks.at(frame) : null), [showContext, contextTracks, frame]);

  // --- autosave with optimistic concurrency ---
  const saving = useRef(false);
  const deferredOwn = useRef<{ track: ServerTrack; by?: string } | null>(null);
  const liveRef = useRef<LiveConnection | null>(null);
  const statusRef = useRef<HTMLDivElement>(null);
  const applyNewer = useCallback((track: ServerTrack, reason: string) => {
    const r = onNewerState(docRef.current, track, reason);
    if (!r.replaced) return;
    history.current.clear();
    setDoc(r.doc);
    setNotice(r.doc.stashed ? null : `Track updated to version ${track.version} (${reason}).`);
  }, [setDoc]);
  const saveRef = useRef<() => Promise<void>>(async () => {});
  const autosave = useMemo(() => new Debouncer(400, () => void saveRef.current()), []);
  saveRef.current = async () => {
    if (saving.current) return;
    const d = docRef.current;
    const changes = pendingChanges(d);
    if (changes.length === 0) return setSaveStatus("saved");
    saving.current = true;
    setSaveStatus("saving");
    let failed = false;
    const sentAt = Date.now();
    if (statusRef.current) statusRef.current.dataset.lastSaveStart = String(sentAt);
    try {
      const r = await api.putObservations(taskId, d.base.version, changes);
      if (statusRef.current) statusRef.current.dataset.lastSaveMs = String(Date.now() - sentAt);
      if (r.ok) {
        setDoc(onSaved(docRef.current, r.state));
        liveRef.current?.noteVersion(taskId, r.state.version);
        setTask((t) => ({ ...t, version: r.state.version }));
        setSaveStatus("saved");
      } else {
        applyNewer(r.conflict, "conflict");
        setTask((t) => ({ ...t, version: r.conflict.version }));
        setSaveStatus("conflict");
      }
    } catch (err) {
      setSaveStatus("error");
      // Network/server failures retry; a refusal (4xx, e.g. the task was submitted meanwhile) needs the user.
      failed = true;
      const retry = !(err instanceof ApiError && err.status < 500);
      setNotice(`Autosave failed: ${message(err)} — your edits are kept${retry ? " and will be retried" : ""}.`);
      if (retry) setTimeout(() => autosave.schedule(), 2000);
    } finally {
      saving.current = false;
      const own = deferredOwn.current;
      deferredOwn.current = null;
      if (own) applyNewer(own.track, own.by ? `edited by ${own.by}` : "resync");
      // After a failure the timed retry above takes over (no tight loop).
      if (!failed && pendingChanges(docRef.current).length && !docRef.current.stashed) {
        setSaveStatus("pending");
        autosave.schedule();
      }
    }
  };
  useEffect(() => () => autosave.flush(), [autosave]);
  useEffect(() => {
    const warn = (e: BeforeUnloadEvent) => {
      if (pendingChanges(docRef.current).length || docRef.current.stashed) e.preventDefault();
    };
    window.addEventListener("beforeunload", warn);
    return () => window.removeEventListener("beforeunload", warn);
  }, []);

  const commit = useCallback((label: string, next: Keyframe[], coalesceKey?: string) => {
    const d = docRef.current;
    history.current.record(label, d.local, next, { coalesceKey });
    setDoc({ ...d, local: next });
    setSaveStatus("pending");
    autosave.schedule();
  }, [autosave, setDoc]);

  // --- live: presence and other users' edits ---
  const [presence, setPresence] = useState<PresenceEntry[]>([]);
  const [liveStatus, setLiveStatus] = useState("connecting");
  const [liveInfo, setLiveInfo] = useState<{ objectId: number; version: number; by: string } | null>(null);
  const liveInfoRef = useRef<HTMLDivElement>(null);
  // Every socket id this page has had: after a reconnect the server may still list the previous one briefly.
  const mySockets = useRef(new Set<string>());
  useEffect(() => {
    const conn: LiveConnection = new LiveConnection({
      videoId: video.id,
      onTrack: (t: LiveTrack, origin, by) => {
        if (t.taskId === taskId || t.objectId === obs.target.objectId) {
          if (saving.current) deferredOwn.current = { track: t, by: by?.username };
          else if (t.version > docRef.current.base.version) applyNewer(t, by ? `edited by ${by.username}` : origin);
          return;
        }
        setContext((m) => {
          const prev = m.get(t.objectId);
          const next = new Map(m);
          next.set(t.objectId, { objectId: t.objectId, label: prev?.label ?? `#${t.objectId}`, keyframes: toTrackKeyframes(t.keyframes) });
          return next;
        });
        if (origin === "update") setLiveInfo({ objectId: t.objectId, version: t.version, by: by?.username ?? "someone" });
        else if (liveInfoRef.current) {
          // What each (re)connect's resync delivered, for tests: "objectId:version" entries.
          const d = liveInfoRef.current.dataset;
          d.resynced = `${d.resynced ? `${d.resynced} ` : ""}${t.objectId}:${t.version}`;
        }
      },
      onPresence: setPresence,
      onStatus: (s, detail) => {
        if (s === "connected" && conn.id) mySockets.current.add(conn.id);
        setLiveStatus(detail ? `${s}: ${detail}` : s);
      },
    });
    conn.noteVersion(taskId, docRef.current.base.version);
    conn.setFrame(frameRef.current, taskId);
    liveRef.current = conn;
    conn.connect();
    return () => {
      liveRef.current = null;
      conn.close();
    };
  }, [video.id, taskId, obs.target.objectId, applyNewer]);
  useEffect(() => {
    // Stamped after the context redraw was committed: what the e2e live-latency test reads.
    if (liveInfo && liveInfoRef.current) {
      liveInfoRef.current.dataset.liveAppliedAt = String(Date.now());
      liveInfoRef.current.dataset.liveObject = String(liveInfo.objectId);
      liveInfoRef.current.dataset.liveVersion = String(liveInfo.version);
    }
  }, [liveInfo]);
  useEffect(() => {
    const id = setTimeout(() => liveRef.current?.setFrame(frame, taskId), 80);
    return () => clearTimeout(id);
  }, [frame, taskId]);
  const others = presence.filter((p) => p.socketId !== liveRef.current?.id && !mySockets.current.has(p.socketId));

  // --- review ---
  const [flagged, setFlagged] = useState<number[]>(() => (mode === "review" ? [] : obs.task.lastReview?.flaggedFrames ?? []));
  const [comment, setComment] = useState("");
  const toggleFlag = (f: number) => setFlagged((xs) => (xs.includes(f) ? xs.filter((x) => x !== f) : [...xs, f].sort((a, b) => a - b)));
  const decide = async (decision: "accepted" | "rejected") => {
    try {
      const t = await api.reviewTask(taskId, { decision, comment, flaggedFrames: flagged, expectedVersion: task.version });
      setTask(t);
      setNotice(`Task ${decision}.`);
    } catch (err) {
      setNotice(`Review failed: ${message(err)}`);
    }
  };
  const reopen = async () => {
    try {
      setTask(await api.reopenTask(taskId, task.version));
      setNotice("Task reopened: it is back in progress for the annotator.");
    } catch (err) {
      setNotice(`Reopen failed: ${message(err)}`);
    }
  };

  // --- edits ---
  const place = (p: { x: number; y: number }) => {
    if (!editable) return;
    const c = clampToImage(p, imageSize);
    const state: PointState = target && target.state !== "outside" ? target.state : "visible";
    commit("place point", setKeyframe(docRef.current.local, { frame, x: c.x, y: c.y, state, source: "human" }));
  };
  const drag = (p: { x: number; y: number }, done: boolean) => {
    if (!editable) return;
    const c = clampToImage(p, imageSize);
    commit("move point", editAt(docRef.current.local, frameRef.current, { x: c.x, y: c.y }, "human", interp), `move-${frameRef.current}`);
    if (done) autosave.schedule();
  };
  const markState = (state: PointState) => {
    if (!editable) return;
    if (!target) return setNotice("Place the point on this frame first (click), then mark it.");
    const next: PointState = target.isKeyframe && target.state === state && state !== "visible" ? "visible" : state;
    commit(`mark ${next}`, editAt(docRef.current.local, frame, { state: next }, "human", interp));
  };
  /** Writes every pending edit now (waiting out a save in flight); false when edits remain unsaved or stashed. */
  const flushSaves = async (): Promise<boolean> => {
    autosave.cancel();
    for (let i = 0; i < 100 && (saving.current || pendingChanges(docRef.current).length); i++) {
      if (saving.current) await new Promise((r) => setTimeout(r, 50));
      else await saveRef.current();
      if (docRef.current.stashed) break;
    }
    return !(pendingChanges(docRef.current).length || docRef.current.stashed);
  };
  const [propagating, setPropagating] = useState(false);
  const propagate = async (direction: "forward" | "backward") => {
    if (!editable || propagating) return;
    if (!target || target.state !== "visible") return setNotice("Propagation starts from a visible point: place the point on this frame first.");
    if (!(await flushSaves())) return setNotice("Resolve the unsaved edits before propagating.");
    const from = frameRef.current;
    setPropagating(true);
    setNotice(`Propagating ${direction} from frame ${from}…`);
    try {
      const r = await api.propagate(taskId, { fromFrame: from, direction, expectedVersion: docRef.current.base.version });
      const state = r.ok ? r.outcome.state : r.conflict;
      applyNewer(state, r.ok ? "propagated" : "conflict");
      liveRef.current?.noteVersion(taskId, state.version);
      setTask((t) => ({ ...t, version: state.version }));
      if (!r.ok) return setNotice(`Propagation not written: ${r.message}`);
      const stop = r.outcome.stops[direction];
      setNotice(`Propagated ${r.outcome.frames.length} frame(s) ${direction} with ${r.outcome.engine}${stop ? `; stopped after frame ${stop.lastFrame} (${stop.reason.replace(/_/g, " ")})` : ""}. Review them like any keyframe.`);
    } catch (err) {
      setNotice(`Propagation failed: ${message(err)}`);
    } finally {
      setPropagating(false);
    }
  };
  const submit = async () => {
    if (!editable) return;
    if (!(await flushSaves())) return setNotice("Resolve the unsaved edits before submitting.");
    try {
      setTask(await api.submitTask(taskId, docRef.current.base.version));
      setNotice("Submitted for review.");
    } catch (err) {
      setNotice(`Submit failed: ${message(err)}`);
    }
  };

  const act = (a: AnnotatorAction) => {
    const local = docRef.current.local;
    switch (a) {
      case "frame-next": return setFrame(frameRef.current + 1);
      case "frame-prev": return setFrame(frameRef.current - 1);
      case "frame-next-10": return setFrame(frameRef.current + 10);
      case "frame-prev-10": return setFrame(frameRef.current - 10);
      case "keyframe-next": { const k = nextKeyframe(local, frameRef.current); return k ? setFrame(k.frame) : undefined; }
      case "keyframe-prev": { const k = previousKeyframe(local, frameRef.current); return k ? setFrame(k.frame) : undefined; }
      case "play-toggle": return setPlaying((p) => !p);
      case "mark-visible": return markState("visible");
      case "mark-occluded": return markState("occluded");
      case "mark-outside": return markState("outside");
      case "keyframe-delete": return editable && keyframeAt(local, frame) ? commit("delete keyframe", removeKeyframe(local, frame)) : undefined;
      case "undo": { if (!editable) return; const r = history.current.undo(); if (r) { setDoc({ ...docRef.current, local: r.state }); setSaveStatus("pending"); autosave.schedule(); } return; }
      case "redo": { if (!editable) return; const r = history.current.redo(); if (r) { setDoc({ ...docRef.current, local: r.state }); setSaveStatus("pending"); autosave.schedule(); } return; }
      case "zoom-reset": return setView(fitView(stageSize, imageSize));
      case "toggle-context": return setShowContext((s) => !s);
      case "help-toggle": return setShowHelp((s) => !s);
      case "submit": return void submit();
      case "flag-frame": return reviewing ? toggleFlag(frameRef.current) : undefined;
    }
  };
  const actRef = useRef(act);
  actRef.current = act;
  useEffect(() => {
    const typing = (e: KeyboardEvent) => e.target instanceof HTMLElement && (e.target.tagName === "INPUT" || e.target.tagName === "TEXTAREA" || e.target.isContentEditable);
    const down = (e: KeyboardEvent) => {
      if (typing(e)) return;
      if (e.key === "Escape") return setShowHelp(false);
      if (e.key === " ") {
        e.preventDefault();
        if (!e.repeat) {
          spaceHeld.current = true;
          spacePanned.current = false;
        }
        return;
      }
      const a = actionForKey(e);
      if (!a) return;
      e.preventDefault();
      actRef.current(a);
    };
    const up = (e: KeyboardEvent) => {
      if (e.key !== " " || typing(e)) return;
      spaceHeld.current = false;
      if (!spacePanned.current) actRef.current("play-toggle");
    };
    window.addEventListener("keydown", down);
    window.addEventListener("keyup", up);
    return () => {
      window.removeEventListener("keydown", down);
      window.removeEventListener("keyup", up);
    };
  }, []);

  // --- render ---
  const ts = frameTime(frame, video.frameTimestamps, video.fps);
  const pending = pendingChanges(doc);
  const stashed = doc.stashed;
  const ghost = stashed ? stashed.changes.find((c) => c.frame === frame && !("remove" in c)) : undefined;
  const kf = keyframeAt(doc.local, frame);
  return (
    <div className={styles.root} data-testid="annotator" data-mode={reviewing ? "review" : editable ? "annotate" : "view"} data-editable={editable ? "1" : "0"}>
      <header className={styles.bar}>
        <a className={styles.brand} href={reviewing ? "/review" : "/"}>groundtrack</a>
        <span className={styles.title}>
          Task #{taskId} · “{task.expressionText}” · <b>{task.objectLabel || `object ${task.objectKey}`}</b>
        </span>
        <span className={`${styles.badge} ${styles[`st_${task.status}`] ?? ""}`} data-testid="task-status">{task.status.replace("_", " ")}</span>
        <span className={styles.spacer} />
        <span className={styles.save} data-testid="save-status" data-status={saveStatus} ref={statusRef}>
          {saveStatus === "saved" ? `Saved · v${doc.base.version}` : saveStatus === "saving" ? "Saving…" : saveStatus === "pending" ? `${pending.length} unsaved` : saveStatus === "conflict" ? "Conflict: newer version" : "Save failed"}
        </span>
        <span className={styles.presence} data-testid="presence" title={liveStatus}>
          <i className={liveStatus === "connected" ? styles.dotOn : styles.dotOff} />
          {others.length ? others.map((o) => <span key={o.socketId} className={styles.who}>{o.displayName} @ {o.frame}</span>) : <span className={styles.mutedSmall}>only you</span>}
        </span>
        <button type="button" onClick={() => setShowHelp(true)} title="Keyboard shortcuts (?)">?</button>
        {editable && <button type="button" className={styles.primary} onClick={() => void submit()} data-testid="submit">Submit for review</button>}
      </header>

      {stashed && (
        <div className={styles.conflict} role="alert" data-testid="conflict-banner">
          <b>This track was changed elsewhere</b> ({stashed.reason}; now version {stashed.newerVersion}). The newer keyframes are shown.
          Your {stashed.changes.length} unsaved edit{stashed.changes.length === 1 ? "" : "s"} (frame{stashed.changes.length === 1 ? "" : "s"}{" "}
          {stashed.changes.map((c) => c.frame).join(", ")}) are kept aside, drawn dashed orange on their frames.
          <button type="button" data-testid="reapply" onClick={() => { setDoc(reapplyStashed(docRef.current)); setSaveStatus("pending"); autosave.schedule(); }}>Re-apply my edits</button>
          <button type="button" data-testid="discard" onClick={() => { setDoc(discardStashed(docRef.current)); setSaveStatus("saved"); }}>Discard mine</button>
        </div>
      )}
      {notice && (
        <div className={styles.notice} data-testid="notice">
          {notice} <button type="button" onClick={() => setNotice(null)} aria-label="dismiss">×</button>
        </div>
      )}

      <div className={styles.body}>
        <div className={styles.stage} ref={stageBox} style={{ cursor: editable ? "crosshair" : "default" }} data-testid="stage" data-view={`${view.scale},${view.x},${view.y}`}>
          <FrameStage
            size={stageSize}
            imageSize={imageSize}
            image={lastShown.current?.bmp}
            imageFrame={lastShown.current?.frame ?? -1}
            view={view}
            onView={setView}
            context={contextFrame}
            target={target}
            ghost={ghost && !("remove" in ghost) ? { x: ghost.x, y: ghost.y } : null}
            editable={editable}
            spaceHeld={spaceHeld}
            onPanned={() => { spacePanned.current = true; }}
            onPlace={place}
            onDrag={drag}
            onPainted={onPainted}
          />
          {!frameReady && <div className={styles.loadingFrame}>loading frame {frame}…</div>}
          <div className={styles.zoom}>{Math.round(view.scale * 100)}%</div>
        </div>
        <aside className={styles.side}>
          <section>
            <h3>Frame</h3>
            <div
              className={styles.readout}
              data-testid="readout"
              ref={paintedRef}
              data-frame={frame}
              data-time={ts}
              data-x={target ? target.x : ""}
              data-y={target ? target.y : ""}
              data-state={target ? target.state : "unknown"}
              data-keyframe={target?.isKeyframe ? "1" : "0"}
            >
              <div className={styles.big}>{frame}<span className={styles.mutedSmall}> / {frameCount - 1}</span></div>
              <div>{formatTime(ts)} <span className={styles.mutedSmall}>(frame index)</span></div>
              <div>
                {target ? <>({target.x.toFixed(1)}, {target.y.toFixed(1)}) · <b>{target.state}</b> · {target.isKeyframe ? `keyframe (${target.source})` : "interpolated"}</> : <span className={styles.mutedSmall}>target unknown on this frame</span>}
              </div>
            </div>
          </section>
          <section>
            <h3>Keyframes ({doc.local.length})</h3>
            <ol className={styles.kfList} data-testid="keyframes">
              {doc.local.map((k) => (
                <li key={k.frame} className={k.frame === frame ? styles.kfCurrent : undefined}>
                  <button type="button" onClick={() => setFrame(k.frame)} data-kf={k.frame}>
                    <span className={styles[`kf_${k.state}`]}>●</span> {k.frame} <span className={styles.mutedSmall}>{k.state}{k.source !== "human" ? ` · ${k.source}` : ""}</span>
                  </button>
                </li>
              ))}
            </ol>
            {editable && (
              <div className={styles.tools}>
                <button type="button" onClick={() => markState("occluded")} disabled={!target}>Occluded (q)</button>
                <button type="button" onClick={() => markState("outside")} disabled={!target}>Outside (o)</button>
                <button type="button" onClick={() => act("keyframe-delete")} disabled={!kf}>Delete (Del)</button>
                <button type="button" onClick={() => act("undo")} disabled={!history.current.canUndo}>Undo</button>
                <button type="button" onClick={() => act("redo")} disabled={!history.current.canRedo}>Redo</button>
                <button type="button" onClick={() => void propagate("backward")} disabled={!target || propagating} data-testid="propagate-backward" title="Track the point backward from this frame (Lucas–Kanade, or SAM2 when installed)">◀ Propagate</button>
                <button type="button" onClick={() => void propagate("forward")} disabled={!target || propagating} data-testid="propagate-forward" title="Track the point forward from this frame (Lucas–Kanade, or SAM2 when installed)">Propagate ▶</button>
              </div>
            )}
          </section>
          <section>
            <label className={styles.check}>
              <input type="checkbox" checked={showContext} onChange={() => setShowContext((s) => !s)} data-testid="toggle-context" /> other objects ({contextFrame?.count ?? 0} here of {contextTracks.size}) (c)
            </label>
            <div ref={liveInfoRef} data-testid="live-info" className={styles.mutedSmall}>
              {liveInfo ? `live: object #${liveInfo.objectId} v${liveInfo.version} by ${liveInfo.by}` : "live: no updates yet"}
            </div>
          </section>
          {(reviewing || task.lastReview) && (
            <section className={styles.review} data-testid="review-panel">
              <h3>Review</h3>
              {task.lastReview && !reviewing && (
                <p className={styles.mutedSmall}>Last review: <b>{task.lastReview.decision}</b>{task.lastReview.comment ? ` — ${task.lastReview.comment}` : ""}</p>
              )}
              <div className={styles.mutedSmall}>Flagged frames (g): {flagged.length ? flagged.map((f) => <button key={f} type="button" className={styles.flag} onClick={() => setFrame(f)}>{f}</button>) : "none"}</div>
              {reviewing && (
                <>
                  <button type="button" onClick={() => toggleFlag(frame)} data-testid="flag">{flagged.includes(frame) ? "Unflag" : "Flag"} frame {frame}</button>
                  <textarea value={comment} onChange={(e) => setComment(e.target.value)} placeholder="comment for the annotator" rows={3} data-testid="review-comment" />
                  <div className={styles.tools}>
                    {task.status === "submitted" && <button type="button" className={styles.primary} onClick={() => void decide("accepted")} data-testid="accept">Accept</button>}
                    {task.status === "submitted" && <button type="button" className={styles.danger} onClick={() => void decide("rejected")} data-testid="reject">Reject</button>}
                    {task.status !== "in_progress" && task.status !== "new" && <button type="button" onClick={() => void reopen()} data-testid="reopen">Reopen</button>}
                  </div>
                </>
              )}
            </section>
          )}
        </aside>
      </div>

      <footer className={styles.bottom}>
        <div className={styles.transport}>
          <button type="button" onClick={() => act("keyframe-prev")} title="previous keyframe (e)">◆◀</button>
          <button type="button" onClick={() => act("frame-prev")} title="previous frame (←)">◀</button>
          <button type="button" onClick={() => setPlaying((p) => !p)} data-testid="play" title="play / pause (space)">{playing ? "❚❚" : "▶"}</button>
          <button type="button" onClick={() => act("frame-next")} title="next frame (→)">▶|</button>
          <button type="button" onClick={() => act("keyframe-next")} title="next keyframe (r)">▶◆</button>
          <span className={styles.mutedSmall}>{video.name} · {video.width}×{video.height} · {video.fps.toFixed(3)} fps · {frameCount} frames</span>
        </div>
        <Timeline
          frameCount={frameCount}
          frame={frame}
          keyframes={doc.local}
          bands={bands}
          buffer={buffer}
          shotBoundaries={shots}
          flagged={flagged}
          others={others}
          onSeek={setFrame}
        />
      </footer>
      {showHelp && <HelpOverlay onClose={() => setShowHelp(false)} />}
    </div>
  );
}
