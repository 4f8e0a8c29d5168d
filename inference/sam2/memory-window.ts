// The `memory_1` input of memory attention (the picked memories' features, back to back) without re-copying the
// whole bank every frame. From one tracked frame to the next the picks are the same list shifted by one
// ([cond…, r1…r6] → [cond…, r2…r7]), so the features live in a persistent buffer of slots and each frame's input is
// a contiguous window of it: the window slides one slot on, only the slots whose content differs are written
// (usually the conditioning memory and the newest frame: 2 of 7 slots), and the model gets a view, not a copy.
// The window's bytes are always exactly the concatenation of the picks' features (tested), so results are
// bit-identical to concatenating.

export class MemoryWindow {
  private buffer: Float32Array;
  /** The id of the memory each slot holds (-1: none); ids, not the arrays, so dropped memories can be freed. */
  private held: Int32Array;
  private start = 0;
  /** Slots written so far (for tests and profiling). */
  writes = 0;

  /** @param slotSize floats per memory (memDim · h · w) */
  constructor(readonly slotSize: number, slots = 32) {
    this.buffer = new Float32Array(slotSize * slots);
    this.held = new Int32Array(slots).fill(-1);
  }

  get capacity(): number {
    return this.held.length;
  }

  /**
   * A view holding `memories[0].features ‖ memories[1].features ‖ …` (each `slotSize` floats). Valid until the
   * next call: the caller feeds it to one model run and drops it. An id must always name the same values
   * (ids ≥ 0, unique per memory; a memory's features are never modified).
   */
  assemble(memories: ReadonlyArray<{ id: number; features: Float32Array }>): Float32Array {
    const M = memories.length;
    for (const m of memories) {
      if (m.features.length !== this.slotSize) throw new RangeError(`MemoryWindow: a memory holds ${m.features.length} values, expected ${this.slotSize}`);
      if (!(Number.isInteger(m.id) && m.id >= 0 && m.id <= 0x7fffffff)) throw new RangeError(`MemoryWindow: memory id ${m.id} is not a non-negative int32`);
    }
    if (2 * M > this.capacity) this.grow(2 * M + 8);
    // Where to put the window: here, one or two slots on (the usual slide), or back at the start when it would
    // run past the end; the candidate needing the fewest slot writes wins (ties: the lowest slot, so a window
    // stuck at the end goes back to the start and slides again).
    let best = -1;
    let bestCost = Infinity;
    for (const s of [this.start, this.start + 1, this.start + 2, 0]) {
      if (s + M > this.capacity) continue;
      let cost = 0;
      for (let i = 0; i < M; i++) if (this.held[s + i] !== memories[i].id) cost++;
      if (cost < bestCost || (cost === bestCost && s < best)) {
        best = s;
        bestCost = cost;
      }
    }
    for (let i = 0; i < M; i++) {
      const slot = best + i;
      if (this.held[slot] === memories[i].id) continue;
      this.buffer.set(memories[i].features, slot * this.slotSize);
      this.held[slot] = memories[i].id;
      this.writes++;
    }
    this.start = best;
    return this.buffer.subarray(best * this.slotSize, (best + M) * this.slotSize);
  }

  private grow(slots: number): void {
    this.buffer = new Float32Array(this.slotSize * slots);
    this.held = new Int32Array(slots).fill(-1);
    this.start = 0;
  }
}
