// npm run bench:sam2 — the SAM2 propagation loop's own cost over onnxruntime.
//
// Model sets: "tiny" test models (128² input); "realistic-shapes" (real SAM2 tensor shapes: 1024² input,
// 256×64² features, 32/64-channel high-res maps, 64-channel memory, 256-d pointers, but cheap graphs); and
// "heavy-encoder" (the same plus ~19 GFLOP of convolutions in the image encoder, near a real SAM2-tiny encoder's
// cost). Each propagates clicks through a synthetic video, forward then backward. Every session.run call's feeds
// are recorded (copied, since the loop reuses its input buffers; the copying time is taken off the loop's time),
// then the same calls are replayed back to back on the same sessions: the reference, raw onnxruntime time.
// Reported per frame:
//   loop      wall time of engine.propagate (frame decoding from the video file included unless "frames in memory")
//   ort       the replayed session.run time for the same calls
//   overhead  loop / ort (goal ≤ 1.1), median of the repeats; also process CPU time (every thread: onnxruntime's,
//             the preprocessing worker's) of the loop over that of the replay, less sensitive to a busy machine
//   main thread: busy (event-loop utilisation) ≈ the models' time (onnxruntime-node runs session.run synchronously on
//   the JS thread) + the loop's JS work; idle = waiting for the preprocessing worker or the frame decoder.
// Usage: npm run bench:sam2 [-- --frames N --objects K --repeats R --sets tiny,realistic-shapes,heavy-encoder]
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import * as ort from "onnxruntime-node";
import { generateSyntheticVideo } from "../../lib/video";
import { FrameReader } from "../../inference/sam2/frames";
import type { RgbImage } from "../../inference/sam2/image";
import { findModelFiles, loadModelSet, type Sam2ModelSet } from "../../inference/sam2/models";
import { Sam2MaskEngine } from "../../inference/sam2/sam2-engine";
import { HEAVY_ENCODER, REALISTIC, TINY, writeTinyModels, type TinyModelSpec } from "../../inference/sam2/testing/tiny-models";
import type { MaskPrompt } from "../../inference/sam2/types";

const { values } = parseArgs({ options: { frames: { type: "string" }, objects: { type: "string" }, repeats: { type: "string" }, sets: { type: "string" } } });
const FRAMES = Number(values.frames ?? 12);
const OBJECTS = Number(values.objects ?? 2);
const REPEATS = Number(values.repeats ?? 3);
const SETS = (values.sets ?? "tiny,realistic-shapes,heavy-encoder").split(",");

interface Call {
  role: string;
  session: ort.InferenceSession;
  feeds: Record<string, ort.Tensor>;
}

function cloneTensor(t: ort.Tensor): ort.Tensor {
  const d = t.data;
  if (d instanceof Float32Array) return new ort.Tensor("float32", d.slice(), t.dims);
  if (d instanceof BigInt64Array) return new ort.Tensor("int64", d.slice(), t.dims);
  if (d instanceof Int32Array) return new ort.Tensor("int32", d.slice(), t.dims);
  throw new Error(`bench: cannot copy a ${t.type} tensor`);
}

/** Wraps every session's run to record a copy of its feeds (and the copying time); returns the function that unwraps them. */
function instrument(set: Sam2ModelSet, calls: Call[], stats: { copyMs: number }): () => void {
  const modules = [set.encoder, set.decoder, set.attention, set.memoryEncoder];
  for (const m of modules) {
    const session = m.session;
    const run = session.run.bind(session) as (feeds: Record<string, ort.Tensor>) => Promise<ort.InferenceSession.ReturnType>;
    Object.defineProperty(session, "run", {
      configurable: true,
      value: (feeds: Record<string, ort.Tensor>) => {
        const c = performance.now();
        calls.push({ role: m.role, session, feeds: Object.fromEntries(Object.entries(feeds).map(([k, v]) => [k, cloneTensor(v)])) });
        stats.copyMs += performance.now() - c;
        return run(feeds);
      },
    });
  }
  return () => {
    for (const m of modules) delete (m.session as unknown as Record<string, unknown>).run;
  };
}

/** When set, frames come from memory: the loop is measured without ffmpeg/PNG decoding. */
let frameCache: Map<number, RgbImage> | undefined;
const read = FrameReader.prototype.read;
FrameReader.prototype.read = async function (this: FrameReader, frame: number, ahead?: 1 | -1) {
  return frameCache?.get(frame) ?? read.call(this, frame, ahead);
};

type Meta = Awaited<ReturnType<typeof generateSyntheticVideo>>["meta"];

async function decodeAll(video: { id: string; path: string; meta: Meta }): Promise<Map<number, RgbImage>> {
  const reader = new FrameReader(video);
  const out = new Map<number, RgbImage>();
  for (let f = 0; f < video.meta.frameCount; f++) out.set(f, await reader.read(f));
  await reader.close();
  return out;
}

const ROLE_NAMES: Record<string, string> = { image_encoder: "encoder", image_decoder: "decoder", memory_attention: "attention", memory_encoder: "memory encoder" };
const cpuMs = (u: NodeJS.CpuUsage) => (u.user + u.system) / 1000;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const load = () => loadavg().map((x) => x.toFixed(2)).join(" ");

