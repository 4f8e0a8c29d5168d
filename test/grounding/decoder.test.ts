import { test } from "node:test";
import assert from "node:assert/strict";
import { buildImageGrid, PointDecoder } from "../../lib/grounding";
import { loadFixture } from "./fixtures";

interface HfCase { nPatches: number; nSubpatches: number; noMorePointsClass: boolean; textVocab: number; prompt: number[]; chosen: number[]; masks: string[] }
interface NativeStep { rules: [string, string, string]; mask: string | null; chosen: number | null }
interface NativeCase {
  nPatches: number; nSubpatches: number; noMorePointsClass: boolean; eos: number;
  tokenIds: { patch: number; subpatch: number; location: number }; generated: number[]; steps: NativeStep[]; targets: number[][];
}
const fx = loadFixture<{ hfLogitProcessor: HfCase[]; nativeGenerate: NativeCase[] }>("decoder.json");

/** Feeds one HF extended-vocabulary token into the decoder. */
function feedHf(d: PointDecoder, V: number, tok: number): void {
  const P = d.nPatchClasses;
  if (tok < V) d.feedText();
  else if (tok < V + P) d.feedPatch(tok - V);
  else if (tok < V + P + d.nSubpatches) d.feedSubpatch(tok - V - P);
  else d.feedLocation(tok - V - P - d.nSubpatches);
}

test(`hf mode reproduces MolmoPointLogitProcessor masks on ${fx.hfLogitProcessor.length} random sequences`, () => {
  let steps = 0;
  for (const [k, c] of fx.hfLogitProcessor.entries()) {
    const d = new PointDecoder({ nPatches: c.nPatches, nSubpatches: c.nSubpatches, noMorePointsClass: c.noMorePointsClass, mode: "hf" });
    for (const _ of c.prompt) d.feedText();
    c.masks.forEach((m, i) => {
      if (m === "assert") {
        // The reference asserts here (repeat not banned because of its position-based lookup): no subpatch is allowed.
        assert.equal(d.phase, "subpatch", `case ${k} step ${i}`);
        assert.equal(d.subpatchMask().some((v) => v === 1), false, `case ${k} step ${i}`);
        return;
      }
      assert.equal(Array.from(d.hfVocabMask(c.textVocab)).join(""), m, `case ${k} step ${i}`);
      steps++;
      if (i < c.chosen.length) feedHf(d, c.textVocab, c.chosen[i]);
    });
  }
  assert.ok(steps > 1000);
});

test(`native mode reproduces MolmoPoint.generate masks and decoded targets on ${fx.nativeGenerate.length} random generations`, () => {
  let checked = 0;
  for (const [k, c] of fx.nativeGenerate.entries()) {
    const d = new PointDecoder({ nPatches: c.nPatches, nSubpatches: c.nSubpatches, noMorePointsClass: c.noMorePointsClass });
    const { patch: P, subpatch: S, location: L } = c.tokenIds;
    let stopped = false;
    for (let i = 0; i < c.steps.length && !stopped; i++) {
      const step = c.steps[i];
      const what = `case ${k} step ${i}`;
      if (i >= 1) {
        // The input of forward i is the token generated at i-1; generate masks and picks its index first.
        const tok = c.generated[i - 1];
        if (tok === P) {
          assert.equal(Array.from(d.patchMask()).join(""), step.mask, what);
          d.feedPatch(step.chosen!);
        } else if (tok === S) {
          assert.equal(Array.from(d.subpatchMask()).join(""), step.mask, what);
          d.feedSubpatch(step.chosen!);
        } else if (tok === L) {
          assert.equal(Array.from(d.locationMask()).join(""), step.mask, what);
          d.feedLocation(step.chosen!);
        } else {
          assert.equal(step.mask, null, what);
          d.feedText();
        }
      }
      const mine = d.lmRules();
      const [rp, rs, rl] = step.rules;
      if (rs === "force" || rl === "force") {
        // A +1e6 logit decides the token; the other two are left as they were by generate.
        assert.deepEqual([mine.subpatch, mine.location], [rs === "force" ? "force" : "ban", rl === "force" ? "force" : "ban"], what);
      } else if (mine.patch === "ban" && rp === "allow") {
        // Beyond the reference: every patch class is masked, so we also ban PATCH in the LM logits.
        assert.equal(d.patchMask().includes(1), false, what);
        stopped = c.generated[i] === P; // generate would now pick a masked patch; the sequences diverge
      } else {
        assert.deepEqual([mine.patch, mine.subpatch, mine.location], [rp, rs, rl], what);
      }
      checked++;
    }
    if (!stopped) assert.deepEqual(d.targets().map((t) => [t.patch, t.subpatch, t.location]), c.targets, `case ${k} targets`);
  }
  assert.ok(checked > 2000);
});

