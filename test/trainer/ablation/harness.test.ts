import assert from "node:assert/strict";
import { test } from "node:test";
import { textObjects } from "../../../bench/ablation/evaluate";
import { curvesSvg } from "../../../bench/ablation/plot";

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
