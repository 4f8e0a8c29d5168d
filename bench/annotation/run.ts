// npm run bench:annotation — how many corrections a (simulated) annotator needs to turn one seed point into a
// track within 2% of the frame diagonal of the ground truth on every frame, with
//   (a) keyframe interpolation only (what CVAT offers; lib/tracks interpolateTrack), counted two ways:
//       a-greedy  the same rule as the other methods: walk forward, add the true point on the first wrong frame;
//       a-best    an expert with hindsight: from each keyframe, place the next one as far ahead as interpolation
//                 stays correct on every frame in between (a much stronger baseline; the goal ratio uses it);
//   (b) Lucas–Kanade propagation (lib/tracking propagatePoint on the encoded video): propagate forward from the
//       seed; on the first wrong frame add the true point and, when it is visible, re-propagate from it; when it
//       is hidden (occluded / outside) no tracker can follow it, so the annotator interpolates across the hidden
//       stretch with the a-best rule (one more keyframe where interpolation stops being right) and propagates
//       again from there — both tools the annotator page offers;
//   (c) SAM2 mask-centroid propagation, the same loop, when SAM2 weights are installed (models/sam2 or
//       $GROUNDTRACK_SAM2_DIR; the classical fallback engine is not a tracker and is not counted);
//   (c') the built-in MolmoPoint model (the committed default weights, exported to the ONNX contract and run through
//       the built-in runtime): "model proposes, human corrects" — the annotator asks "the <colour> <category>s", takes
//       the proposed track nearest the seed (its keyframes on the frames the model saw, outside where it saw the
//       frame but did not point), and corrects the first wrong frame with a keyframe until the track is right
//       everywhere. The model takes no point prompt, so corrections do not change its proposal.
// A frame is correct when: truth visible → track visible and within the tolerance; truth occluded → track
// occluded and within the tolerance; truth outside → no track point or `outside`.
// Videos: lib/video generateSyntheticVideo, one moving shape per motion type, plus the default five-object scene
// (320×240, H.264).
// Usage: npm run bench:annotation [-- --frames 90 --verbose]   (--verbose lists every propagation correction)
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { generateSyntheticVideo, type GroundTruthPoint, type SyntheticObjectSpec, type VideoMeta } from "../../lib/video";
import { interpolateTrack, type Keyframe, type TrackPoint } from "../../lib/tracks";
import { propagatePoint, type MaskPropagator } from "../../lib/tracking/propagate";
import { seededRandom } from "../../lib/random";
import type { ModelRuntime } from "../../inference/runtime";
import { withAbsences } from "../../trainer/eval/evaluate";
import type { ColourName, ShapeCategory } from "../../lib/video";

const { values } = parseArgs({ options: { frames: { type: "string" }, verbose: { type: "boolean" }, "no-model": { type: "boolean" } } });
const N = Number(values.frames ?? 90);
const W = 320, H = 240;
const TOL = 0.02 * Math.hypot(W, H);

/** `objects` omitted: lib/video's default scene (five shapes: occluder, a pass behind it, an exit/re-entry, distractors), every object tracked. */
type Scenario = { name: string; objects?: SyntheticObjectSpec[] };

function scenarios(): Scenario[] {
  const last = N - 1;
  const every = (fn: (f: number) => { x: number; y: number }) => Array.from({ length: N }, (_, f) => ({ frame: f, ...fn(f) }));
  const rnd = seededRandom(7);
  let x = 160, y = 120, vx = 1.5, vy = -1;
  const walk = every(() => {
    vx = Math.max(-4, Math.min(4, vx + (rnd() - 0.5) * 2.2));
    vy = Math.max(-4, Math.min(4, vy + (rnd() - 0.5) * 2.2));
    x = Math.max(40, Math.min(W - 40, x + vx));
    y = Math.max(40, Math.min(H - 40, y + vy));
    return { x, y };
  });
  const zig = every((f) => ({ x: 40 + (240 * f) / last, y: 120 + 60 * (Math.abs(((f / 8) % 2) - 1) * 2 - 1) }));
  return [
    { name: "linear", objects: [{ id: 1, category: "circle", colour: "yellow", size: 12, path: [{ frame: 0, x: 40, y: 60 }, { frame: last, x: 280, y: 180 }] }] },
    { name: "orbit", objects: [{ id: 1, category: "circle", colour: "cyan", size: 12, path: every((f) => ({ x: 160 + 80 * Math.cos((2 * Math.PI * f) / 60), y: 120 + 70 * Math.sin((2 * Math.PI * f) / 60) })) }] },
    { name: "zigzag (turn every 8 frames)", objects: [{ id: 1, category: "square", colour: "orange", size: 11, path: zig }] },
    { name: "random walk (handheld)", objects: [{ id: 1, category: "triangle", colour: "green", size: 13, path: walk }] },
    {
      name: "occlusion (passes behind a square)",
      objects: [
        { id: 1, category: "circle", colour: "red", size: 12, z: 1, path: every((f) => ({ x: 30 + (260 * f) / last, y: 120 + 25 * Math.sin(f / 6) })) },
        { id: 2, category: "square", colour: "blue", size: 28, z: 5, path: [{ frame: 0, x: 160, y: 120 }] },
      ],
    },
    { name: "default scene, all 5 objects (occluder, exit, distractors)" },
    {
      name: "exit and re-entry",
      objects: [{ id: 1, category: "circle", colour: "magenta", size: 12, path: every((f) => ({ x: 160 - 210 * Math.sin((Math.PI * f) / last), y: 120 + 40 * Math.sin(f / 5) })) }],
    },
  ];
}

