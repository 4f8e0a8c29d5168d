// Undo/redo for annotator edits. Each entry holds the whole (immutable) document state before and
// after an edit: keyframe lists are small, so snapshots are cheaper and safer than inverse operations.

export interface HistoryEntry<T> {
  label: string;
  before: T;
  after: T;
  /** Edits sharing a coalesce key within `coalesceMs` merge into one entry (a drag is one undo step). */
  coalesceKey?: string;
  at: number;
}

export class EditHistory<T> {
  private undoStack: HistoryEntry<T>[] = [];
  private redoStack: HistoryEntry<T>[] = [];

  constructor(
    private readonly limit = 500,
    private readonly coalesceMs = 800,
  ) {}

  /** Records an edit that turned `before` into `after`. A new edit clears the redo stack. */
  record(label: string, before: T, after: T, opts: { coalesceKey?: string; now?: number } = {}): void {
    const now = opts.now ?? Date.now();
    const top = this.undoStack[this.undoStack.length - 1];
    if (top && opts.coalesceKey && top.coalesceKey === opts.coalesceKey && now - top.at <= this.coalesceMs) {
      top.after = after;
      top.at = now;
    } else {
      this.undoStack.push({ label, before, after, coalesceKey: opts.coalesceKey, at: now });
      if (this.undoStack.length > this.limit) this.undoStack.shift();
    }
    this.redoStack = [];
  }

  /** Returns the state to restore, or null when there is nothing to undo. */
  undo(): { state: T; label: string } | null {
    const e = this.undoStack.pop();
    if (!e) return null;
    this.redoStack.push(e);
    return { state: e.before, label: e.label };
  }

  redo(): { state: T; label: string } | null {
    const e = this.redoStack.pop();
    if (!e) return null;
    this.undoStack.push(e);
    return { state: e.after, label: e.label };
  }

  get canUndo(): boolean {
    return this.undoStack.length > 0;
  }

  get canRedo(): boolean {
    return this.redoStack.length > 0;
  }

  /** Forget everything, e.g. after the server replaced the document with a newer version. */
  clear(): void {
    this.undoStack = [];
    this.redoStack = [];
  }
}
