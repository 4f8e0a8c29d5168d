import { test } from "node:test";
import assert from "node:assert/strict";
import { actionForKey, chordOf, KEY_BINDINGS } from "../../lib/annotator/keymap";

test("plain keys, modifiers and shifted punctuation resolve to their actions", () => {
  assert.equal(actionForKey({ key: "ArrowRight" }), "frame-next");
  assert.equal(actionForKey({ key: "ArrowRight", shiftKey: true }), "frame-next-10");
  assert.equal(actionForKey({ key: "z", ctrlKey: true }), "undo");
  assert.equal(actionForKey({ key: "Z", ctrlKey: true, shiftKey: true }), "redo");
  assert.equal(actionForKey({ key: "?", shiftKey: true }), "help-toggle");
  assert.equal(actionForKey({ key: "o" }), "mark-outside");
  assert.equal(actionForKey({ key: "q" }), "mark-occluded");
  assert.equal(actionForKey({ key: "x" }), null);
});

test("chords are canonical", () => {
  assert.equal(chordOf({ key: "Z", ctrlKey: true, shiftKey: true }), "ctrl+shift+Z");
  assert.equal(chordOf({ key: "?", shiftKey: true }), "?");
});

test("every binding has a description and no key is bound twice", () => {
  const seen = new Set<string>();
  for (const b of KEY_BINDINGS) {
    assert.ok(b.description.length > 3);
    for (const k of b.keys) {
      assert.ok(!seen.has(k), k);
      seen.add(k);
    }
  }
});
