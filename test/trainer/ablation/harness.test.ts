import assert from "node:assert/strict";
import { test } from "node:test";
import { textObjects } from "../../../bench/ablation/evaluate";
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { curvesSvg } from "../../../bench/ablation/plot";
import { mergeResults, readParts, writeReport, type Results, type RunResult } from "../../../bench/ablation/report";

test("baseline answers become keyframes per object id on round(time·fps), inside the video only", () => {
  const text = '<tracks coords="0.0 1 500 500 2 100 900;0.5 2 110 880;9.0 1 500 500"></tracks>';
  const objs = textObjects(text, { width: 200, height: 100, fps: 10, frameCount: 48 });
  assert.deepEqual(
    objs.map((o) => [o.objectId, o.keyframes.map((k) => [k.frame, k.x, k.y, k.state])]),
    [
      ["1", [[0, 100, 50, "visible"]]], // t=9.0 s is frame 90, past the video's 48 frames: dropped
      ["2", [[0, 20, 90, "visible"], [5, 22, 88, "visible"]]],
    ],
  );
  assert.deepEqual(textObjects("<tracks coords=", { width: 200, height: 100, fps: 10, frameCount: 48 }), []);
});

test("the curves plot has one panel per fraction, one path per model and the empty-answer floor", () => {
  const svg = curvesSvg(
    [
      { title: "1/8", floor: 0.1, curves: [{ model: "a", points: [{ step: 0, f1: 0 }, { step: 10, f1: 0.5 }] }, { model: "b", points: [{ step: 0, f1: 0 }, { step: 10, f1: 0.25 }] }] },
      { title: "1 & <all>", curves: [{ model: "a", points: [{ step: 10, f1: 1 }] }] },
    ],
    { title: "t" },
  );
  assert.match(svg, /^<svg /);
  assert.equal((svg.match(/<path /g) ?? []).length, 3);
  assert.equal((svg.match(/empty answer/g) ?? []).length, 1);
  assert.ok(svg.includes("1 &amp; &lt;all&gt;"));
  // F1 0.5 at the last step of a 200-px-high panel sits half way up.
  assert.ok(svg.includes(`M46.0,244.0 L306.0,144.0`), svg.slice(0, 2000));
});

function part(fractions: Array<[string, number]>, models: Array<"grounding" | "text">, over: Partial<Results> = {}): Results {
  const runs: RunResult[] = [];
  for (const [label] of fractions) {
    for (const model of models) {
      runs.push({ model, fraction: label, trainExamples: 10, trainVideos: 2, curve: [{ step: 0, loss: NaN, f1: 0, f1Corrected: 0, empty: 4, evalSeconds: 1 }, { step: 5, loss: 1, f1: model === "text" ? 0.1 : 0.3, f1Corrected: 0.3, empty: 0, evalSeconds: 1 }], losses: [1], trainSeconds: 5, secondsPerStep: 1 });
    }
  }
  return {
    complete: true,
    options: { steps: 5, evals: 1, batch: 4, lr: 3e-3, seed: 0, evalExamples: 4, fractions: fractions.map(([label, value]) => ({ label, value })), models, out: "x" },
    dataset: { dir: "d", contentHash: "h1", trainExamples: 40, testExamples: 4 },
    parameters: { grounding: 100, text: 90, shared: 80 },
    tokens: {},
    decodingCaps: { points: 10, textTokens: 50 },
    emptyAnswer: { f1: 0, f1Corrected: 0 },
    evaluation: "e",
    machine: {},
    seconds: 100,
    runs,
    ...over,
  };
}

test("merging the parts of a split ablation: runs ordered by fraction (grounding first), fractions and models united, wall time of the longest part", () => {
  const a = part([["1/2", 0.5], ["1/8", 0.125]], ["text"], { seconds: 300 });
  const b = part([["1/8", 0.125], ["1/2", 0.5]], ["grounding"], { seconds: 200 });
  const m = mergeResults([{ file: "a.json", results: a }, { file: "b.json", results: b }]);
  assert.deepEqual(m.runs.map((r) => `${r.fraction} ${r.model}`), ["1/8 grounding", "1/8 text", "1/2 grounding", "1/2 text"]);
  assert.deepEqual(m.options.fractions.map((f) => f.label), ["1/8", "1/2"]);
  assert.deepEqual(m.options.models, ["grounding", "text"]);
  assert.equal(m.seconds, 300);
  assert.deepEqual(m.mergedFrom?.map((x) => [x.file, x.seconds]), [["a.json", 300], ["b.json", 200]]);
});

test("merging refuses parts of another experiment, incomplete parts and a run given twice", () => {
  const a = part([["1/8", 0.125]], ["text"]);
  const other = [
    part([["1/8", 0.125]], ["grounding"], { options: { ...a.options, steps: 6, models: ["grounding"] } }),
    part([["1/8", 0.125]], ["grounding"], { dataset: { ...a.dataset, contentHash: "h2" } }),
    part([["1/8", 0.125]], ["grounding"], { decodingCaps: { points: 11, textTokens: 50 } }),
  ];
  for (const b of other) assert.throws(() => mergeResults([{ file: "a", results: a }, { file: "b", results: b }]), /not part of the same experiment/);
  assert.throws(() => mergeResults([{ file: "a", results: a }, { file: "b", results: part([["1/4", 0.25]], ["grounding"], { complete: false }) }]), /b is an incomplete run/);
  assert.throws(() => mergeResults([{ file: "a", results: a }, { file: "b", results: part([["1/8", 0.125]], ["text"]) }]), /text run on 1\/8 of the data is in more than one part \(b\)/);
  assert.throws(() => mergeResults([]), /no results/);
});

test("merge inputs are checked: a missing file, bad JSON and a file that is not an ablation result are clear errors; the report is written", async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "gt-abl-merge-"));
  try {
    mkdirSync(path.join(dir, "a"));
    writeFileSync(path.join(dir, "a", "results.json"), JSON.stringify(part([["1/8", 0.125]], ["text"])));
    writeFileSync(path.join(dir, "bad.json"), "{ nope");
    writeFileSync(path.join(dir, "other.json"), JSON.stringify({ complete: true, runs: [] }));
    await assert.rejects(readParts([path.join(dir, "missing")]), /cannot read .*missing\/results\.json/);
    await assert.rejects(readParts([path.join(dir, "bad.json")]), /bad\.json is not JSON/);
    await assert.rejects(readParts([path.join(dir, "other.json")]), /other\.json is not an ablation results\.json \(options: /);
    const parts = await readParts([path.join(dir, "a")]);
    assert.equal(parts[0].results.runs.length, 1);
    const out = path.join(dir, "out");
    mkdirSync(out);
    await writeReport(out, mergeResults(parts));
    assert.equal(JSON.parse(readFileSync(path.join(out, "results.json"), "utf8")).runs[0].fraction, "1/8");
    assert.match(readFileSync(path.join(out, "curves.svg"), "utf8"), /^<svg /);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
