// Benchmark: `groundtrack eval mot` vs TrackEval (python3, checkout at $TRACKEVAL_DIR, numpy aliases patched) on a
// generated MOT-size case, timed in the same run. Prints the speed ratio and whether every value is identical.
// Both are run --repeat times (default 3), alternately, and the medians are compared (wall and CPU separately).
// Usage: npm run bench:metrics   (or: node --import tsx bench/metrics/mot.ts [--frames N] [--repeat N] [--keep])
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { HOTA_ALPHAS, HOTA_FLOAT_ARRAY_FIELDS, HOTA_FLOAT_FIELDS, HOTA_INTEGER_ARRAY_FIELDS } from "../../lib/metrics/hota";
import { CLEAR_FLOAT_FIELDS, CLEAR_INTEGER_FIELDS } from "../../lib/metrics/clear";
import { IDENTITY_FLOAT_FIELDS, IDENTITY_INTEGER_FIELDS } from "../../lib/metrics/identity";
import { seededRandom as mulberry32 } from "../../lib/random";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const BENCH = "MOTBENCH";
const SPLIT = "train";
const TRACKERS = ["trackerA", "trackerB"];

const r3 = (x: number) => Math.round(x * 1000) / 1000;

/** Writes the MOTChallenge layout; returns total GT and tracker box counts. */
function generate(dir: string, numSeqs: number, framesPerSeq: number, objectsPerSeq: number): { gt: number; tr: number; frames: number } {
  const rand = mulberry32(12345);
  const gtRoot = path.join(dir, "gt");
  mkdirSync(path.join(gtRoot, "seqmaps"), { recursive: true });
  const seqs = Array.from({ length: numSeqs }, (_, i) => `BENCH-${String(i + 1).padStart(2, "0")}`);
  writeFileSync(path.join(gtRoot, "seqmaps", `${BENCH}-${SPLIT}.txt`), ["name", ...seqs, ""].join("\n"));
  let nGt = 0;
  let nTr = 0;
  for (const seq of seqs) {
    const sd = path.join(gtRoot, `${BENCH}-${SPLIT}`, seq);
    mkdirSync(path.join(sd, "gt"), { recursive: true });
    writeFileSync(path.join(sd, "seqinfo.ini"), `[Sequence]\nname=${seq}\nframeRate=30\nseqLength=${framesPerSeq}\nimWidth=1920\nimHeight=1080\n`);
    // Rows bucketed by frame so files come out frame-ordered without sorting.
    const gtRows: string[][] = Array.from({ length: framesPerSeq + 1 }, () => []);
    const trRows: string[][][] = TRACKERS.map(() => Array.from({ length: framesPerSeq + 1 }, () => []));
    const nextTrackerId = TRACKERS.map(() => 1);
    for (let o = 1; o <= objectsPerSeq; o++) {
      const start = 1 + Math.floor(rand() * framesPerSeq * 0.5);
      const end = Math.min(framesPerSeq, start + 50 + Math.floor(rand() * framesPerSeq));
      let x = rand() * 1700;
      let y = rand() * 900;
      const vx = (rand() - 0.5) * 6;
      const vy = (rand() - 0.5) * 3;
      const w = 30 + rand() * 60;
      const h = 80 + rand() * 120;
      const cls = rand() < 0.06 ? [2, 7, 8, 12][Math.floor(rand() * 4)] : rand() < 0.04 ? 3 : 1;
      const trackIds = TRACKERS.map((_, k) => nextTrackerId[k]++);
      for (let t = start; t <= end; t++) {
        x += vx;
        y += vy;
        if (rand() < 0.05) continue; // occluded: absent this frame
        const zero = rand() < 0.03 ? 0 : 1;
        gtRows[t].push(`${t},${o},${r3(x)},${r3(y)},${r3(w)},${r3(h)},${zero},${cls},1`);
        nGt++;
        TRACKERS.forEach((_, k) => {
          const quality = k === 0 ? 1 : 2.5;
          if (rand() < 0.08 * quality) return; // missed
          if (rand() < 0.004 * quality) trackIds[k] = nextTrackerId[k]++; // identity switch
          const j = () => (rand() - 0.5) * 8 * quality;
          trRows[k][t].push(`${t},${trackIds[k]},${r3(x + j())},${r3(y + j())},${r3(w + j())},${r3(h + j())},${r3(rand())},-1,-1,-1`);
          nTr++;
        });
      }
    }
    for (let t = 1; t <= framesPerSeq; t++) {
      TRACKERS.forEach((_, k) => {
        if (rand() < 0.5) {
          trRows[k][t].push(`${t},${nextTrackerId[k]++},${r3(rand() * 1800)},${r3(rand() * 900)},50,120,0.3,-1,-1,-1`);
          nTr++;
        }
      });
    }
    writeFileSync(path.join(sd, "gt", "gt.txt"), gtRows.flat().join("\n") + "\n");
    TRACKERS.forEach((tr, k) => {
      const td = path.join(dir, "trackers", `${BENCH}-${SPLIT}`, tr, "data");
      mkdirSync(td, { recursive: true });
      writeFileSync(path.join(td, `${seq}.txt`), trRows[k].flat().join("\n") + "\n");
    });
  }
  return { gt: nGt, tr: nTr, frames: numSeqs * framesPerSeq };
}

