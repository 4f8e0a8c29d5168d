// End-to-end parity with davis2017-evaluation: the synthetic datasets described in
// test/fixtures/metrics/davis/cases.json are regenerated as DAVIS-layout PNGs, evaluated, and compared with the
// reference's own numbers, printed tables and CSVs (expected.json; see the fixture README).
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import { fileURLToPath } from "node:url";
import { evaluateDavis, GLOBAL_MEASURES } from "../../lib/metrics/davis/evaluate";
import type { DavisTask } from "../../lib/metrics/davis/sequence";
import { generateSequence, writeDavisLayout, type SyntheticSequenceSpec } from "../../lib/metrics/davis/synthetic";
import { globalCsv, perSequenceCsv, printedReport } from "../../lib/metrics/davis/table";

const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "fixtures", "metrics", "davis");
type Num = number | "NaN";
interface Stats {
  mean: Num;
  recall: Num;
  decay: Num;
}
interface Expected {
  case: string;
  task: DavisTask;
  dataHash: string;
  global: Record<string, Num>;
  objects: { name: string; J: Stats; F: Stats }[];
  printed: string;
  globalCsv: string;
  perSequenceCsv: string;
}
const cases: { cases: { name: string; sequences: SyntheticSequenceSpec[] }[] } = JSON.parse(readFileSync(path.join(dir, "cases.json"), "utf8"));
const expected: { cases: Expected[] } = JSON.parse(readFileSync(path.join(dir, "expected.json"), "utf8"));

const work = mkdtempSync(path.join(tmpdir(), "gt-davis-parity-"));
after(() => rmSync(work, { recursive: true, force: true }));

function close(actual: number, exp: Num, what: string): void {
  if (exp === "NaN") assert.ok(Number.isNaN(actual), `${what}: expected NaN, got ${actual}`);
  else assert.ok(Math.abs(actual - exp) <= 1e-9, `${what}: expected ${exp}, got ${actual}`);
}

const written = new Map<string, { root: string; results: string }>();
function materialise(name: string, hash: string) {
  let w = written.get(name);
  if (!w) {
    const spec = cases.cases.find((c) => c.name === name);
    assert.ok(spec, `case ${name} missing from cases.json`);
    const seqs = spec.sequences.map(generateSequence);
    const h = createHash("sha256");
    for (const s of seqs) for (let t = 0; t < s.gt.length; t++) h.update(s.gt[t]).update(s.pred[t]);
    // The reference saw exactly these label maps; a generator change would silently invalidate expected.json.
    assert.equal(h.digest("hex"), hash, `regenerated data of case ${name} differs from what the reference evaluated`);
    w = { root: path.join(work, name, "davis"), results: path.join(work, name, "res") };
    writeDavisLayout(w.root, w.results, seqs);
    written.set(name, w);
  }
  return w;
}

for (const exp of expected.cases) {
  test(`${exp.case} / ${exp.task}: J&F identical to davis2017-evaluation`, () => {
    const { root, results } = materialise(exp.case, exp.dataHash);
    const ev = evaluateDavis({ davisRoot: root, resultsRoot: results, task: exp.task, subset: "val" });
    assert.deepEqual(
      ev.objects.map((o) => o.name),
      exp.objects.map((o) => o.name),
    );
    ev.objects.forEach((o, i) => {
      for (const m of ["J", "F"] as const) {
        for (const s of ["mean", "recall", "decay"] as const) close(o[m][s], exp.objects[i][m][s], `${o.name} ${m}.${s}`);
      }
    });
    for (const g of GLOBAL_MEASURES) close(ev.global[g], exp.global[g], g);
    // evaluation_method.py print()s the tables; console.log adds the same final newline.
    assert.equal(printedReport(ev, "val") + "\n", exp.printed);
    assert.equal(globalCsv(ev), exp.globalCsv);
    assert.equal(perSequenceCsv(ev), exp.perSequenceCsv);
  });
}
