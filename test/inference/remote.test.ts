// The remote Molmo2 runtime against a local OpenAI-compatible stub replaying Molmo2-format answers and failures.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { generateSyntheticVideo, type SyntheticGroundTruth, type VideoMeta } from "../../lib/video";
import { RuntimeError, type RuntimeVideo } from "../../inference/runtime";
import { createRuntime } from "../../inference/runtimes";
import { answerGrid, closePartialAnswer, RemoteRuntime, sampleMolmo2Frames, type RemoteRuntimeOptions } from "../../inference/runtimes/remote";
import { trackPrompt, TRACK_PROMPTS_FPS } from "../../inference/prompts";
import type { TrackSet } from "../../lib/tracks";
import { molmo2TrackAnswer, startMolmo2Stub, type Molmo2Stub } from "../helpers/molmo2-stub";

const W = 160;
const H = 120;
let dir: string;
let video: RuntimeVideo;
let gt: SyntheticGroundTruth;
let stub: Molmo2Stub;

before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "gt-remote-"));
  const file = path.join(dir, "shapes.mp4");
  const r = await generateSyntheticVideo(file, {
    width: W, height: H, frames: 20, fps: 10,
    objects: [
      { id: 1, category: "square", colour: "red", size: 10, path: [{ frame: 0, x: 30, y: 40 }, { frame: 19, x: 130, y: 80 }] },
      { id: 2, category: "square", colour: "red", size: 10, path: [{ frame: 0, x: 120, y: 30 }, { frame: 19, x: 40, y: 90 }] },
      { id: 3, category: "circle", colour: "blue", size: 12, path: [{ frame: 0, x: 80, y: 60 }] },
    ],
  }, 3);
  gt = r.groundTruth;
  video = { id: "shapes", path: file, meta: r.meta as VideoMeta };
  stub = await startMolmo2Stub();
});
after(async () => {
  await stub.close();
  rmSync(dir, { recursive: true, force: true });
});

const opts = (o: Partial<RemoteRuntimeOptions> = {}): RemoteRuntimeOptions => ({ endpoint: stub.url, model: "allenai/Molmo2-8B", maxFrames: 8, backoffMs: 5, timeoutMs: 5000, ...o });

/** Molmo2's 2 fps answer grid on the frames it is shown (maxFrames 8, as `opts`). */
const grid = () => answerGrid(video.meta, 2, sampleMolmo2Frames(video.meta, 2, 8));

/** What Molmo2 would answer for the given ground-truth objects: points on its 2 fps answer grid. */
function answerFor(ids: number[], label: string): string {
  const s = grid();
  const frames = s.frames.map((f, k) => ({ time: s.times[k]!, points: ids.map((id) => ({ id, x: gt.objects.find((o) => o.id === id)!.track[f]!.x, y: gt.objects.find((o) => o.id === id)!.track[f]!.y })) }));
  return molmo2TrackAnswer(frames, { width: W, height: H }, label);
}

function assertNearGt(tracks: TrackSet, ids: number[]): void {
  assert.equal(tracks.objects.length, ids.length);
  for (const o of tracks.objects) {
    // Object ids are Molmo2's (renumbered by first appearance), so match each to its nearest ground-truth object.
    const k0 = o.keyframes[0]!;
    const best = ids.map((id) => ({ id, d: Math.hypot(gt.objects.find((g) => g.id === id)!.track[k0.frame]!.x - k0.x, gt.objects.find((g) => g.id === id)!.track[k0.frame]!.y - k0.y) })).sort((a, b) => a.d - b.d)[0]!;
    for (const kf of o.keyframes) {
      const g = gt.objects.find((x) => x.id === best.id)!.track[kf.frame]!;
      assert.equal(kf.state, "visible");
      assert.equal(kf.source, "model:allenai/Molmo2-8B");
      // 0-1000 integer coordinates: at most half a unit of rounding in each axis.
      assert.ok(Math.abs(kf.x - g.x) <= W / 1000, `x ${kf.x} vs ${g.x}`);
      assert.ok(Math.abs(kf.y - g.y) <= H / 1000, `y ${kf.y} vs ${g.y}`);
    }
  }
}

