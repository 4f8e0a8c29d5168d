// The annotator's keyboard shortcuts: one table used both to dispatch key presses and to render the
// help overlay, so the two can never disagree.

export type AnnotatorAction =
  | "frame-next"
  | "frame-prev"
  | "frame-next-10"
  | "frame-prev-10"
  | "keyframe-next"
  | "keyframe-prev"
  | "play-toggle"
  | "mark-visible"
  | "mark-occluded"
  | "mark-outside"
  | "keyframe-delete"
  | "undo"
  | "redo"
  | "zoom-reset"
  | "toggle-context"
  | "help-toggle"
  | "submit"
  | "flag-frame";

export interface KeyBinding {
  action: AnnotatorAction;
  /** Key as in KeyboardEvent.key, with modifiers: "ctrl+z", "shift+ArrowRight", "?". */
  keys: string[];
  description: string;
}

export const KEY_BINDINGS: readonly KeyBinding[] = [
  { action: "frame-next", keys: ["ArrowRight", "f"], description: "Next frame" },
  { action: "frame-prev", keys: ["ArrowLeft", "d"], description: "Previous frame" },
  { action: "frame-next-10", keys: ["shift+ArrowRight", "shift+F"], description: "Forward 10 frames" },
  { action: "frame-prev-10", keys: ["shift+ArrowLeft", "shift+D"], description: "Back 10 frames" },
  { action: "keyframe-next", keys: ["r", "."], description: "Next keyframe of the target" },
  { action: "keyframe-prev", keys: ["e", ","], description: "Previous keyframe of the target" },
  { action: "play-toggle", keys: [" "], description: "Play / pause" },
  { action: "mark-visible", keys: ["v"], description: "Mark the target visible here (keyframe)" },
  { action: "mark-occluded", keys: ["q"], description: "Toggle occluded here (keyframe)" },
  { action: "mark-outside", keys: ["o"], description: "Toggle outside here: the object left the frame (keyframe)" },
  { action: "keyframe-delete", keys: ["Delete", "Backspace"], description: "Delete the keyframe on this frame" },
  { action: "undo", keys: ["ctrl+z", "meta+z"], description: "Undo" },
  { action: "redo", keys: ["ctrl+shift+Z", "ctrl+y", "meta+shift+Z"], description: "Redo" },
  { action: "zoom-reset", keys: ["0"], description: "Reset zoom and pan" },
  { action: "toggle-context", keys: ["c"], description: "Show / hide other objects' points" },
  { action: "help-toggle", keys: ["?", "shift+?", "h"], description: "Show / hide this help" },
  { action: "submit", keys: ["ctrl+Enter", "meta+Enter"], description: "Submit the task for review" },
  { action: "flag-frame", keys: ["g"], description: "Review: flag / unflag this frame for the annotator" },
];

export interface KeyEventLike {
  key: string;
  ctrlKey?: boolean;
  metaKey?: boolean;
  shiftKey?: boolean;
  altKey?: boolean;
}

/** Canonical chord string of an event, e.g. "ctrl+shift+Z". Letters keep the case the browser reports. */
export function chordOf(e: KeyEventLike): string {
  const mods: string[] = [];
  if (e.ctrlKey) mods.push("ctrl");
  if (e.metaKey) mods.push("meta");
  if (e.altKey) mods.push("alt");
  // Shift is implied by the character for printable keys other than letters ("?" is shift+/ on US layouts).
  const printableNonLetter = e.key.length === 1 && !/[a-z]/i.test(e.key);
  if (e.shiftKey && !printableNonLetter) mods.push("shift");
  return [...mods, e.key].join("+");
}

const BY_CHORD: Map<string, AnnotatorAction> = (() => {
  const m = new Map<string, AnnotatorAction>();
  for (const b of KEY_BINDINGS) {
    for (const k of b.keys) {
      if (m.has(k)) throw new Error(`duplicate key binding '${k}'`);
      m.set(k, b.action);
    }
  }
  return m;
})();

/** The action bound to a key event, or null. */
export function actionForKey(e: KeyEventLike): AnnotatorAction | null {
  return BY_CHORD.get(chordOf(e)) ?? null;
}
