// Benchmark: MolmoPoint codec throughput (points/s) of lib/grounding against the reference Python codec
// (allenai/molmo2 get_patch_coordinates + token_ids_to_coordinates) measured in the same run, and the
// output cost in tokens per point against Molmo2 text coordinates.
// Usage: MOLMO2_REF_DIR=<allenai/molmo2 checkout> npx tsx bench/grounding/codec.ts
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { buildImageGrid, decodeTargets, encodeNormalizedPoint, type PointTarget } from "../../lib/grounding";

const N_POINTS = 200000;
const REF_POINTS = 2000;
const REF_FILE = "olmo/models/molmo_point/molmo_point_example_preprocessor.py";

// Deterministic pseudo-random points (LCG) so both codecs see the same input.
function points(n: number): [number, number][] {
  let s = 12345;
  const r = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  return Array.from({ length: n }, () => [r(), r()] as [number, number]);
}

const grid = buildImageGrid(1920, 1080, 24);
const pts = points(N_POINTS);

function timeOurs(n: number): { encode: number; decode: number } {
  const sub = pts.slice(0, n);
  let t0 = performance.now();
  const targets: PointTarget[] = sub.map(([x, y]) => encodeNormalizedPoint(grid, x, y));
  const enc = performance.now() - t0;
  t0 = performance.now();
  decodeTargets(grid, targets);
  const dec = performance.now() - t0;
  return { encode: n / (enc / 1000), decode: n / (dec / 1000) };
}

/** Reads a file of the reference from a working tree or, failing that, from a git directory's HEAD. */
function readReference(dir: string): string | null {
  const p = path.join(dir, REF_FILE);
  if (existsSync(p)) return readFileSync(p, "utf8");
  const r = spawnSync("git", ["-C", dir, "show", `HEAD:${REF_FILE}`], { encoding: "utf8", maxBuffer: 1 << 26 });
  return r.status === 0 ? r.stdout : null;
}

// Loads the two reference functions from the given source (stdin JSON carries the source and the grid)
// and times them on the same points.
const PY = String.raw`
import ast, json, sys, time, math, logging, textwrap
import numpy as np
inp = json.load(sys.stdin)
src = inp["source"]; tree = ast.parse(src); ns = {"np": np, "math": math, "log": logging.getLogger("ref"), "NO_POINTS_LABEL": 1000000}
for node in tree.body:
    if isinstance(node, ast.FunctionDef) and node.name == "get_patch_coordinates":
        exec(ast.get_source_segment(src, node), ns)
    if isinstance(node, ast.ClassDef) and node.name == "MolmoPointExamplePreprocessor":
        for m in node.body:
            if isinstance(m, ast.FunctionDef) and m.name == "token_ids_to_coordinates":
                exec(textwrap.dedent(ast.get_source_segment(src, m, padded=True)), ns)
mapping = np.array(inp["mapping"], np.int32).reshape(inp["mapH"], inp["mapW"])
pooling = np.array(inp["pooling"], np.int32).reshape(-1, inp["cells"])
pts = inp["points"]
t0 = time.perf_counter()
targets = [ns["get_patch_coordinates"](p, mapping, pooling, "3x3") for p in pts]
enc = time.perf_counter() - t0
t0 = time.perf_counter()
ns["token_ids_to_coordinates"](None, targets, {"token_pooling": pooling, "vit_patch_mapping": mapping, "image_size": (1920, 1080)}, "3x3")
dec = time.perf_counter() - t0
print(json.dumps({"encode": len(pts) / enc, "decode": len(pts) / dec, "targets": [list(map(int, t)) for t in targets[:50]]}))
`;

function timeReference(): { encode: number; decode: number } | string {
  const dir = process.env.MOLMO2_REF_DIR;
  if (!dir) return "MOLMO2_REF_DIR not set: reference codec not found";
  const source = readReference(dir);
  if (source === null) return `reference not found: ${REF_FILE} is not in ${dir}`;
  const input = JSON.stringify({
    source, mapping: Array.from(grid.tokenMapping), mapH: grid.mapH, mapW: grid.mapW, pooling: Array.from(grid.tokenPooling),
    cells: grid.cells, points: pts.slice(0, REF_POINTS),
  });
  const r = spawnSync("python3", ["-c", PY], { input, encoding: "utf8", maxBuffer: 1 << 26 });
  if (r.status !== 0) return `reference run failed: ${r.stderr.trim().split("\n").at(-1)}`;
  const out = JSON.parse(r.stdout) as { encode: number; decode: number; targets: number[][] };
  // Sanity: both codecs agree on the first targets, so the timing compares equal work.
  const ours = pts.slice(0, out.targets.length).map(([x, y]) => encodeNormalizedPoint(grid, x, y));
  const same = ours.every((t, i) => t.patch === out.targets[i][0] && t.subpatch === out.targets[i][1] && t.location === out.targets[i][2]);
  if (!same) return "reference and ours disagree on the sample targets (not timed)";
  return out;
}

const fmt = (v: number) => `${Math.round(v).toLocaleString("en-US")} points/s`;
timeOurs(2000); // warm-up (JIT)
// Best of 3 runs of ours (timer noise); the reference is timed once on fewer points (it is slow).
const runs = [timeOurs(N_POINTS), timeOurs(N_POINTS), timeOurs(N_POINTS)];
const ours = { encode: Math.max(...runs.map((r) => r.encode)), decode: Math.max(...runs.map((r) => r.decode)) };
const ref = timeReference();
console.log(`grid: 1920x1080 image, max_crops 24 → ${grid.nTokens} tokens (${grid.nGlobalTokens} global)`);
console.log(`ours       encode ${fmt(ours.encode)}   decode ${fmt(ours.decode)}   (${N_POINTS} points)`);
if (typeof ref === "string") {
  console.log(`reference  ${ref}`);
} else {
  console.log(`reference  encode ${fmt(ref.encode)}   decode ${fmt(ref.decode)}   (${REF_POINTS} points, python3 + numpy)`);
  console.log(`ratio ours/reference: encode ×${(ours.encode / ref.encode).toFixed(1)}, decode ×${(ours.decode / ref.decode).toFixed(1)}`);
}

// Output cost: a MolmoPoint point is <PATCH><SUBPATCH><LOCATION> + id digits (+1 terminator per answer);
// a Molmo2 text point "id x y" costs 8 tokens (digits tokenized singly, 3-digit coordinates) for a one-digit id,
// i.e. 7 + id digits.
let s = 7;
const rnd = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
let nPoints = 0;
let mp = 0;
let text = 0;
for (let answer = 0; answer < 1000; answer++) {
  const n = 1 + Math.floor(rnd() * 40);
  for (let id = 1; id <= n; id++) {
    const digits = String(id).length;
    mp += 3 + digits;
    text += 7 + digits;
  }
  mp += 1; // no-more-points terminator
  nPoints += n;
}
console.log(`tokens/point on ${nPoints} points (1000 answers, 1–40 points each, ids 1..n):`);
console.log(`  MolmoPoint ${(mp / nPoints).toFixed(2)} (3 + id digits, + terminator)   Molmo2 text ${(text / nPoints).toFixed(2)} (8 for 1-digit ids)   ratio ${(mp / text).toFixed(3)}`);
