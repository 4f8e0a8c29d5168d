import { test } from "node:test";
import assert from "node:assert/strict";
import { FrameCache } from "../../lib/annotator/frame-cache";

function makeLoader(delayMs = 1) {
  const calls: number[] = [];
  const loadChunk = async (c: number) => {
    calls.push(c);
    await new Promise((r) => setTimeout(r, delayMs));
    return Array.from({ length: 10 }, (_, i) => `frame-${c * 10 + i}`);
  };
  return { calls, loadChunk };
}

const settle = () => new Promise((r) => setTimeout(r, 30));

test("get returns the exact frame and loads its chunk once even with concurrent requests", async () => {
  const { calls, loadChunk } = makeLoader();
  const cache = new FrameCache({ frameCount: 95, chunkSize: 10, loadChunk, prefetchAhead: 0, prefetchBehind: 0, maxChunks: 4 });
  const [a, b] = await Promise.all([cache.get(13), cache.get(17)]);
  assert.equal(a, "frame-13");
  assert.equal(b, "frame-17");
  assert.deepEqual(calls, [1]);
  assert.equal(cache.peek(19), "frame-19");
});

test("prefetch covers both directions, nearest first, following the playing direction", async () => {
  const { calls, loadChunk } = makeLoader();
  const cache = new FrameCache({ frameCount: 200, chunkSize: 10, loadChunk, prefetchAhead: 2, prefetchBehind: 1, concurrency: 1 });
  await cache.get(55);
  await settle();
  assert.deepEqual(calls, [5, 6, 4, 7]);
  calls.length = 0;
  cache.prefetchAround(52, -1);
  await settle();
  assert.deepEqual(calls, [3]); // 4 and 6 are loaded already; moving backwards wants 4, 3 and behind 6
  assert.deepEqual(cache.loadedChunks(), [3, 4, 5, 6, 7]);
});

test("eviction keeps the window and drops the least recently used chunk, disposing its frames", async () => {
  const disposed: string[] = [];
  const { loadChunk } = makeLoader();
  const cache = new FrameCache({ frameCount: 200, chunkSize: 10, loadChunk, prefetchAhead: 0, prefetchBehind: 0, maxChunks: 2, dispose: (f) => disposed.push(f) });
  await cache.get(0);
  await cache.get(10);
  await cache.get(20);
  cache.prefetchAround(25);
  assert.ok(cache.loadedChunks().length <= 2);
  assert.ok(cache.loadedChunks().includes(2));
  assert.equal(disposed.length, 10);
  assert.deepEqual(disposed, Array.from({ length: 10 }, (_, i) => `frame-${i}`));
});

test("a failed chunk is retried on the next request; out-of-range frames are rejected", async () => {
  let fail = true;
  const cache = new FrameCache({
    frameCount: 30, chunkSize: 10, prefetchAhead: 0, prefetchBehind: 0,
    loadChunk: async (c) => {
      if (fail) throw new Error("network down");
      return Array.from({ length: 10 }, (_, i) => c * 10 + i);
    },
  });
  await assert.rejects(cache.get(3), /network down/);
  fail = false;
  assert.equal(await cache.get(3), 3);
  await assert.rejects(cache.get(30), RangeError);
  await assert.rejects(cache.get(-1), RangeError);
});

test("onChange fires when a chunk arrives and when one is evicted (the timeline's buffer bar redraws)", async () => {
  const { loadChunk } = makeLoader();
  const seen: number[][] = [];
  let cache: FrameCache<string> | null = null;
  cache = new FrameCache({ frameCount: 200, chunkSize: 10, loadChunk, prefetchAhead: 0, prefetchBehind: 0, maxChunks: 1, onChange: () => seen.push(cache!.loadedChunks()) });
  await cache.get(3);
  assert.deepEqual(seen, [[0]]);
  await cache.get(15);
  cache.prefetchAround(15);
  assert.deepEqual(seen, [[0], [0, 1], [1]]);
});
