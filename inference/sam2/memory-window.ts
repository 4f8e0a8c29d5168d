// The `memory_1` input of memory attention (the picked memories' features, back to back) without re-copying the
// whole bank every frame. From one tracked frame to the next the picks are the same list shifted by one
// ([cond…, r1…r6] → [cond…, r2…r7]), so the features live in a persistent buffer of slots and each frame's input is
// a contiguous window of it: the window slides one slot on, only the slots whose content differs are written
// (usually the conditioning memory and the newest frame: 2 of 7 slots), and the model gets a view, not a copy.
// The window's bytes are always exactly the concatenation of the picks' features (tested), so results are
// bit-identical to concatenating.

export class MemoryWindow {
  private buffer: Float32Array;
  /** The features array whose values each slot holds (identity: stored features are never modified). */
  private held: Array<Float32Array | undefined>;
  private start = 0;
  /** Slots written so far (for tests and profiling). */
  writes = 0;

  /** @param slotSize floats per memory (memDim · h · w) */
  constructor(readonly slotSize: number, slots = 32) {
    this.buffer = new Float32Array(slotSize * slots);
    this.held = new Array<Float32Array | undefined>(slots).fill(undefined);
  }

  get capacity(): number {
    return this.held.length;
  }

  /**
   * A view holding `features[0] ‖ features[1] ‖ …` (each `slotSize` floats). Valid until the next call: the
   * caller feeds it to one model run and drops it. The features arrays must not be modified after being passed in.
   */
  assemble(features: readonly Float32Array[]): Float32Array {
    const M = features.length;
    for (const f of features) if (f.length !== this.slotSize) throw new RangeError(`MemoryWindow: a memory holds ${f.length} values, expected ${this.slotSize}`);
    if (2 * M > this.capacity) this.grow(2 * M + 8);
    // Where to put the window: here, one or two slots on (the usual slide), or back at the start when it would
    // run past the end; the candidate needing the fewest slot writes wins (ties: the lowest slot, so a window
    // stuck at the end goes back to the start and slides again).
    let best = -1;
    let bestCost = Infinity;
    for (const s of [this.start, this.start + 1, this.start + 2, 0]) {
      if (s + M > this.capacity) continue;
      let cost = 0;
      for (let i = 0; i < M; i++) if (this.held[s + i] !== features[i]) cost++;
      if (cost < bestCost || (cost === bestCost && s < best)) {
        best = s;
        bestCost = cost;
      }
    }
    for (let i = 0; i < M; i++) {
      const slot = best + i;
      if (this.held[slot] === features[i]) continue;
      this.buffer.set(features[i], slot * this.slotSize);
      this.held[slot] = features[i];
      this.writes++;
    }
    this.start = best;
    return this.buffer.subarray(best * this.slotSize, (best + M) * this.slotSize);
  }

  private grow(slots: number): void {
    this.buffer = new Float32Array(this.slotSize * slots);
    this.held = new Array<Float32Array | undefined>(slots).fill(undefined);
    this.start = 0;
  }
}
