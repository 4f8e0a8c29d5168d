// The annotator's document model: the server's keyframes at a version (`base`), the user's working copy
// (`local`), and the diff between them that autosave writes. A stale write (409) or a newer live update never
// overwrites the user silently: the newer server state is applied and the user's unsaved edits are kept aside
// (`stashed`) to be re-applied or discarded explicitly.
import { removeKeyframe, setKeyframe, sortKeyframes, type Keyframe, type KeyframeSource, type PointState } from "../tracks";

/** One edit as the observations API takes it (lib/services/schemas keyframeEdit). */
export type KeyframeChange =
  | { frame: number; x: number; y: number; state: PointState; source: KeyframeSource }
  | { frame: number; remove: true };

/** A keyframe as the server sends it (extra fields are ignored here). */
export interface ServerKeyframe {
  frame: number;
  x: number;
  y: number;
  state: PointState;
  source: string;
}

export interface ServerTrack {
  version: number;
  keyframes: readonly ServerKeyframe[];
}

const SOURCES = new Set(["human", "interpolated", "propagated"]);

/** Server keyframes in the lib/tracks form; an unknown source string is kept only when it is `model:<v>`. */
export function toTrackKeyframes(keyframes: readonly ServerKeyframe[]): Keyframe[] {
  return sortKeyframes(
    keyframes.map((k) => {
      const source: KeyframeSource = SOURCES.has(k.source) || k.source.startsWith("model:") ? (k.source as KeyframeSource) : "human";
      return { frame: k.frame, x: k.x, y: k.y, state: k.state, source };
    }),
  );
}

/**
 * Coordinates are kept to 1/1000 pixel: such values survive the database round trip exactly (the SQLite
 * driver returns REALs with 15 significant digits), so a saved edit never looks unsaved again.
 */
export function quantizeCoord(v: number): number {
  return Math.round(v * 1000) / 1000;
}

/** Coordinates closer than this are the same position (guards against any storage rounding). */
const SAME_POSITION = 1e-6;

function sameKeyframe(a: Keyframe, b: Keyframe): boolean {
  return Math.abs(a.x - b.x) <= SAME_POSITION && Math.abs(a.y - b.y) <= SAME_POSITION && a.state === b.state && a.source === b.source;
}

/** The changes that turn `base` into `local` (upserts and removals), in frame order. */
export function diffKeyframes(base: readonly Keyframe[], local: readonly Keyframe[]): KeyframeChange[] {
  const before = new Map(base.map((k) => [k.frame, k]));
  const after = new Map(local.map((k) => [k.frame, k]));
  const out: KeyframeChange[] = [];
  for (const k of local) {
    const b = before.get(k.frame);
    if (!b || !sameKeyframe(b, k)) out.push({ frame: k.frame, x: k.x, y: k.y, state: k.state, source: k.source });
  }
  for (const k of base) if (!after.has(k.frame)) out.push({ frame: k.frame, remove: true });
  return out.sort((a, b) => a.frame - b.frame);
}

/** `keyframes` with `changes` applied (the same upsert/remove rules as the server). */
export function applyChanges(keyframes: readonly Keyframe[], changes: readonly KeyframeChange[]): Keyframe[] {
  let out = sortKeyframes(keyframes);
  for (const c of changes) {
    out = "remove" in c ? removeKeyframe(out, c.frame) : setKeyframe(out, { frame: c.frame, x: c.x, y: c.y, state: c.state, source: c.source });
  }
  return out;
}

export interface DocumentState {
  /** Last state the server confirmed. */
  base: { version: number; keyframes: Keyframe[] };
  /** What the user sees and edits. */
  local: Keyframe[];
  /** The user's edits set aside when a newer server state arrived; null when nothing is waiting. */
  stashed: { changes: KeyframeChange[]; reason: string; newerVersion: number } | null;
}

export function initialDocument(track: ServerTrack): DocumentState {
  const keyframes = toTrackKeyframes(track.keyframes);
  return { base: { version: track.version, keyframes }, local: keyframes, stashed: null };
}

/** Unsaved changes of the working copy. */
export function pendingChanges(doc: DocumentState): KeyframeChange[] {
  return diffKeyframes(doc.base.keyframes, doc.local);
}

/**
 * A write of `sent` (made against `doc.base`) succeeded with `confirmed`. Edits the user made while the write was
 * in flight stay in `local` and are diffed against the new base next time.
 */
export function onSaved(doc: DocumentState, confirmed: ServerTrack): DocumentState {
  return { ...doc, base: { version: confirmed.version, keyframes: toTrackKeyframes(confirmed.keyframes) } };
}

/**
 * The server holds a newer state (a 409 answer, a live update or a resync). Without unsaved edits it simply
 * replaces the document. With unsaved edits the newer keyframes are applied and the user's edits are stashed
 * for an explicit re-apply or discard. Older or equal versions are ignored.
 */
export function onNewerState(doc: DocumentState, newer: ServerTrack, reason: string): { doc: DocumentState; replaced: boolean } {
  if (newer.version <= doc.base.version && reason !== "conflict") return { doc, replaced: false };
  const keyframes = toTrackKeyframes(newer.keyframes);
  const pending = pendingChanges(doc);
  const stashedBefore = doc.stashed?.changes ?? [];
  const changes = mergeChanges(stashedBefore, pending);
  return {
    doc: {
      base: { version: newer.version, keyframes },
      local: keyframes,
      stashed: changes.length ? { changes, reason, newerVersion: newer.version } : null,
    },
    replaced: true,
  };
}

/** Later changes win per frame. */
function mergeChanges(first: readonly KeyframeChange[], then: readonly KeyframeChange[]): KeyframeChange[] {
  const m = new Map<number, KeyframeChange>();
  for (const c of first) m.set(c.frame, c);
  for (const c of then) m.set(c.frame, c);
  return [...m.values()].sort((a, b) => a.frame - b.frame);
}

/** Re-applies the stashed edits on top of the (newer) working copy; autosave then writes them. */
export function reapplyStashed(doc: DocumentState): DocumentState {
  if (!doc.stashed) return doc;
  return { ...doc, local: applyChanges(doc.local, doc.stashed.changes), stashed: null };
}

export function discardStashed(doc: DocumentState): DocumentState {
  return { ...doc, stashed: null };
}
