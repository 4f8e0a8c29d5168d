// Referring queries name groups of ≥ 2 objects that really match, with motion taken from the rendered track.
import assert from "node:assert/strict";
import { test } from "node:test";
import { matches, motionDirection, phrase, referringQueries, type QueryObject } from "../../trainer/synth/queries";
import type { InstanceObservation } from "../../trainer/synth/render";
import { sampleScene } from "../../trainer/synth/scene";
import { queryObjects, renderVideo } from "../../trainer/synth/video";

const at = (x: number, y: number, state: InstanceObservation["state"] = "visible"): InstanceObservation => ({ state, x, y, visibleArea: 1, amodalArea: 1 });

test("motion direction: dominant axis of the in-frame displacement, null when small or diagonal", () => {
  assert.equal(motionDirection([at(80, 50), at(10, 52)], 100, 100), "left");
  assert.equal(motionDirection([at(10, 50), at(12, 90)], 100, 100), "down");
  assert.equal(motionDirection([at(10, 10), at(60, 60)], 100, 100), null);
  assert.equal(motionDirection([at(10, 10), at(15, 10)], 100, 100), null);
  // Frames outside the picture do not count: the in-frame part moves right.
  assert.equal(motionDirection([at(-50, 50, "outside"), at(20, 50), at(70, 50), at(500, 50, "outside")], 100, 100), "right");
});

test("hand-made objects give the expected phrases and exact member sets", () => {
  const objs: QueryObject[] = [
    { id: 1, category: "circle", colour: "red", sizeClass: "large", direction: "left" },
    { id: 2, category: "circle", colour: "red", sizeClass: "small", direction: "left" },
    { id: 3, category: "square", colour: "red", sizeClass: "large", direction: "up" },
    { id: 4, category: "square", colour: "blue", sizeClass: "large", direction: "left" },
  ];
  const q = Object.fromEntries(referringQueries(objs).map((r) => [r.expression, r.objectIds]));
  assert.deepEqual(q["the red circles"], [1, 2]);
  assert.deepEqual(q["the squares"], [3, 4]);
  assert.deepEqual(q["the red shapes"], [1, 2, 3]);
  assert.deepEqual(q["the large shapes"], undefined); // size alone is never a query
  assert.deepEqual(q["the large squares"], [3, 4]);
  assert.deepEqual(q["the large red shapes"], [1, 3]);
  assert.deepEqual(q["the circles moving left"], [1, 2]);
  assert.deepEqual(q["the shapes moving left"], [1, 2, 4]);
  assert.equal(q["the blue squares"], undefined); // a single object
  for (const ids of Object.values(q)) assert.ok(ids.length >= 2);
  assert.equal(phrase({ sizeClass: "large", colour: "blue" }), "the large blue shapes");
  assert.equal(phrase({ category: "square", direction: "left" }), "the squares moving left");
  assert.ok(matches(objs[0], { colour: "red", direction: "left" }) && !matches(objs[3], { colour: "red" }));
});

test("queries on sampled videos name ≥ 2 objects, exactly the ones matching the phrase", async () => {
  let total = 0;
  for (const seed of [1, 2, 3, 4, 5, 6]) {
    const scene = sampleScene(seed, { width: 64, height: 48, frames: 12, fps: 6, pan: seed % 2 === 1 });
    const objs = queryObjects(await renderVideo(scene));
    for (const q of referringQueries(objs)) {
      total++;
      assert.ok(q.objectIds.length >= 2, q.expression);
      // Re-derive membership from the words alone and compare with the generator's set.
      const members = objs.filter((o) => phraseMatches(q.expression, o));
      assert.deepEqual(members.map((o) => o.id), q.objectIds, q.expression);
    }
  }
  assert.ok(total > 10, `only ${total} queries`);
});

/** Whether object o satisfies every attribute word of the expression. */
function phraseMatches(expression: string, o: QueryObject): boolean {
  const words = expression.replace(/^the /, "").split(" ");
  const moving = words.indexOf("moving");
  const dir = moving >= 0 ? words[moving + 1] : null;
  const head = moving >= 0 ? words.slice(0, moving) : words;
  const noun = head[head.length - 1];
  const adjectives = head.slice(0, -1);
  if (dir !== null && o.direction !== dir) return false;
  if (noun !== "shapes" && noun !== `${o.category}s`) return false;
  for (const a of adjectives) if (a !== o.sizeClass && a !== o.colour) return false;
  return true;
}
