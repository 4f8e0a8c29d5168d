// evaluateModel through the real built-in runtime (real ONNX contract models written by the generator) on a real
// synthetic benchmark split, scored by lib/metrics/points.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { generateBuiltinModel } from "../../../inference/builtin/generate-model";
import type { ModelRuntime } from "../../../inference/runtime";
import { importTrackAny } from "../../../lib/formats/trackany";
import { evaluateModel, EvalError, predictionOnFrames } from "../../../trainer/eval/evaluate";
import { readManifest } from "../../../trainer/synth/dataset";
import { tinySynth } from "../snapshot/world";

let dir: string;
let refs: Array<{ id: string; video: string; annotation: string; source: string }>;

before(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), "gt-eval-"));
  const synth = await tinySynth(dir);
  const m = await readManifest(synth);
  refs = m.videos.filter((v) => v.split === "test").flatMap((v) => v.annotations.map((a) => ({ id: a.id, video: path.join(synth, v.video.file), annotation: path.join(synth, a.file), source: "synth" })));
  await generateBuiltinModel(path.join(dir, "demo"));
  await generateBuiltinModel(path.join(dir, "worse"), { maxPoints: 2, version: "worse" });
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe("evaluateModel", () => {
  it("scores the demo colour model above a real contract model that may emit only two points", async () => {
    let ticks = 0;
    const good = await evaluateModel({ modelDir: path.join(dir, "demo"), refs, onProgress: () => void ticks++ });
    const worse = await evaluateModel({ modelDir: path.join(dir, "worse"), refs });
    assert.equal(ticks, refs.length);
    assert.equal(good.overall.examples, refs.length);
    assert.match(good.engine, /^built-in:gen-colour/);
    assert.equal(worse.engine, "built-in:worse");
    assert.ok(good.overall.f1 > worse.overall.f1 + 0.05, `${good.overall.f1} vs ${worse.overall.f1}`);
    assert.ok(good.overall.HOTA > worse.overall.HOTA);
    // Two points at most: never more than 2 distinct predicted objects, so count accuracy is 0 where GT > 2.
    assert.ok(worse.perExample.every((e) => e.predCount <= 2));
    for (const e of good.perExample) {
      assert.equal(e.judge, "mask");
      for (const k of ["f1", "HOTA", "precision", "recall"] as const) assert.ok(e[k] >= 0 && e[k] <= 1, `${e.id} ${k}`);
    }
    assert.equal(good.examplesHash, worse.examplesHash);
    assert.deepEqual(Object.keys(good.bySource), ["synth"]);
    assert.ok(good.overall.closeAccuracy >= good.overall.countAccuracy);
  });

  it("the ground truth answered back scores the ceiling: Molmo2's F1 below 1 where objects exit, 1 with own-object masks", async () => {
    // A runtime that answers each query with the example's own TrackAny ground truth (the best possible model).
    const answerKey = new Map(refs.map((r) => [`file:${r.video}`, r]));
    let current = "";
    const oracle: ModelRuntime = {
      kind: "answer-key",
      engine: "answer-key",
      async query(req) {
        const ref = answerKey.get(req.video.id);
        assert.ok(ref);
        const text = readFileSync(current, "utf8");
        const r = importTrackAny(text);
        assert.ok(r.ok);
        const frames = (JSON.parse(text) as { frame_trajectories: Array<{ frame: number }> }).frame_trajectories.map((f) => f.frame);
        return { tracks: r.value, engine: "answer-key", sampledFrames: frames, rawOutput: "" };
      },
      async close() {},
    };
    const scores = [];
    for (const ref of refs) {
      current = ref.annotation;
      scores.push(...(await evaluateModel({ runtime: oracle, refs: [ref] })).perExample);
    }
    for (const e of scores) {
      assert.ok(Math.abs(e.f1 - e.ceilingF1) < 1e-12, `${e.id}: F1 ${e.f1} vs ceiling ${e.ceilingF1}`);
      assert.ok(e.f1PerObject > 1 - 1e-9, `${e.id}: own-object F1 ${e.f1PerObject}`);
    }
    assert.ok(scores.some((e) => e.ceilingF1 < 0.999), "some example has an exit, where Molmo2's judge pairs points with the wrong masks");
    const demo = await evaluateModel({ modelDir: path.join(dir, "demo"), refs });
    assert.ok(Math.abs(demo.overall.ceilingF1 - scores.reduce((a, e) => a + e.ceilingF1, 0) / scores.length) < 1e-12);
  });

  it("names an unreadable annotation", async () => {
    const bad = path.join(dir, "bad.json");
    writeFileSync(bad, "{ nope");
    await assert.rejects(evaluateModel({ modelDir: path.join(dir, "demo"), refs: [{ ...refs[0], annotation: bad }] }), (e: unknown) => e instanceof EvalError && e.message.includes(bad));
    await assert.rejects(evaluateModel({ modelDir: path.join(dir, "demo"), refs: [] }), /no examples/);
  });
});

describe("predictionOnFrames", () => {
  it("interpolates between the model's keyframes and treats a seen frame without a point as outside", () => {
    const kf = (frame: number, x: number) => ({ frame, x, y: 10, state: "visible" as const, source: "model:t" as const });
    const frames = predictionOnFrames(
      [{ objectId: "2", keyframes: [kf(0, 0), kf(10, 100)] }, { objectId: "1", keyframes: [kf(0, 40), kf(5, 60)] }],
      [0, 5, 10],
      [0, 2, 5, 7, 10],
      { frameCount: 12 },
    );
    const at = (f: number) => frames.find((x) => x.frame === f)!.points;
    // Object 1 moves 40 → 60 over seen frames 0..5 (linear); object 2 is held at its visible position until the
    // outside keyframe the evaluator adds on seen frame 5 (the shared interpolation's visible → outside rule).
    assert.deepEqual(at(2).map((p) => [p.id, p.x]), [[1, 48], [2, 0]]);
    assert.deepEqual(at(5).map((p) => p.id), [1]); // object 2 was not pointed at on seen frame 5
    assert.deepEqual(at(10).map((p) => p.id), [2]); // object 1 absent on seen frame 10
  });
});
