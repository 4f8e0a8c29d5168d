import { test } from "node:test";
import assert from "node:assert/strict";
import {
  applyChanges, diffKeyframes, discardStashed, initialDocument, onNewerState, onSaved, pendingChanges, quantizeCoord, reapplyStashed, toTrackKeyframes,
} from "../../lib/annotator/document";
import type { Keyframe } from "../../lib/tracks";

const kf = (frame: number, x: number, y = 0, state: Keyframe["state"] = "visible"): Keyframe => ({ frame, x, y, state, source: "human" });
const server = (version: number, keyframes: Keyframe[]) => ({ version, keyframes: keyframes.map((k) => ({ ...k, authorId: 1, version })) });

test("diff: upserts and removals that turn base into local; applyChanges inverts it", () => {
  const base = [kf(0, 1), kf(5, 2), kf(9, 3)];
  const local = [kf(0, 1), kf(5, 7), kf(12, 4, 0, "occluded")];
  const d = diffKeyframes(base, local);
  assert.deepEqual(d, [
    { frame: 5, x: 7, y: 0, state: "visible", source: "human" },
    { frame: 9, remove: true },
    { frame: 12, x: 4, y: 0, state: "occluded", source: "human" },
  ]);
  assert.deepEqual(applyChanges(base, d), local);
  assert.deepEqual(diffKeyframes(local, local), []);
});

test("storage rounding below 1e-6 px is not an unsaved change; quantized coordinates are exact", () => {
  assert.deepEqual(diffKeyframes([kf(1, 199.929203539823)], [kf(1, 199.92920353982302)]), []);
  const q = quantizeCoord(199.92920353982302);
  assert.equal(q, 199.929);
  assert.equal(Number(q.toPrecision(15)), q);
});

test("a successful save moves the base; edits made during the write stay pending", () => {
  let doc = initialDocument(server(3, [kf(0, 1)]));
  doc = { ...doc, local: [kf(0, 1), kf(4, 2)] };
  const sent = pendingChanges(doc);
  doc = { ...doc, local: [...doc.local, kf(8, 3)] }; // typed while the PUT was in flight
  doc = onSaved(doc, server(4, applyChanges([kf(0, 1)], sent)));
  assert.equal(doc.base.version, 4);
  assert.deepEqual(pendingChanges(doc), [{ frame: 8, x: 3, y: 0, state: "visible", source: "human" }]);
});

test("a newer state without local edits replaces the document; older states are ignored", () => {
  const doc = initialDocument(server(3, [kf(0, 1)]));
  assert.equal(onNewerState(doc, server(2, []), "live").replaced, false);
  const r = onNewerState(doc, server(5, [kf(0, 1), kf(3, 9)]), "live");
  assert.equal(r.replaced, true);
  assert.equal(r.doc.stashed, null);
  assert.deepEqual(r.doc.local.map((k) => k.frame), [0, 3]);
});

test("a conflict applies the newer keyframes and stashes the user's edits for re-apply or discard", () => {
  let doc = initialDocument(server(3, [kf(0, 1)]));
  doc = { ...doc, local: [kf(0, 1), kf(8, 40)] };
  const r = onNewerState(doc, server(4, [kf(0, 1), kf(5, 20)]), "conflict");
  assert.deepEqual(r.doc.local.map((k) => k.frame), [0, 5], "newer state shown");
  assert.deepEqual(r.doc.stashed?.changes, [{ frame: 8, x: 40, y: 0, state: "visible", source: "human" }]);
  assert.equal(r.doc.stashed?.newerVersion, 4);
  assert.deepEqual(pendingChanges(r.doc), [], "nothing is written until the user decides");
  const re = reapplyStashed(r.doc);
  assert.equal(re.stashed, null);
  assert.deepEqual(re.local.map((k) => k.frame), [0, 5, 8]);
  assert.deepEqual(pendingChanges(re), [{ frame: 8, x: 40, y: 0, state: "visible", source: "human" }]);
  const gone = discardStashed(r.doc);
  assert.equal(gone.stashed, null);
  assert.deepEqual(gone.local.map((k) => k.frame), [0, 5]);
});

test("a second conflict keeps earlier stashed edits (later edit wins per frame)", () => {
  let doc = initialDocument(server(1, []));
  doc = { ...doc, local: [kf(2, 1)] };
  doc = onNewerState(doc, server(2, [kf(0, 0)]), "conflict").doc;
  doc = { ...doc, local: [...doc.local, kf(7, 5)] };
  doc = onNewerState(doc, server(3, [kf(0, 0), kf(1, 1)]), "conflict").doc;
  assert.deepEqual(doc.stashed?.changes.map((c) => c.frame), [2, 7]);
});

test("server keyframes: unknown sources become human, model sources are kept, order is by frame", () => {
  const ks = toTrackKeyframes([
    { frame: 4, x: 1, y: 1, state: "visible", source: "model:molmo-7b" },
    { frame: 1, x: 1, y: 1, state: "occluded", source: "weird" },
  ]);
  assert.deepEqual(ks.map((k) => [k.frame, k.source]), [[1, "human"], [4, "model:molmo-7b"]]);
});
