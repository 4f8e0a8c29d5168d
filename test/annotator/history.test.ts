import { test } from "node:test";
import assert from "node:assert/strict";
import { EditHistory } from "../../lib/annotator/history";

test("undo and redo walk back and forth through recorded states", () => {
  const h = new EditHistory<number[]>();
  h.record("add 1", [], [1], { now: 0 });
  h.record("add 2", [1], [1, 2], { now: 5000 });
  assert.deepEqual(h.undo()?.state, [1]);
  assert.deepEqual(h.undo()?.state, []);
  assert.equal(h.undo(), null);
  assert.deepEqual(h.redo()?.state, [1]);
  assert.deepEqual(h.redo()?.state, [1, 2]);
  assert.equal(h.redo(), null);
});

test("a new edit after undo clears the redo stack", () => {
  const h = new EditHistory<string>();
  h.record("a", "", "a", { now: 0 });
  h.record("b", "a", "ab", { now: 5000 });
  h.undo();
  h.record("c", "a", "ac", { now: 9000 });
  assert.equal(h.canRedo, false);
  assert.equal(h.undo()?.state, "a");
});

test("edits with the same coalesce key inside the window are one undo step (a drag)", () => {
  const h = new EditHistory<number>(500, 800);
  h.record("move", 0, 1, { coalesceKey: "drag:7", now: 0 });
  h.record("move", 1, 2, { coalesceKey: "drag:7", now: 300 });
  h.record("move", 2, 3, { coalesceKey: "drag:7", now: 600 });
  h.record("move", 3, 4, { coalesceKey: "drag:7", now: 2000 }); // outside the window: new step
  assert.equal(h.undo()?.state, 3);
  assert.equal(h.undo()?.state, 0);
  assert.equal(h.canUndo, false);
});

test("the history is bounded", () => {
  const h = new EditHistory<number>(3);
  for (let i = 0; i < 10; i++) h.record("n", i, i + 1, { now: i * 10_000 });
  let n = 0;
  while (h.undo()) n++;
  assert.equal(n, 3);
});