function correct(p: TrackPoint | null, g: GroundTruthPoint): boolean {
  if (g.state === "outside") return p === null || p.state === "outside";
  if (!p || p.state !== g.state) return false;
  return Math.hypot(p.x - g.x, p.y - g.y) <= TOL;
}

const truthKeyframe = (g: GroundTruthPoint[], f: number): Keyframe => ({ frame: f, x: g[f].x, y: g[f].y, state: g[f].state, source: "human" });

function firstWrong(kfs: Keyframe[], g: GroundTruthPoint[], from: number): number {
  const dense = interpolateTrack(kfs, { frameCount: N });
  for (let f = from; f < N; f++) if (!correct(dense[f], g[f])) return f;
  return -1;
}

/** Corrections of interpolated keyframes `start`: on the first wrong frame, a truth keyframe (replacing one there). */
function correctedGreedily(start: Keyframe[], g: GroundTruthPoint[]): number {
  let kfs = start;
  let n = 0;
  for (let f = firstWrong(kfs, g, 0); f >= 0; f = firstWrong(kfs, g, f)) {
    kfs = [...kfs.filter((k) => k.frame !== f), truthKeyframe(g, f)].sort((a, b) => a.frame - b.frame);
    n++;
  }
  return n;
}

/** (a) greedy: same rule as the propagation methods. */
function interpolationGreedy(g: GroundTruthPoint[]): number {
  return correctedGreedily([truthKeyframe(g, 0)], g);
}

/** The farthest frame e > k such that interpolating truth keyframes k and e is correct on k..e; k when holding k is correct to the end or none is. */
function farthestInterpolable(g: GroundTruthPoint[], k: number): number {
  const hold = interpolateTrack([truthKeyframe(g, k)], { frameCount: N });
  let fine = true;
  for (let f = k; f < N && fine; f++) fine = correct(hold[f], g[f]);
  if (fine) return k;
  for (let e = N - 1; e > k + 1; e--) {
    const dense = interpolateTrack([truthKeyframe(g, k), truthKeyframe(g, e)], { frameCount: N });
    let ok = true;
    for (let f = k; f <= e && ok; f++) ok = correct(dense[f], g[f]);
    if (ok) return e;
  }
  return k + 1;
}

/** (a) best: from keyframe k, the farthest e whose interpolation from k is correct on k..e; keyframe at e. */
function interpolationBest(g: GroundTruthPoint[]): number {
  let n = 0;
  for (let k = 0, e = farthestInterpolable(g, 0); e > k; k = e, e = farthestInterpolable(g, k)) n++;
  return n;
}