test("native mode: no PATCH on the first step, no-more-points banned for the first point", () => {
  const d = new PointDecoder({ nPatches: 10, nSubpatches: 4 });
  assert.equal(d.lmRules().patch, "ban");
  assert.throws(() => d.feedPatch(3), /first step/);
  d.feedText();
  assert.deepEqual(d.lmRules(), { patch: "allow", subpatch: "ban", location: "ban" });
  assert.equal(d.patchMask()[10], 0);
  d.feedPatch(3);
  assert.deepEqual(d.lmRules(), { patch: "ban", subpatch: "force", location: "ban" });
  d.feedSubpatch(3);
  assert.deepEqual(d.lmRules(), { patch: "ban", subpatch: "ban", location: "force" });
  d.feedLocation(4);
  d.feedText();
  // Previous point used the last subpatch of patch 3: patches ≤ 3 are banned, no-more-points now allowed.
  assert.deepEqual(Array.from(d.patchMask()), [0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1]);
  d.feedPatch(10);
  assert.equal(d.ended, true);
  assert.deepEqual(d.lmRules(), { patch: "ban", subpatch: "ban", location: "ban" });
  assert.deepEqual(d.targets(), [{ patch: 3, subpatch: 3, location: 4 }]);
});

test("native mode: same patch forces a later subpatch; validity masks apply", () => {
  const pooling = new Int32Array([0, 1, 2, -1, 4, 5, 6, 7]);
  const d = new PointDecoder({ nPatches: 2, nSubpatches: 4, indexable: new Uint8Array([1, 1]), tokenPooling: pooling });
  d.feedText();
  d.feedPatch(0);
  assert.deepEqual(Array.from(d.subpatchMask()), [1, 1, 1, 0]);
  d.feedSubpatch(1);
  d.feedLocation(0);
  d.feedPatch(0);
  assert.deepEqual(Array.from(d.subpatchMask()), [0, 0, 1, 0]);
  assert.throws(() => d.feedSubpatch(1), /not allowed/);
  const g = new PointDecoder({ nPatches: 3, nSubpatches: 4, indexable: new Uint8Array([0, 1, 1]) });
  g.feedText();
  assert.deepEqual(Array.from(g.patchMask()), [0, 1, 1, 0]);
});

test("query rotary position follows the previous patch and resets after no-more-points", () => {
  const pos = new Int32Array([0, 0, 0, 1, 2]);
  const d = new PointDecoder({ nPatches: 5, nSubpatches: 4 });
  d.feedText();
  assert.equal(d.queryRotaryPosition(pos), 0);
  d.feedPatch(4);
  assert.equal(d.queryRotaryPosition(pos), 2);
  d.feedSubpatch(0);
  d.feedLocation(0);
  d.feedPatch(5);
  assert.equal(d.queryRotaryPosition(pos), 0);
});

test("forGrid masks the global crop and padded subpatches of an image grid", () => {
  const g = buildImageGrid(640, 480, 8); // 46×46 stitched grid → 23×23 windows, none padded; global 27→28 padded
  const d = PointDecoder.forGrid(g);
  d.feedText();
  const m = d.patchMask();
  assert.equal(m.length, g.nTokens + 1);
  assert.equal(m.slice(0, g.nGlobalTokens).some((v) => v === 1), false);
  assert.equal(m[g.nGlobalTokens], 1);
  const odd = buildImageGrid(378, 378, 1); // 27×27 stitched grid: the last window row/column is padded
  const e = PointDecoder.forGrid(odd);
  e.feedText();
  e.feedPatch(odd.nTokens - 1);
  assert.deepEqual(Array.from(e.subpatchMask()), [1, 0, 0, 0]);
  e.feedSubpatch(0);
  e.feedLocation(0);
  // Only subpatch 0 exists in that window, so repeating the patch is banned.
  assert.equal(e.patchMask()[odd.nTokens - 1], 0);
});
