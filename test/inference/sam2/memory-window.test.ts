// The memory-attention input window: always exactly the concatenation of the picked memories, while writing only the
// slots that changed (the steady-state slide writes 2 of 7).
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { MemoryWindow } from "../../../inference/sam2/memory-window";

const SLOT = 5;
const memory = (seed: number) => ({ id: seed, features: Float32Array.from({ length: SLOT }, (_, i) => seed * 10 + i + 0.5) });
type Memory = ReturnType<typeof memory>;
const concat = (xs: Memory[]) => {
  const out = new Float32Array(xs.length * SLOT);
  xs.forEach((x, i) => out.set(x.features, i * SLOT));
  return out;
};

test("a SAM2-like propagation: every window equals the concatenation, the slide writes the cond slot and the newest frame", () => {
  const w = new MemoryWindow(SLOT, 16);
  const cond = memory(999);
  const recent: Memory[] = [];
  let lastWrites = 0;
  for (let f = 0; f < 40; f++) {
    const picks = [cond, ...recent.slice(-6)];
    const before = w.writes;
    const got = w.assemble(picks);
    assert.deepEqual(got, concat(picks), `frame ${f}`);
    lastWrites = w.writes - before;
    recent.push(memory(f));
  }
  // Steady state (7 picks, shifted by one each frame): 2 writes, or 7 when the window wraps to the start.
  assert.ok(lastWrites === 2 || lastWrites === 7, `writes ${lastWrites}`);
  assert.ok(w.writes < 40 * 3, `total writes ${w.writes} (concatenating would be ${40 * 7 - 21})`);
});

test("arbitrary pick sequences (reordering, repeats, growth past the capacity) give exactly the concatenation", () => {
  fc.assert(
    fc.property(fc.array(fc.array(fc.integer({ min: 0, max: 12 }), { minLength: 1, maxLength: 11 }), { minLength: 1, maxLength: 30 }), (lists) => {
      const pool = Array.from({ length: 13 }, (_, i) => memory(i));
      const w = new MemoryWindow(SLOT, 4);
      for (const l of lists) {
        const picks = l.map((i) => pool[i]);
        assert.deepEqual(w.assemble(picks), concat(picks));
      }
    }),
    { numRuns: 200 },
  );
});

test("a memory of the wrong size or with a bad id is refused", () => {
  assert.throws(() => new MemoryWindow(SLOT).assemble([{ id: 1, features: new Float32Array(SLOT + 1) }]), /holds 6 values, expected 5/);
  assert.throws(() => new MemoryWindow(SLOT).assemble([{ id: -1, features: new Float32Array(SLOT) }]), /id -1/);
});
