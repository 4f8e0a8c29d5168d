// Trailing debounce with an explicit flush (autosave: write shortly after the last edit, or at once on submit).

export class Debouncer {
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly delayMs: number,
    private readonly fn: () => void,
  ) {}

  /** (Re)starts the delay. */
  schedule(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.fn();
    }, this.delayMs);
  }

  get pending(): boolean {
    return this.timer !== null;
  }

  /** Runs now if scheduled. */
  flush(): void {
    if (!this.timer) return;
    clearTimeout(this.timer);
    this.timer = null;
    this.fn();
  }

  cancel(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