test("prompt: Molmo2's verbatim tracking template with str(int(fps))", () => {
  assert.equal(trackPrompt({ label: "red squares", fps: 2 }), "Track all instances of 'red squares' in this video, sampling at 2 frames per second. Show the position coordinates at each timestamp.");
  assert.equal(trackPrompt({ label: "dogs", fps: 2.9, template: 0 }), "Track dogs in 2 FPS.");
  assert.equal(trackPrompt({ label: "dogs", fps: null }), "Track dogs.");
  assert.equal(TRACK_PROMPTS_FPS.length, 10);
  assert.throws(() => trackPrompt({ label: "  ", fps: 2 }), /empty/);
});

test("streamed answer: tracks near ground truth, frames sent as a timed JPEG frame-list video, partials along the way", async () => {
  stub.setReplies([{ kind: "text", text: answerFor([1, 2], "red squares"), chunk: 7 }]);
  const rt = await createRuntime("remote", { remote: opts() });
  const partials: TrackSet[] = [];
  const stages = new Set<string>();
  const r = await rt.query({ video, expression: "red squares", signal: new AbortController().signal, onPartial: (p) => partials.push(p), onProgress: (p) => stages.add(p.stage) });
  const req = stub.requests.at(-1)!;
  assert.equal(req.stream, true);
  assert.equal(req.prompt, trackPrompt({ label: "red squares", fps: 2 }));
  assert.equal(req.frames.length, r.sampledFrames.length);
  for (const f of req.frames) assert.deepEqual([...f.subarray(0, 2)], [0xff, 0xd8]);
  assert.equal(r.engine, `remote:allenai/Molmo2-8B@${stub.url}`);
  assert.equal(r.rawOutput, answerFor([1, 2], "red squares"));
  assertNearGt(r.tracks, [1, 2]);
  // Keyframes on the 2 fps answer grid; the model saw the denser tracking sample.
  for (const o of r.tracks.objects) assert.deepEqual(o.keyframes.map((k) => k.frame), grid().frames);
  // The frames Molmo2's inference processor picks (remote-prompt / remote-vllm tests check them against the reference).
  assert.deepEqual(r.sampledFrames, [...new Set(sampleMolmo2Frames(video.meta, 2, 8).frames)].sort((a, b) => a - b));
  const body = req.body as { media_io_kwargs: { video: { fps: number; frames_indices: number[] } }; mm_processor_kwargs: unknown };
  assert.deepEqual(body.mm_processor_kwargs, { do_sample_frames: false });
  assert.equal(body.media_io_kwargs.video.frames_indices.length, req.frames.length);
  assert.ok(partials.length >= 2, `partials: ${partials.length}`);
  const kfCount = (t: TrackSet) => t.objects.reduce((n, o) => n + o.keyframes.length, 0);
  assert.ok(kfCount(partials[0]!) < kfCount(r.tracks));
  assert.deepEqual([...stages], ["sampling", "asking", "parsing"]);
});

test("non-streamed JSON answer: one video_url and the question, nothing else", async () => {
  stub.setReplies([{ kind: "text", text: answerFor([3], "blue circle") }]);
  const rt = new RemoteRuntime(opts({ stream: false }));
  const r = await rt.query({ video, expression: "blue circle", signal: new AbortController().signal });
  assert.equal(stub.requests.at(-1)!.stream, false);
  const content = (stub.requests.at(-1)!.body.messages as Array<{ content: Array<{ type: string }> }>)[0]!.content;
  assert.deepEqual(content.map((c) => c.type), ["video_url", "text"]);
  assertNearGt(r.tracks, [3]);
});

test("an object that disappears gets an outside keyframe; 'There are none.' is an empty result", async () => {
  const s = grid();
  const frames = s.frames.map((f, k) => ({ time: s.times[k]!, points: k < 2 ? [{ id: 1, x: 10, y: 10 }] : [] }));
  stub.setReplies([{ kind: "text", text: molmo2TrackAnswer(frames, { width: W, height: H }, "x") }]);
  const rt = new RemoteRuntime(opts());
  const r = await rt.query({ video, expression: "x", signal: new AbortController().signal });
  assert.deepEqual(r.tracks.objects[0]!.keyframes.map((k) => [k.frame, k.state]), [[s.frames[0], "visible"], [s.frames[1], "visible"], [s.frames[2], "outside"]]);
  stub.setReplies([{ kind: "text", text: "There are none." }]);
  const none = await rt.query({ video, expression: "green triangles", signal: new AbortController().signal });
  assert.equal(none.tracks.objects.length, 0);
});