async function benchSet(name: string, spec: TinyModelSpec, work: string, video: { path: string; meta: Meta }, prompts: MaskPrompt[], modes: ReadonlyArray<"memory" | "decoded">): Promise<void> {
  const dir = path.join(work, name);
  writeTinyModels(dir, spec);
  const found = findModelFiles(dir);
  if (!("files" in found)) throw new Error(`model set ${name} incomplete`);
  const set = await loadModelSet(dir, found.files, "cpu");
  const engine = new Sam2MaskEngine(set);
  const rv = { id: name, path: video.path, meta: video.meta };
  // Warm-up (JIT on both threads, onnxruntime's first-run allocations), not measured.
  await engine.propagate({ video: rv, prompts, direction: "forward", endFrame: Math.min(video.meta.frameCount - 1, prompts[0].frame + 2) });
  const gflop = spec.encoderConvs ? ` + ${((spec.encoderConvs * 18 * spec.channels ** 2 * spec.featSize ** 2) / 1e9).toFixed(1)} GFLOP of encoder convolutions` : "";
  console.log(`\n${name}: ${spec.imageSize}² input, ${spec.channels}×${spec.featSize}² features${gflop}, ${prompts.length} objects, ${video.meta.frameCount} frames, forward + backward`);
  for (const mode of modes) {
    frameCache = mode === "memory" ? await decodeAll(rv) : undefined;
    const ratios: number[] = [];
    const cpuRatios: number[] = [];
    const rows: string[] = [];
    for (let rep = 0; rep < REPEATS; rep++) {
      const calls: Call[] = [];
      const stats = { copyMs: 0 };
      const restore = instrument(set, calls, stats);
      const elu0 = performance.eventLoopUtilization();
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      const frames = await engine.propagate({ video: rv, prompts, direction: "both" });
      const wall = performance.now() - t0;
      const loopCpu = cpuMs(process.cpuUsage(c0)) - stats.copyMs;
      const elu = performance.eventLoopUtilization(elu0);
      restore();
      const loop = wall - stats.copyMs;
      // Reference: the same session.run calls, replayed back to back on the same sessions.
      const byRole = new Map<string, number>();
      const c1 = process.cpuUsage();
      const t1 = performance.now();
      for (const c of calls) {
        const t = performance.now();
        await c.session.run(c.feeds);
        byRole.set(c.role, (byRole.get(c.role) ?? 0) + performance.now() - t);
      }
      const ortMs = performance.now() - t1;
      const ortCpu = cpuMs(process.cpuUsage(c1));
      const n = frames.length;
      const per = (ms: number) => (ms / n).toFixed(1);
      const busy = elu.active - stats.copyMs;
      ratios.push(loop / ortMs);
      cpuRatios.push(loopCpu / ortCpu);
      const roles = [...byRole].map(([r, ms]) => `${ROLE_NAMES[r] ?? r} ${per(ms)}`).join(", ");
      rows.push(
        `    run ${rep + 1}: per frame loop ${per(loop)} ms, ort ${per(ortMs)} ms (${roles}) → ${(loop / ortMs).toFixed(3)} | ` +
          `main thread busy ${per(busy)} (≈ ort + JS ${per(busy - ortMs)}), idle ${per(elu.idle)} | ` +
          `process CPU (all threads) loop ${per(loopCpu)} ms, ort ${per(ortCpu)} ms → ${(loopCpu / ortCpu).toFixed(3)} | ${calls.length} runs | load ${load()}`,
      );
    }
    console.log(`  ${mode === "memory" ? "frames in memory" : "frames decoded from the video (ffmpeg → PNG, read ahead)"}: overhead loop / ort (median of ${REPEATS}) ${median(ratios).toFixed(3)}; process CPU ${median(cpuRatios).toFixed(3)}`);
    for (const r of rows) console.log(r);
  }
  frameCache = undefined;
  await engine.close();
}

const work = mkdtempSync(path.join(tmpdir(), "gt-bench-sam2-"));
try {
  const file = path.join(work, "bench.mp4");
  const { meta, groundTruth } = await generateSyntheticVideo(file, {
    width: 320, height: 240, frames: FRAMES, fps: 10,
    objects: [
      { id: 1, category: "square", colour: "red", size: 20, path: [{ frame: 0, x: 50, y: 60 }, { frame: FRAMES - 1, x: 270, y: 180 }] },
      { id: 2, category: "circle", colour: "blue", size: 22, path: [{ frame: 0, x: 260, y: 60 }, { frame: FRAMES - 1, x: 70, y: 190 }] },
    ],
  }, 5);
  const mid = Math.floor(FRAMES / 3);
  const prompts: MaskPrompt[] = groundTruth.objects.slice(0, OBJECTS).map((o) => ({ frame: mid, objectId: String(o.id), points: [[o.track[mid].x, o.track[mid].y, 1]] }));
  console.log(`SAM2 loop overhead over raw onnxruntime-node (CPU), synthetic 320×240 video, clicks on frame ${mid}, forward then backward; load average ${load()}`);
  if (SETS.includes("tiny")) await benchSet("tiny", TINY, work, { path: file, meta }, prompts, ["memory", "decoded"]);
  if (SETS.includes("realistic-shapes")) await benchSet("realistic-shapes", REALISTIC, work, { path: file, meta }, prompts, ["memory", "decoded"]);
  // The heavy set is measured on the real pipeline only (frames decoded from the file): its runs take seconds.
  if (SETS.includes("heavy-encoder")) await benchSet("heavy-encoder", HEAVY_ENCODER, work, { path: file, meta }, prompts, ["decoded"]);
} finally {
  rmSync(work, { recursive: true, force: true });
}
