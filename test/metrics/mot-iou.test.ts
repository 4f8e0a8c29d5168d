// boxIouXywhNonZero: the x-sweep used for many boxes returns exactly the non-zero entries (same order, same values)
// of TrackEval's dense `_calculate_box_ious` arithmetic, including degenerate boxes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { boxIouXywhNonZero } from "../../lib/metrics/similarity";
import { seededRandom as mulberry32 } from "../../lib/random";
import { denseBoxIous, randomBoxes } from "../helpers/box-ious";

test("non-zero IoU entries equal the dense reference for small and large frames", () => {
  const rand = mulberry32(3);
  for (let c = 0; c < 60; c++) {
    const a = randomBoxes(rand, Math.floor(rand() * 70), c % 3 === 0 ? 200 : 1900);
    const b = randomBoxes(rand, Math.floor(rand() * 90), c % 3 === 0 ? 200 : 1900);
    const got: [number, number, number][] = [];
    boxIouXywhNonZero(a, b, { push: (i, j, v) => got.push([i, j, v]) });
    assert.deepEqual(got, denseBoxIous(a, b), `case ${c}`);
  }
});
