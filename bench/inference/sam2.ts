// npm run bench:sam2 — the SAM2 propagation loop's own cost over onnxruntime.
//
// For each model set (tiny test models; models with real SAM2 tensor shapes: 1024² input, 256×64×64 features,
// 32/64-channel high-res maps, 64-channel memory, 256-d pointers) the loop propagates clicks through a
// synthetic video. Every session.run call's feeds are recorded; afterwards the same calls are replayed directly
// on the same sessions (the reference: raw onnxruntime time). Reported per frame:
//   loop      wall time of engine.propagate, frame decoding included (it runs ahead, overlapped with the models)
//   ort       the replayed session.run time for the same calls
//   overhead  loop / ort  (goal ≤ 1.1: preprocessing, memory-bank assembly, mask upsampling and RLE are cheap)
// Usage: npm run bench:sam2 [-- --frames N --objects K --repeats R]
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import type * as ort from "onnxruntime-node";
import { generateSyntheticVideo } from "../../lib/video";
import { FrameReader } from "../../inference/sam2/frames";
import type { RgbImage } from "../../inference/sam2/image";
import { findModelFiles, loadModelSet, type Sam2ModelSet } from "../../inference/sam2/models";
import { Sam2MaskEngine } from "../../inference/sam2/sam2-engine";
import { REALISTIC, TINY, writeTinyModels, type TinyModelSpec } from "../../inference/sam2/testing/tiny-models";
import type { MaskPrompt } from "../../inference/sam2/types";

const { values } = parseArgs({ options: { frames: { type: "string" }, objects: { type: "string" }, repeats: { type: "string" } } });
const FRAMES = Number(values.frames ?? 12);
const OBJECTS = Number(values.objects ?? 2);
const REPEATS = Number(values.repeats ?? 3);

interface Call {
  session: ort.InferenceSession;
  feeds: ort.InferenceSession.FeedsType;
}

/** Wraps every session's run to record its feeds and time it; returns the function that unwraps them. */
function instrument(set: Sam2ModelSet, calls: Call[], times: Map<string, number>): () => void {
  const modules = [set.encoder, set.decoder, set.attention, set.memoryEncoder];
  for (const m of modules) {
    const session = m.session;
    const run = session.run.bind(session) as (feeds: ort.InferenceSession.FeedsType) => Promise<ort.InferenceSession.ReturnType>;
    Object.defineProperty(session, "run", {
      configurable: true,
      value: async (feeds: ort.InferenceSession.FeedsType) => {
        calls.push({ session, feeds });
        const t = performance.now();
        const out = await run(feeds);
        times.set(m.role, (times.get(m.role) ?? 0) + performance.now() - t);
        return out;
      },
    });
  }
  return () => {
    for (const m of modules) delete (m.session as unknown as Record<string, unknown>).run;
  };
}

const cpuMs = (u: NodeJS.CpuUsage) => (u.user + u.system) / 1000;
let decodeMs = 0;
/** When set, frames come from memory: the loop is measured without ffmpeg/PNG decoding. */
let frameCache: Map<number, RgbImage> | undefined;
const read = FrameReader.prototype.read;
FrameReader.prototype.read = async function (this: FrameReader, frame: number, ahead?: 1 | -1) {
  const cached = frameCache?.get(frame);
  if (cached) return cached;
  const t = performance.now();
  try {
    return await read.call(this, frame, ahead);
  } finally {
    decodeMs += performance.now() - t;
  }
};

async function decodeAll(video: { id: string; path: string; meta: Awaited<ReturnType<typeof generateSyntheticVideo>>["meta"] }): Promise<Map<number, RgbImage>> {
  const reader = new FrameReader(video);
  const out = new Map<number, RgbImage>();
  for (let f = 0; f < video.meta.frameCount; f++) out.set(f, await reader.read(f));
  await reader.close();
  return out;
}

async function benchSet(name: string, spec: TinyModelSpec, work: string, video: { path: string; meta: Awaited<ReturnType<typeof generateSyntheticVideo>>["meta"] }, prompts: MaskPrompt[]): Promise<void> {
  const dir = path.join(work, name);
  writeTinyModels(dir, spec);
  const found = findModelFiles(dir);
  if (!("files" in found)) throw new Error(`model set ${name} incomplete`);
  const set = await loadModelSet(dir, found.files, "cpu");
  const engine = new Sam2MaskEngine(set);
  const rv = { id: name, path: video.path, meta: video.meta };
  // Warm-up (JIT, onnxruntime's first-run allocations), not measured.
  await engine.propagate({ video: rv, prompts, direction: "forward", endFrame: Math.min(video.meta.frameCount - 1, prompts[0].frame + 2) });
  console.log(`\n${name}: ${spec.imageSize}² input, ${spec.channels}×${spec.featSize}² features, ${prompts.length} objects, ${video.meta.frameCount} frames, forward + backward`);
  for (const mode of ["frames in memory", "frames decoded (ffmpeg → PNG, read ahead)"] as const) {
    frameCache = mode === "frames in memory" ? await decodeAll(rv) : undefined;
    const ratios: number[] = [];
    const rows: string[] = [];
    for (let rep = 0; rep < REPEATS; rep++) {
      const calls: Call[] = [];
      const inLoop = new Map<string, number>();
      const restore = instrument(set, calls, inLoop);
      decodeMs = 0;
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      const frames = await engine.propagate({ video: rv, prompts, direction: "both" });
      const loop = performance.now() - t0;
      const loopCpu = cpuMs(process.cpuUsage(c0));
      restore();
      // Reference: the same session.run calls, replayed back to back on the same sessions.
      const c1 = process.cpuUsage();
      const t1 = performance.now();
      for (const c of calls) await c.session.run(c.feeds);
      const ortMs = performance.now() - t1;
      const ortCpu = cpuMs(process.cpuUsage(c1));
      const n = frames.length;
      const per = (ms: number) => (ms / n).toFixed(1);
      ratios.push(loop / ortMs);
      rows.push(`    run ${rep + 1}: per frame loop ${per(loop)} ms, ort ${per(ortMs)} ms → ${(loop / ortMs).toFixed(3)}; process CPU loop ${per(loopCpu)} ms, ort ${per(ortCpu)} ms → ${(loopCpu / ortCpu).toFixed(3)}; ${calls.length} runs`);
    }
    ratios.sort((a, b) => a - b);
    console.log(`  ${mode}: overhead loop / ort (median of ${REPEATS}) ${ratios[Math.floor(REPEATS / 2)].toFixed(3)}`);
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
  console.log(`SAM2 loop overhead over raw onnxruntime-node (CPU), synthetic 320×240 video, clicks on frame ${mid}, forward then backward`);
  await benchSet("tiny", TINY, work, { path: file, meta }, prompts);
  await benchSet("realistic-shapes", REALISTIC, work, { path: file, meta }, prompts);
} finally {
  rmSync(work, { recursive: true, force: true });
}