/**
 * Runs a command under bash and reads `times` (children's user and system CPU), so the CPU time of the measured
 * process is reported next to wall-clock time (this machine may be shared; wall time then overstates).
 */
function runTimed(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): { ms: number; cpuMs: number; status: number | null; stdout: string; stderr: string } {
  const t0 = process.hrtime.bigint();
  const r = spawnSync("bash", ["-c", '"$@"; s=$?; times >&2; exit $s', "_", cmd, ...args], { ...opts, encoding: "utf8", maxBuffer: 1 << 28 });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const lines = r.stderr.trimEnd().split("\n");
  const children = lines[lines.length - 1].match(/(\d+)m([\d.]+)s\s+(\d+)m([\d.]+)s/);
  const cpuMs = children ? (Number(children[1]) * 60 + Number(children[2]) + Number(children[3]) * 60 + Number(children[4])) * 1000 : NaN;
  return { ms, cpuMs, status: r.status, stdout: r.stdout, stderr: lines.slice(0, -2).join("\n") };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const secs = (xs: number[]): string => xs.map((x) => (x / 1000).toFixed(2)).join(" / ");

function time<T>(fn: () => T): { ms: number; value: T } {
  const t0 = process.hrtime.bigint();
  const value = fn();
  return { ms: Number(process.hrtime.bigint() - t0) / 1e6, value };
}

/** Our result flattened to TrackEval's `pedestrian_detailed.csv` column names. */
function detailedRow(m: Record<string, Record<string, number | number[]>>): Map<string, number> {
  const out = new Map<string, number>();
  const h = m.HOTA;
  for (const f of HOTA_FLOAT_FIELDS) out.set(f, h[f] as number);
  for (const f of [...HOTA_FLOAT_ARRAY_FIELDS, ...HOTA_INTEGER_ARRAY_FIELDS]) {
    const arr = h[f] as number[];
    HOTA_ALPHAS.forEach((a, i) => out.set(`${f}___${Math.trunc(100 * a)}`, arr[i]));
    out.set(`${f}___AUC`, arr.reduce((s, v) => s + v, 0) / arr.length);
  }
  for (const f of [...CLEAR_FLOAT_FIELDS, ...CLEAR_INTEGER_FIELDS]) out.set(f, m.CLEAR[f] as number);
  for (const f of [...IDENTITY_FLOAT_FIELDS, ...IDENTITY_INTEGER_FIELDS]) out.set(f, m.Identity[f] as number);
  for (const f of ["Dets", "GT_Dets", "IDs", "GT_IDs"]) out.set(f, m.Count[f] as number);
  return out;
}

function main(): number {
  const argv = process.argv.slice(2);
  const framesPerSeq = Number(argv[argv.indexOf("--frames") + 1]) > 0 && argv.includes("--frames") ? Number(argv[argv.indexOf("--frames") + 1]) : 600;
  const repeat = Number(argv[argv.indexOf("--repeat") + 1]) >= 1 && argv.includes("--repeat") ? Math.floor(Number(argv[argv.indexOf("--repeat") + 1])) : 3;
  const dir = mkdtempSync(path.join(tmpdir(), "groundtrack-bench-mot-"));
  try {
    const gen = time(() => generate(dir, 6, framesPerSeq, 80));
    console.log(`[bench mot] case: 6 sequences, ${gen.value.frames} frames, ${gen.value.gt} GT boxes, ${gen.value.tr} tracker boxes (${TRACKERS.length} trackers) — generated in ${(gen.ms / 1000).toFixed(1)} s`);
    const outJson = path.join(dir, "results.json");
    const cliArgs = [path.join(root, "cli/bin.mjs"), "eval", "mot", "--gt-folder", path.join(dir, "gt"), "--trackers-folder", path.join(dir, "trackers"), "--benchmark", BENCH, "--split", SPLIT, "--out", outJson, "--quiet"];
    const env = { ...process.env, GROUNDTRACK_PROGRESS: "0" };
    // One untimed run first: cli/bin.mjs (re)builds its cached plain-JS build of `eval mot` after any source change
    // (a one-off, like tsx's own cache); the timed run is what every later invocation costs.
    runTimed(process.execPath, cliArgs, { cwd: root, env });
    const teDir = process.env.TRACKEVAL_DIR;
    const script = teDir ? path.join(teDir, "scripts", "run_mot_challenge.py") : "";
    const haveRef = !!teDir && existsSync(script);
    // TrackEval writes <trackers>/<BENCH>-<split>/<tracker>/pedestrian_detailed.csv (its OUTPUT_FOLDER default).
    const teOut = path.join(dir, "trackers", `${BENCH}-${SPLIT}`);
    const teArgs = [script, "--GT_FOLDER", path.join(dir, "gt"), "--TRACKERS_FOLDER", path.join(dir, "trackers"), "--BENCHMARK", BENCH, "--SPLIT_TO_EVAL", SPLIT, "--USE_PARALLEL", "False", "--METRICS", "HOTA", "CLEAR", "Identity", "--PRINT_RESULTS", "False", "--PRINT_CONFIG", "False", "--OUTPUT_SUMMARY", "False", "--PLOT_CURVES", "False", "--TIME_PROGRESS", "False"];
    const ours = { ms: [] as number[], cpu: [] as number[] };
    const theirs = { ms: [] as number[], cpu: [] as number[] };
    // Alternating runs, so a change in machine load affects both sides alike.
    for (let r = 0; r < repeat; r++) {
      const o = runTimed(process.execPath, cliArgs, { cwd: root, env });
      if (o.status !== 0) {
        console.error(o.stdout, o.stderr);
        return 1;
      }
      ours.ms.push(o.ms);
      ours.cpu.push(o.cpuMs);
      if (!haveRef) continue;
      const ref = runTimed("python3", teArgs);
      if (ref.status !== 0) {
        console.error(`[bench mot] TrackEval failed:\n${ref.stderr.slice(-3000)}`);
        return 1;
      }
      theirs.ms.push(ref.ms);
      theirs.cpu.push(ref.cpuMs);
    }
    console.log(`[bench mot] groundtrack eval mot: median ${(median(ours.ms) / 1000).toFixed(2)} s wall, ${(median(ours.cpu) / 1000).toFixed(2)} s cpu (runs: ${secs(ours.ms)} wall, ${secs(ours.cpu)} cpu; end to end, including node start-up; build cache warm)`);
    if (!haveRef) {
      console.log(`[bench mot] TrackEval reference not found (set TRACKEVAL_DIR to a TrackEval checkout with scripts/run_mot_challenge.py${teDir ? `; not at ${script}` : ""}); no ratio.`);
      return 0;
    }
    console.log(`[bench mot] TrackEval (python3 ${script}, USE_PARALLEL False): median ${(median(theirs.ms) / 1000).toFixed(2)} s wall, ${(median(theirs.cpu) / 1000).toFixed(2)} s cpu (runs: ${secs(theirs.ms)} wall, ${secs(theirs.cpu)} cpu)`);

    const mine = JSON.parse(readFileSync(outJson, "utf8")) as { trackers: Record<string, Record<string, Record<string, Record<string, number | number[]>>>> };
    let fields = 0;
    let exact = 0;
    let maxDiff = 0;
    let worst = "";
    for (const tr of TRACKERS) {
      const csv = readFileSync(path.join(teOut, tr, "pedestrian_detailed.csv"), "utf8").trim().split(/\r?\n/).map((l) => l.split(","));
      const header = csv[0];
      for (const rowCells of csv.slice(1)) {
        const seq = rowCells[0] === "COMBINED" ? "COMBINED_SEQ" : rowCells[0];
        const ourRow = detailedRow(mine.trackers[tr][seq]);
        header.slice(1).forEach((name, i) => {
          const want = Number(rowCells[i + 1]);
          const have = ourRow.get(name);
          if (have === undefined) throw new Error(`no value for ${name}`);
          fields++;
          if (have === want) exact++;
          const d = Math.abs(have - want);
          if (!(d <= maxDiff)) {
            maxDiff = d;
            worst = `${tr}/${seq}/${name}`;
          }
        });
      }
    }
    const ratio = median(theirs.ms) / median(ours.ms);
    const cpuRatio = median(theirs.cpu) / median(ours.cpu);
    console.log(`[bench mot] values: ${fields} fields compared, ${exact} bit-identical, max |diff| ${maxDiff.toExponential(2)}${worst ? ` (${worst})` : ""} -> ${maxDiff <= 1e-9 ? "IDENTICAL (to 1e-9)" : "DIFFERENT"}`);
    console.log(`[bench mot] ratio TrackEval / groundtrack (medians of ${repeat}) = ${ratio.toFixed(1)}x wall, ${cpuRatio.toFixed(1)}x cpu (goal >= 10x)`);
    // Wall time depends on what else runs on the machine; the load average says how comparable this run is.
    console.log(`[bench mot] machine: ${cpus().length} cpus, load average ${loadavg().map((x) => x.toFixed(2)).join(" ")} (1/5/15 min)`);
    return maxDiff <= 1e-9 ? 0 : 1;
  } finally {
    if (!argv.includes("--keep")) rmSync(dir, { recursive: true, force: true });
    else console.log(`[bench mot] kept ${dir}`);
  }
}

process.exitCode = main();