/** (b)/(c): propagate, correct the first wrong frame, re-propagate from it when it is visible. */
async function withPropagation(video: { id: string; path: string; meta: VideoMeta }, g: GroundTruthPoint[], engine?: MaskPropagator): Promise<{ n: number; propagations: number; ms: number }> {
  let kfs: Keyframe[] = [truthKeyframe(g, 0)];
  let n = 0;
  let propagations = 0;
  const t0 = performance.now();
  const propagateFrom = async (f: number) => {
    if (g[f].state !== "visible" || f === N - 1) return;
    const r = await propagatePoint({ video, from: { frame: f, x: g[f].x, y: g[f].y }, direction: "forward", maskEngine: engine });
    propagations++;
    // Re-propagation replaces what an earlier propagation put after this frame.
    kfs = [...kfs.filter((k) => k.frame <= f || k.source === "human"), ...r.keyframes];
  };
  await propagateFrom(0);
  for (let f = firstWrong(kfs, g, 0); f >= 0; f = firstWrong(kfs, g, f)) {
    if (values.verbose) {
      const p = interpolateTrack(kfs, { frameCount: N })[f];
      process.stderr.write(`  correction at ${f}: truth ${g[f].state} (${g[f].x.toFixed(1)}, ${g[f].y.toFixed(1)}), track ${p ? `${p.state} (${p.x.toFixed(1)}, ${p.y.toFixed(1)})` : "none"}\n`);
    }
    kfs = [...kfs.filter((k) => k.frame < f), truthKeyframe(g, f)];
    n++;
    if (g[f].state !== "visible") {
      // No tracker follows a hidden point: across the hidden stretch the annotator interpolates, placing the
      // next keyframe as far ahead as interpolation stays correct (the a-best rule), then propagates from it.
      const e = farthestInterpolable(g, f);
      if (e > f) {
        kfs.push(truthKeyframe(g, e));
        n++;
        await propagateFrom(e);
        f = e;
      }
      continue;
    }
    await propagateFrom(f);
  }
  return { n, propagations, ms: performance.now() - t0 };
}

/** The proposal of the built-in model for `spec`'s colour and category: the proposed track nearest the seed. */
async function modelKeyframes(runtime: ModelRuntime, video: { id: string; path: string; meta: VideoMeta }, spec: { colour: ColourName; category: ShapeCategory }, g: GroundTruthPoint[]): Promise<Keyframe[]> {
  const expression = `the ${spec.colour} ${spec.category}s`;
  const r = await runtime.query({ video, expression, signal: new AbortController().signal });
  let best: Keyframe[] = [];
  let bestD = Infinity;
  for (const o of r.tracks.objects) {
    // Read as trainer/eval reads answers: outside on the frames the model saw without pointing at the object.
    const kfs = withAbsences(o.keyframes, r.sampledFrames);
    if (!kfs.length) continue;
    const p = interpolateTrack(kfs, { frameCount: N })[0];
    const d = p && p.state === "visible" ? Math.hypot(p.x - g[0].x, p.y - g[0].y) : Infinity;
    if (d < bestD) (bestD = d), (best = kfs);
  }
  return best;
}

/** (c'): the model's proposal, corrected frame by frame (first wrong frame → a truth keyframe there). */
async function withModel(runtime: ModelRuntime, video: { id: string; path: string; meta: VideoMeta }, spec: { colour: ColourName; category: ShapeCategory }, g: GroundTruthPoint[]): Promise<{ n: number; proposed: number }> {
  const proposal = (await modelKeyframes(runtime, video, spec, g)).filter((k) => k.frame > 0);
  return { n: correctedGreedily([truthKeyframe(g, 0), ...proposal], g), proposed: proposal.length };
}

/** The committed default weights exported to the built-in contract in `dir` (npm start does the same). */
async function builtinModel(dir: string): Promise<ModelRuntime | undefined> {
  if (values["no-model"]) return undefined;
  const weights = path.resolve(import.meta.dirname, "..", "..", "trainer", "weights", "default");
  if (!existsSync(path.join(weights, "model.safetensors"))) return undefined;
  const { exportBuiltinModel } = await import("../../trainer/model/export-onnx");
  const modelDir = path.join(dir, "builtin-model");
  await exportBuiltinModel(weights, modelDir);
  const { createRuntime } = await import("../../inference/runtimes");
  return createRuntime("built-in", { modelDir, log: () => {} });
}

