import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  buildImageGrid, buildVideoGrid, decodeTarget, encodeImagePoints, encodeVideoPoints, nearestFrame, NO_POINTS_LABEL, PointDecoder,
  type PointTarget,
} from "../../lib/grounding";

// Half a LOCATION cell is 14/3/2 px of the resized image. The reference decodes cell centres at
// (loc + 0.5)·0.33 instead of (loc + 0.5)/3, which moves centres by up to 2.5·(1/3 − 0.33) of a patch.
const HALF_CELL = 14 / 6;
const QUIRK = 14 * 2.5 * (1 / 3 - 0.33);

test("property: image round trip error ≤ half a location cell (+ the 0.33 quirk) in resized-image pixels", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 6000 }), fc.integer({ min: 1, max: 6000 }), fc.constantFrom(1, 2, 6, 8, 12, 24, 48, 64),
      fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }),
      (w, h, maxCrops, fx, fy) => {
        const g = buildImageGrid(w, h, maxCrops);
        const x = fx * w;
        const y = fy * h;
        const [t] = encodeImagePoints(g, [[x, y]]);
        assert.equal(g.indexable[t.patch], 1);
        const p = decodeTarget(g, t);
        assert.ok(p);
        // Original pixels → resized pixels: the stitched patch grid spans the whole image.
        const ex = (Math.abs(p[0] - x) / w) * g.mapW * 14;
        const ey = (Math.abs(p[1] - y) / h) * g.mapH * 14;
        assert.ok(ex <= HALF_CELL + QUIRK + 1e-9 && ey <= HALF_CELL + QUIRK + 1e-9, `${w}x${h} (${x}, ${y}) → (${p[0]}, ${p[1]})`);
      },
    ),
    { numRuns: 400 },
  );
});

test("property: video round trip snaps t to the nearest sampled frame and keeps x, y within the bound", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 4000 }), fc.integer({ min: 1, max: 4000 }),
      fc.uniqueArray(fc.double({ min: 0, max: 600, noNaN: true }), { minLength: 1, maxLength: 40 }),
      fc.double({ min: 0, max: 600, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }),
      (w, h, ts, t, fx, fy) => {
        const g = buildVideoGrid(w, h, ts);
        const [target] = encodeVideoPoints(g, [[t, fx * w, fy * h]]);
        const p = decodeTarget(g, target);
        assert.ok(p);
        assert.equal(p[0], ts[nearestFrame(ts, t)]);
        assert.ok((Math.abs(p[1] - fx * w) / w) * 27 * 14 <= HALF_CELL + QUIRK + 1e-9);
        assert.ok((Math.abs(p[2] - fy * h) / h) * 27 * 14 <= HALF_CELL + QUIRK + 1e-9);
      },
    ),
    { numRuns: 300 },
  );
});

/** Independent validity check of a decoded pointing sequence. */
function checkSequence(targets: PointTarget[], g: { indexable: Uint8Array; tokenPooling: Int32Array; cells: number }): void {
  targets.forEach((t, i) => {
    assert.notEqual(t.patch, NO_POINTS_LABEL);
    assert.equal(g.indexable[t.patch], 1, `point ${i} on a non-indexable token`);
    assert.ok(g.tokenPooling[t.patch * g.cells + t.subpatch] >= 0, `point ${i} on a padded subpatch`);
    assert.ok(t.location >= 0 && t.location < 9);
    if (i > 0) {
      const p = targets[i - 1];
      assert.ok(t.patch >= p.patch, `point ${i} patch goes backwards`);
      if (t.patch === p.patch) assert.ok(t.subpatch > p.subpatch, `point ${i} repeats or reorders a subpatch`);
    }
  });
}

test("property: driving the decoder with random allowed choices never yields an invalid sequence", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 400 }), fc.integer({ min: 1, max: 400 }), fc.constantFrom("native" as const, "hf" as const),
      fc.boolean(), fc.array(fc.nat(), { minLength: 1, maxLength: 200 }),
      (w, h, mode, noMore, choices) => {
        const g = buildImageGrid(w, h, 4);
        const d = new PointDecoder({
          nPatches: g.nTokens, nSubpatches: g.cells, mode, noMorePointsClass: noMore, indexable: g.indexable, tokenPooling: g.tokenPooling,
        });
        let sawTerminator = false;
        const kinds: string[] = [];
        for (const c of choices) {
          const rules = d.lmRules();
          if (d.phase === "subpatch") {
            assert.equal(rules.subpatch, "force");
            const allowed = [...d.subpatchMask().entries()].filter(([, v]) => v).map(([i]) => i);
            if (allowed.length === 0) {
              // Only the HF processor's own quirk may dead-end (it asserts there): a PATCH right after a
              // LOCATION hides the previous subpatch from its position-based lookup.
              assert.equal(mode, "hf", "dead end: no subpatch allowed");
              assert.equal(kinds.at(-2), "location");
              break;
            }
            d.feedSubpatch(allowed[c % allowed.length]);
            kinds.push("subpatch");
          } else if (d.phase === "location") {
            assert.equal(rules.location, "force");
            d.feedLocation(c % 9);
            kinds.push("location");
          } else if (rules.patch === "allow" && c % 3 !== 0) {
            const allowed = [...d.patchMask().entries()].filter(([, v]) => v).map(([i]) => i);
            // Prefer real patches near the start of the allowed range so sequences get long.
            const pick = allowed[(c >> 2) % Math.min(allowed.length, 5)];
            if (pick === g.nTokens) {
              assert.ok(d.targets().length > 0 || mode === "hf", "no-more-points allowed before the first point");
              sawTerminator = true;
            }
            d.feedPatch(pick);
            kinds.push("patch");
          } else {
            if (sawTerminator) assert.deepEqual(rules, { patch: "ban", subpatch: "ban", location: "ban" });
            d.feedText();
            kinds.push("text");
          }
        }
        checkSequence(d.targets(), g);
        if (d.ended) assert.throws(() => d.feedPatch(0));
      },
    ),
    { numRuns: 300 },
  );
});
