// npm run bench:sam2 — the SAM2 propagation loop's own cost over onnxruntime.
//
// Model sets: "tiny" test models (128² input); "realistic-shapes" (real SAM2 tensor shapes: 1024² input,
// 256×64² features, 32/64-channel high-res maps, 64-channel memory, 256-d pointers, but cheap graphs); and
// "heavy-encoder" (the same plus ~19 GFLOP of convolutions in the image encoder, near a real SAM2-tiny encoder's
// cost). Each propagates clicks through a synthetic video, forward then backward.
//
// Method (robust on a shared machine):
// - one untimed recording pass of the sequential loop (pipeline: false, every model on this thread) wraps every
//   session.run to write a copy of its feeds to a file (the loop reuses its input buffers, so copies are needed;
//   on disk, because gigabytes held in memory would slow the loop's ffmpeg spawns) — the copying and its garbage
//   never fall inside a timed round; the pipelined loop makes the same calls (its encoder
//   runs on a worker session of the same file and options) and must give the same masks, bit for bit;
// - then rounds alternate: the loop (engine.propagate, sessions unwrapped), then the recorded calls replayed one
//   after the other on the same sessions (same session options: the fair reference; each call's feeds are read
//   from the file just before it, and only the runs are timed: wall and process CPU summed over them), then the
//   loop again, … (ABAB);
//   each loop round is paired with the replay that follows it, and the report gives the median of the per-pair
//   ratios and their spread (min–max), next to the process CPU ratio (every thread: onnxruntime's, the workers').
// - "pipelined" (pipeline: true, image encoder one frame ahead on a worker; the default for encoders of 8 ms or
//   more) and "sequential" (pipeline: false)
//   are measured against the same replay. The replay runs every call back to back on ONE thread, so a pipelined
//   loop can finish in less wall time than its replay (ratio < 1): it hides the other models behind the encoder
//   on the second core, the models themselves are no faster — the process CPU ratio (every thread) says what the
//   loop costs on top of the models.
// Reported per frame:
//   loop      wall time of engine.propagate (ffmpeg and frame files included unless "frames in memory", where the
//             decoded frames are in memory, as after SAM2's init_state; preprocessing is always in)
//   ort       the replayed session.run time for the same calls
//   first result: when the prompted frame's masks came out (start-up: from the video, the first chunk is decoded
//             then), and the wall ratio after it: the rest of the loop against the replay of the calls after the
//             first result (the recorded sequential loop's; the headline ratio is the whole run's)
//   main thread: busy (event-loop utilisation) ≈ the models' time on it (onnxruntime-node runs session.run
//   synchronously on the JS thread; pipelined: all but the encoder) + the loop's JS work; idle = waiting for a
//   worker or the frame decoder.
// Usage: npm run bench:sam2 [-- --frames N --objects K --rounds R --sets tiny,realistic-shapes,heavy-encoder
//                              --modes memory,decoded --pipeline on,off --threads N (0 = onnxruntime's default) --spin 0|1
//                              --size WIDTHxHEIGHT (the video; default 320x240)]
import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import path from "node:path";
import { PerformanceObserver, constants, performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import * as ort from "onnxruntime-node";
import { generateSyntheticVideo } from "../../lib/video";
import { FrameReader } from "../../inference/sam2/frames";
import { DEFAULT_SESSION_TUNING, findModelFiles, gcMode, loadModelSet, type Sam2ModelSet, type SessionTuning } from "../../inference/sam2/models";
import { Sam2MaskEngine } from "../../inference/sam2/sam2-engine";
import { HEAVY_ENCODER, REALISTIC, TINY, writeTinyModels, type TinyModelSpec } from "../../inference/sam2/testing/tiny-models";
import type { RgbImage } from "../../inference/sam2/image";
import type { MaskPrompt } from "../../inference/sam2/types";

const { values } = parseArgs({
  options: { frames: { type: "string" }, objects: { type: "string" }, rounds: { type: "string" }, repeats: { type: "string" }, sets: { type: "string" }, modes: { type: "string" }, pipeline: { type: "string" }, threads: { type: "string" }, spin: { type: "string" }, size: { type: "string" } },
});
const FRAMES = Number(values.frames ?? 12);
// The video's size (the models always see 1024²; larger frames cost the loop more to read and resize).
const [WIDTH, HEIGHT] = (values.size ?? "320x240").split("x").map(Number);
if (!(WIDTH >= 64 && HEIGHT >= 64 && Number.isInteger(WIDTH) && Number.isInteger(HEIGHT))) throw new Error(`--size: WIDTHxHEIGHT, at least 64x64, not "${values.size}"`);
const OBJECTS = Number(values.objects ?? 2);
const ROUNDS = Number(values.rounds ?? values.repeats ?? 5);
const SETS = (values.sets ?? "tiny,realistic-shapes,heavy-encoder").split(",");
const MODES = (values.modes ?? "memory,decoded").split(",");
const PIPELINES = (values.pipeline ?? "on,off").split(",").map((x) => {
  if (x !== "on" && x !== "off") throw new Error(`--pipeline: "on", "off" or "on,off", not "${x}"`);
  return x === "on";
});
// Session settings (default: the loop's, DEFAULT_SESSION_TUNING); loop and replay always share the sessions.
const TUNING: SessionTuning = {
  intraOpThreads: Number(values.threads ?? DEFAULT_SESSION_TUNING.intraOpThreads),
  spinning: values.spin === undefined ? DEFAULT_SESSION_TUNING.spinning : values.spin === "1",
};

// A full collection before every timed round, so neither side pays for the other's garbage.
setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;
/** Garbage-collection pause time (ms) on the main thread since start-up, excluding the forced collections. */
const gcPauses = { ms: 0, major: 0, forced: false };
new PerformanceObserver((list) => {
  if (gcPauses.forced) return;
  for (const e of list.getEntries()) {
    gcPauses.ms += e.duration;
    if (((e as unknown as { detail?: { kind?: number } }).detail)?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) gcPauses.major++;
  }
}).observe({ entryTypes: ["gc"] });
/** A full collection outside the measurements (observer entries arrive asynchronously, hence the wait). */
async function collect(): Promise<void> {
  await new Promise((r) => setImmediate(r));
  gcPauses.forced = true;
  gc();
  await new Promise((r) => setTimeout(r, 20));
  gcPauses.forced = false;
}

/** A recorded feed, kept in the feed file (see FeedFile). */
interface StoredTensor {
  name: string;
  type: "float32" | "int64" | "int32";
  dims: readonly number[];
  offset: number;
  bytes: number;
}

interface Call {
  role: string;
  session: ort.InferenceSession;
  feeds: StoredTensor[];
}

/**
 * The recorded feeds, on disk rather than in memory: at 48 frames they are ~5 GB, and a process that large pays
 * for every ffmpeg spawn of the loop (fork copies its page tables: ~20 ms per GB held, measured here), a cost of
 * the benchmark, not of the loop. The replay loads them back before its timed section.
 */
class FeedFile {
  private readonly fd: number;
  private size = 0;
  constructor(readonly file: string) {
    this.fd = openSync(file, "w+");
  }

  put(name: string, t: ort.Tensor): StoredTensor {
    const d = t.data;
    const type = d instanceof Float32Array ? "float32" : d instanceof BigInt64Array ? "int64" : d instanceof Int32Array ? "int32" : undefined;
    if (!type || !ArrayBuffer.isView(d)) throw new Error(`bench: cannot record a ${t.type} tensor`);
    const bytes = new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
    writeSync(this.fd, bytes, 0, bytes.length, this.size);
    const stored = { name, type, dims: [...t.dims], offset: this.size, bytes: bytes.length } as const;
    this.size += bytes.length;
    return stored;
  }

  /** @param scratch reused buffers (key: feed slot and size): replaying makes no garbage of its own */
  load(s: StoredTensor, slot: number, scratch: Map<string, ArrayBuffer>): ort.Tensor {
    const key = `${slot}:${s.bytes}`;
    const buf = scratch.get(key) ?? new ArrayBuffer(s.bytes);
    scratch.set(key, buf);
    if (readSync(this.fd, new Uint8Array(buf), 0, s.bytes, s.offset) !== s.bytes) throw new Error(`bench: short read of ${this.file}`);
    const data = s.type === "float32" ? new Float32Array(buf) : s.type === "int64" ? new BigInt64Array(buf) : new Int32Array(buf);
    return new ort.Tensor(s.type, data, s.dims);
  }

  close(): void {
    closeSync(this.fd);
    rmSync(this.file, { force: true });
  }
}

const modulesOf = (set: Sam2ModelSet) => [set.encoder, set.decoder, set.attention, set.memoryEncoder];

/** Wraps every session's run: with `record`, the feeds are written to its feed file, otherwise calls are only counted. */
function instrument(set: Sam2ModelSet, record: { calls: Call[]; file: FeedFile } | null, count: { n: number; ms: number }): () => void {
  const modules = modulesOf(set);
  for (const m of modules) {
    const session = m.session;
    const run = session.run.bind(session) as (feeds: Record<string, ort.Tensor>) => Promise<ort.InferenceSession.ReturnType>;
    Object.defineProperty(session, "run", {
      configurable: true,
      value: (feeds: Record<string, ort.Tensor>) => {
        count.n++;
        if (record) record.calls.push({ role: m.role, session, feeds: Object.entries(feeds).map(([k, v]) => record.file.put(k, v)) });
        // onnxruntime-node runs the model synchronously in a setImmediate callback; an immediate queued just before
        // it marks the start, the first reaction to its promise the end (the model's time on the main thread).
        let start = 0;
        setImmediate(() => (start = performance.now()));
        const out = run(feeds);
        void out.then(() => (count.ms += performance.now() - start), () => {});
        return out;
      },
    });
  }
  return () => {
    for (const m of modules) delete (m.session as unknown as Record<string, unknown>).run;
  };
}

/** When set, frames come from memory: the loop is measured without ffmpeg and disk reads. */
let frameCache: Map<number, RgbImage> | undefined;
const readFrame = FrameReader.prototype.read;
FrameReader.prototype.read = async function (this: FrameReader, frame: number, ahead?: 1 | -1) {
  return frameCache?.get(frame) ?? readFrame.call(this, frame, ahead);
};
const leaseFile = FrameReader.prototype.leaseFile;
FrameReader.prototype.leaseFile = async function (this: FrameReader, frame: number, ahead?: 1 | -1) {
  return frameCache?.get(frame) ?? leaseFile.call(this, frame, ahead);
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
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const spread = (xs: number[]) => `${Math.min(...xs).toFixed(3)}–${Math.max(...xs).toFixed(3)}`;
const load = () => loadavg().map((x) => x.toFixed(2)).join(" ");

async function benchSet(name: string, spec: TinyModelSpec, work: string, video: { path: string; meta: Meta }, prompts: MaskPrompt[], modes: readonly string[]): Promise<void> {
  const dir = path.join(work, name);
  writeTinyModels(dir, spec);
  const found = findModelFiles(dir);
  if (!("files" in found)) throw new Error(`model set ${name} incomplete`);
  const set = await loadModelSet(dir, found.files, "cpu", () => {}, TUNING);
  // The sequential loop records the calls; each measured loop shares its sessions (the pipelined one adds a worker
  // session of the encoder).
  const recorder = new Sam2MaskEngine(set, { pipeline: false });
  const engines = new Map(PIPELINES.map((on) => [on, on ? new Sam2MaskEngine(set, { pipeline: true }) : recorder]));
  const rv = { id: name, path: video.path, meta: video.meta };
  const req = { video: rv, prompts, direction: "both" as const };
  // Warm-up (JIT on every thread, onnxruntime's first-run allocations), not measured.
  for (const engine of new Set([recorder, ...engines.values()])) {
    await engine.propagate({ video: rv, prompts, direction: "forward", endFrame: Math.min(video.meta.frameCount - 1, prompts[0].frame + 2) });
  }
  const gflop = spec.encoderConvs ? ` + ${((spec.encoderConvs * 18 * spec.channels ** 2 * spec.featSize ** 2) / 1e9).toFixed(1)} GFLOP of encoder convolutions` : "";
  console.log(`\n${name}: ${spec.imageSize}² input, ${spec.channels}×${spec.featSize}² features${gflop}, ${prompts.length} objects, ${video.meta.frameCount} frames, forward + backward`);
  // What the default ("auto") engine chooses on these models, from its own timed first tracked frame.
  const auto = new Sam2MaskEngine(set);
  await auto.propagate({ video: rv, prompts, direction: "forward", endFrame: Math.min(video.meta.frameCount - 1, prompts[0].frame + 2) });
  const d = auto.pipeline.decision;
  console.log(`  auto mode: ${d ? `${d.pipelined ? "pipelined" : "sequential"} (encoder ${d.encoderMs.toFixed(1)} ms, the rest of the timed frame ${d.mainMs.toFixed(1)} ms)` : "no decision (no encoder run or not a candidate)"}`);
  await auto.closeWorkers();
  for (const mode of modes) {
    frameCache = mode === "memory" ? await decodeAll(rv) : undefined;
    // Untimed recording pass: the calls the replay repeats.
    const calls: Call[] = [];
    const recorded = { n: 0, ms: 0 };
    const file = new FeedFile(path.join(work, `${name}-${mode}.feeds`));
    const unwrap = instrument(set, { calls, file }, recorded);
    // The calls made before the first result (the prompted frame): the replay's share of the start-up.
    let callsBeforeFirst = -1;
    const expected = JSON.stringify(await recorder.propagate({ ...req, onFrame: () => void (callsBeforeFirst < 0 && (callsBeforeFirst = calls.length)) }));
    unwrap();
    for (const [pipelined, engine] of engines) {
    const ratios: number[] = [];
    const steadyRatios: number[] = [];
    const firstMs: number[] = [];
    const cpuRatios: number[] = [];
    const rows: string[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      // A: the loop. Only a call counter wraps the sessions (to check the replay repeats exactly these calls).
      const count = { n: 0, ms: 0 };
      const uncount = instrument(set, null, count);
      const workerRuns0 = engine.pipeline.workerRuns;
      await collect();
      const g0 = gcPauses.ms;
      const m0 = gcPauses.major;
      const elu0 = performance.eventLoopUtilization();
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      let first = 0;
      const frames = await engine.propagate({ ...req, onFrame: () => void (first ||= performance.now() - t0) });
      const loop = performance.now() - t0;
      const loopCpu = cpuMs(process.cpuUsage(c0));
      const elu = performance.eventLoopUtilization(elu0);
      await new Promise((r) => setImmediate(r));
      const loopGc = gcPauses.ms - g0;
      const loopMajor = gcPauses.major - m0;
      uncount();
      const runs = count.n + engine.pipeline.workerRuns - workerRuns0;
      if (runs !== calls.length || JSON.stringify(frames) !== expected) throw new Error(`bench: round ${round + 1} differs from the recorded pass (${runs} vs ${calls.length} runs)`);
      // B: the same session.run calls, one after the other on the same sessions. Each call's feeds are read from
      // the feed file just before it (outside its timing; into reused buffers, so the replay makes no garbage of its
      // own): wall and CPU are summed over the runs themselves.
      await collect();
      const g1 = gcPauses.ms;
      const m1 = gcPauses.major;
      const byRole = new Map<string, number>();
      let ortMs = 0;
      let ortCpu = 0;
      const scratch = new Map<string, ArrayBuffer>();
      let ortBeforeFirst = 0;
      for (const [i, c] of calls.entries()) {
        if (i === callsBeforeFirst) ortBeforeFirst = ortMs;
        const feeds = Object.fromEntries(c.feeds.map((f, i) => [f.name, file.load(f, i, scratch)]));
        const c1 = process.cpuUsage();
        const t = performance.now();
        await c.session.run(feeds);
        const ms = performance.now() - t;
        ortCpu += cpuMs(process.cpuUsage(c1));
        ortMs += ms;
        byRole.set(c.role, (byRole.get(c.role) ?? 0) + ms);
      }
      await new Promise((r) => setImmediate(r));
      const ortGc = gcPauses.ms - g1;
      const ortMajor = gcPauses.major - m1;
      const n = frames.length;
      const per = (ms: number) => (ms / n).toFixed(1);
      ratios.push(loop / ortMs);
      // After the first result: the loop's steady state against the replay of the calls after that point.
      steadyRatios.push((loop - first) / (ortMs - ortBeforeFirst));
      firstMs.push(first);
      cpuRatios.push(loopCpu / ortCpu);
      const roles = [...byRole].map(([r, ms]) => `${ROLE_NAMES[r] ?? r} ${per(ms)}`).join(", ");
      rows.push(
        `    round ${round + 1}: per frame loop ${per(loop)} ms, ort ${per(ortMs)} ms (${roles}) → ${(loop / ortMs).toFixed(3)} | ` +
          `first result after ${first.toFixed(0)} ms (its calls replayed: ${ortBeforeFirst.toFixed(0)} ms), after it ${((loop - first) / (ortMs - ortBeforeFirst)).toFixed(3)} | ` +
          `main thread busy ${per(elu.active)} (models ${pipelined ? "but the encoder " : ""}${per(count.ms)} + JS ${per(elu.active - count.ms)}), idle ${per(elu.idle)} | ` +
          `GC pauses loop ${per(loopGc)} (${loopMajor} major), replay ${per(ortGc)} (${ortMajor} major) | ` +
          `process CPU loop ${per(loopCpu)} ms, ort ${per(ortCpu)} ms → ${(loopCpu / ortCpu).toFixed(3)} | ${calls.length} runs | load ${load()}`,
      );
    }
    const wall = median(ratios);
    console.log(
      `  ${pipelined ? "pipelined" : "sequential"}, ${mode === "memory" ? "frames in memory" : "frames decoded from the video (ffmpeg → raw RGB files, read ahead)"}: wall loop / ort median ${wall.toFixed(3)} ` +
        `(spread ${spread(ratios)}, ${ROUNDS} ABAB rounds); process CPU loop / ort median ${median(cpuRatios).toFixed(3)} (spread ${spread(cpuRatios)})` +
        (wall < 1 ? " — wall < 1: the loop hides the other models behind the encoder on the second core, it does not make them faster; the CPU ratio is its cost" : "") +
        `; first result after median ${median(firstMs).toFixed(0)} ms, wall after it median ${median(steadyRatios).toFixed(3)} (spread ${spread(steadyRatios)})`,
    );
    for (const r of rows) console.log(r);
    }
    file.close();
  }
  frameCache = undefined;
  for (const engine of engines.values()) if (engine !== recorder) await engine.closeWorkers();
  await recorder.close();
}

const work = mkdtempSync(path.join(tmpdir(), "gt-bench-sam2-"));
try {
  const file = path.join(work, "bench.mp4");
  const { meta, groundTruth } = await generateSyntheticVideo(file, {
    width: WIDTH, height: HEIGHT, frames: FRAMES, fps: 10,
    // The same scene at any size: positions and sizes scale with the frame (320×240 is the reference layout).
    objects: [
      { id: 1, category: "square", colour: "red", size: Math.round((20 * WIDTH) / 320), path: [{ frame: 0, x: (50 * WIDTH) / 320, y: (60 * HEIGHT) / 240 }, { frame: FRAMES - 1, x: (270 * WIDTH) / 320, y: (180 * HEIGHT) / 240 }] },
      { id: 2, category: "circle", colour: "blue", size: Math.round((22 * WIDTH) / 320), path: [{ frame: 0, x: (260 * WIDTH) / 320, y: (60 * HEIGHT) / 240 }, { frame: FRAMES - 1, x: (70 * WIDTH) / 320, y: (190 * HEIGHT) / 240 }] },
    ],
  }, 5);
  const mid = Math.floor(FRAMES / 3);
  const prompts: MaskPrompt[] = groundTruth.objects.slice(0, OBJECTS).map((o) => ({ frame: mid, objectId: String(o.id), points: [[o.track[mid].x, o.track[mid].y, 1]] }));
  console.log(`SAM2 loop overhead over raw onnxruntime-node (CPU), synthetic ${WIDTH}×${HEIGHT} video, clicks on frame ${mid}, forward then backward; onnxruntime intra-op threads ${TUNING.intraOpThreads || "default"}, spinning ${TUNING.spinning ? "on" : "off"}; ${gcMode()}; load average ${load()}`);
  if (SETS.includes("tiny")) await benchSet("tiny", TINY, work, { path: file, meta }, prompts, MODES);
  if (SETS.includes("realistic-shapes")) await benchSet("realistic-shapes", REALISTIC, work, { path: file, meta }, prompts, MODES);
  // The heavy set is measured on the real pipeline only (frames decoded from the file): its runs take seconds.
  if (SETS.includes("heavy-encoder")) await benchSet("heavy-encoder", HEAVY_ENCODER, work, { path: file, meta }, prompts, MODES.filter((m) => m === "decoded"));
} finally {
  rmSync(work, { recursive: true, force: true });
}