async function sam2Engine(): Promise<MaskPropagator | undefined> {
  const dir = process.env.GROUNDTRACK_SAM2_DIR ?? path.resolve(import.meta.dirname, "..", "..", "models", "sam2");
  if (!existsSync(dir) || !readdirSync(dir).some((f) => f.endsWith(".onnx"))) return undefined;
  const { createMaskEngine } = await import("../../inference/sam2");
  const e = await createMaskEngine({ modelsDir: dir });
  return e.engine.startsWith("sam2:") ? e : undefined;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), "gt-bench-annotation-"));
  const sam2 = await sam2Engine();
  const model = await builtinModel(dir);
  console.log(`${N} frames, ${W}x${H}; tolerance 2% of the diagonal = ${TOL.toFixed(1)} px; corrections beyond the seed keyframe`);
  console.log(sam2 ? `(c) SAM2 engine: ${sam2.engine}` : "(c) SAM2: no weights installed (models/sam2 or $GROUNDTRACK_SAM2_DIR) — column n/a");
  console.log(model ? `(c') built-in model: ${model.engine} (trainer/weights/default)` : "(c') built-in model: off (--no-model or no trainer/weights/default)");
  const rows: string[][] = [];
  const totals = { greedy: 0, best: 0, lk: 0, sam2: 0, model: 0 };
  try {
    for (const [i, s] of scenarios().entries()) {
      const file = path.join(dir, `s${i}.mp4`);
      const { meta, groundTruth } = await generateSyntheticVideo(file, { width: W, height: H, frames: N, fps: 30, objects: s.objects }, i + 1);
      const video = { id: `s${i}`, path: file, meta };
      const tracked = s.objects ? [groundTruth.objects[0]] : groundTruth.objects;
      let greedy = 0, best = 0;
      const lk = { n: 0, propagations: 0, ms: 0 };
      let sm: { n: number } | null = sam2 ? { n: 0 } : null;
      const md = { n: 0, proposed: 0 };
      for (const o of tracked) {
        const g = o.track;
        if (g[0].state !== "visible") continue; // the seed must be a visible point
        greedy += interpolationGreedy(g);
        best += interpolationBest(g);
        const r = await withPropagation(video, g);
        lk.n += r.n;
        lk.propagations += r.propagations;
        lk.ms += r.ms;
        if (sm && sam2) sm = { n: sm.n + (await withPropagation(video, g, sam2)).n };
        if (model) {
          const r = await withModel(model, video, o, g);
          md.n += r.n;
          md.proposed += r.proposed;
        }
      }
      totals.greedy += greedy;
      totals.best += best;
      totals.lk += lk.n;
      totals.sam2 += sm?.n ?? 0;
      totals.model += md.n;
      const ratio = (a: number, b: number) => (b === 0 ? (a === 0 ? "1.0" : "∞") : (a / b).toFixed(1));
      rows.push([s.name, String(greedy), String(best), String(lk.n), sm ? String(sm.n) : "n/a", model ? `${md.n} (${md.proposed} kf)` : "n/a", ratio(best, lk.n), ratio(greedy, lk.n), sm ? ratio(best, sm.n) : "n/a", model ? ratio(greedy, md.n) : "n/a", `${lk.propagations} runs, ${(lk.ms / 1000).toFixed(1)} s`]);
      process.stderr.write(`done: ${s.name}\n`);
    }
    const ratio = (a: number, b: number) => (b === 0 ? "∞" : (a / b).toFixed(1));
    rows.push(["TOTAL", String(totals.greedy), String(totals.best), String(totals.lk), sam2 ? String(totals.sam2) : "n/a", model ? String(totals.model) : "n/a", ratio(totals.best, totals.lk), ratio(totals.greedy, totals.lk), sam2 ? ratio(totals.best, totals.sam2) : "n/a", model ? ratio(totals.greedy, totals.model) : "n/a", ""]);
    const head = ["motion", "(a) greedy", "(a) best", "(b) LK", "(c) SAM2", "(c') model", "a-best/LK", "a-greedy/LK", "a-best/SAM2", "a-greedy/model", "LK work"];
    const widths = head.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
    const line = (r: string[]) => r.map((v, c) => (c === 0 ? v.padEnd(widths[c]) : v.padStart(widths[c]))).join("  ");
    console.log("");
    console.log(line(head));
    for (const r of rows) console.log(line(r));
    const goal = (base: number, m: number) => (m > 0 ? base / m : Infinity);
    const verdict = (r: number) => `${r === Infinity ? "∞" : r.toFixed(1)}× — ${r >= 5 ? "met" : "NOT met"}`;
    console.log(`\ngoal ≥5× fewer corrections than interpolation, over all motions:`);
    console.log(`  LK vs a-greedy (same correction rule for both): ${verdict(goal(totals.greedy, totals.lk))}`);
    console.log(`  LK vs a-best (interpolation placed with hindsight): ${verdict(goal(totals.best, totals.lk))}`);
    if (sam2) console.log(`  SAM2 vs a-best: ${verdict(goal(totals.best, totals.sam2))}`);
    if (model) console.log(`  built-in model vs a-greedy (same correction rule): ${verdict(goal(totals.greedy, totals.model))}; vs a-best: ${verdict(goal(totals.best, totals.model))}`);
  } finally {
    await (sam2 as { close?: () => Promise<void> } | undefined)?.close?.();
    await model?.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.stack : e);
  process.exit(1);
});