async function rejects(p: Promise<unknown>, code: RuntimeError["code"], re: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof RuntimeError, String(e));
    assert.equal(e.code, code, e.message);
    assert.match(e.message, re);
    return true;
  });
}

test("nonsense answers are bad_answer errors quoting the text", async () => {
  const rt = new RemoteRuntime(opts({ retries: 0 }));
  const q = () => rt.query({ video, expression: "red squares", signal: new AbortController().signal });
  stub.setReplies([{ kind: "text", text: "The red squares are moving diagonally across the frame." }]);
  await rejects(q(), "bad_answer", /without any <tracks.*moving diagonally/);
  stub.setReplies([{ kind: "text", text: '<tracks coords="0.0 1 50">red squares</tracks>' }]);
  await rejects(q(), "bad_answer", /coords="0\.0 1 50"/);
  stub.setReplies([{ kind: "raw", body: "<html>proxy error</html>", contentType: "text/html" }]);
  await rejects(q(), "bad_answer", /not JSON.*proxy error/);
  stub.setReplies([{ kind: "raw", body: JSON.stringify({ object: "error" }), contentType: "application/json" }]);
  await rejects(q(), "bad_answer", /not a chat completion/);
  stub.setReplies([{ kind: "status", status: 400, body: '{"error":"max_tokens too large"}' }]);
  await rejects(q(), "bad_answer", /HTTP 400.*max_tokens/);
});

test("500s are retried with back-off; persistent 500 is a clear error after the last attempt", async () => {
  const rt = new RemoteRuntime(opts({ retries: 2 }));
  const n0 = stub.requests.length;
  stub.setReplies([{ kind: "status", status: 500 }, { kind: "cut", text: answerFor([3], "blue circle") }, { kind: "text", text: answerFor([3], "blue circle") }]);
  const r = await rt.query({ video, expression: "blue circle", signal: new AbortController().signal });
  assert.equal(stub.requests.length - n0, 3);
  assertNearGt(r.tracks, [3]);
  stub.setReplies([{ kind: "status", status: 500 }]);
  await rejects(rt.query({ video, expression: "blue circle", signal: new AbortController().signal }), "server_unreachable", /HTTP 500.*gave up after 3 attempts/);
});

test("a hanging server times out; cancelling aborts a hanging request at once", async () => {
  stub.setReplies([{ kind: "hang" }]);
  const rt = new RemoteRuntime(opts({ timeoutMs: 300, retries: 1 }));
  const t0 = Date.now();
  await rejects(rt.query({ video, expression: "x", signal: new AbortController().signal }), "timeout", /did not answer within 0\.3 s.*2 attempts/);
  assert.ok(Date.now() - t0 < 4000);
  const ac = new AbortController();
  const slow = new RemoteRuntime(opts({ timeoutMs: 60_000 }));
  setTimeout(() => ac.abort(), 150);
  await rejects(slow.query({ video, expression: "x", signal: ac.signal }), "cancelled", /cancelled/);
});

test("server down: server_unreachable naming the URL", async () => {
  const down = await startMolmo2Stub();
  const url = down.url;
  await down.close();
  const rt = new RemoteRuntime({ endpoint: url, model: "m", maxFrames: 4, retries: 1, backoffMs: 1 });
  await rejects(rt.query({ video, expression: "x", signal: new AbortController().signal }), "server_unreachable", new RegExp(`${url.replace(/[.]/g, "\\.")}/chat/completions is unreachable \\(ECONNREFUSED\\)`));
});

test("unreadable video and bad options are clear errors", async () => {
  const bad = path.join(dir, "garbage.mp4");
  writeFileSync(bad, Buffer.alloc(4096, 7));
  const rt = new RemoteRuntime(opts());
  await rejects(rt.query({ video: { ...video, path: bad }, expression: "x", signal: new AbortController().signal }), "video_unreadable", /garbage\.mp4/);
  assert.throws(() => new RemoteRuntime({ endpoint: "not a url", model: "m" }), /option endpoint/);
  await assert.rejects(createRuntime("remote", {}), /needs an endpoint/);
});

test("closePartialAnswer keeps only complete frames", () => {
  assert.equal(closePartialAnswer("Sure"), null);
  assert.equal(closePartialAnswer('<tracks coords="0.0 1 100 200;0.5 1 1'), '<tracks coords="0.0 1 100 200">x</tracks>');
  assert.equal(closePartialAnswer('<tracks coords="0.0 1 100 2'), null);
});
