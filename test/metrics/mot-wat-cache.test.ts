// The assembly cache of lib/metrics/mot/wat.ts (filled by cli/bin.mjs from the modules an earlier run of the same
// build assembled): a hit needs the exact same input; anything else is assembled (and recorded) as before.
import { test } from "node:test";
import assert from "node:assert/strict";
import { assembleModule, recordAssemblies, useAssemblyCache, type WatFunction } from "../../lib/metrics/mot/wat";

const fn = (body: string): WatFunction => ({ name: "f", params: [["x", "i32"]], result: "i32", body });
const run = (bytes: Uint8Array<ArrayBuffer>, x: number) => (new WebAssembly.Instance(new WebAssembly.Module(bytes)).exports as { f(x: number): number }).f(x);

test("assembly cache: records what is assembled, serves exact inputs only, and never hands out its own copy", () => {
  const plusOne = [fn("local.get $x i32.const 1 i32.add")];
  const timesTwo = [fn("local.get $x i32.const 2 i32.mul")];
  const uncached = assembleModule(plusOne, 1);
  const twice = assembleModule(timesTwo, 1);
  const recorded = recordAssemblies();
  assembleModule(plusOne, 1);
  assert.equal(recorded.size, 1);
  const [[key, bytes]] = [...recorded];
  assert.deepEqual(bytes, uncached);
  // A cache whose entry for plusOne's exact input holds timesTwo's module: served only for that input.
  useAssemblyCache([[key, twice]]);
  const served = assembleModule(plusOne, 1);
  assert.equal(run(served, 5), 10, "exact input: the cached module");
  served.fill(0);
  assert.equal(run(assembleModule(plusOne, 1), 5), 10, "a caller changing its bytes does not change the cache");
  assert.equal(run(assembleModule(plusOne, 2), 5), 6, "other pages: assembled");
  assert.equal(run(assembleModule([fn("local.get $x i32.const 1 i32.add ")], 1), 5), 6, "other text: assembled");
  assert.equal(recorded.size, 3, "misses are recorded for saving");
});
