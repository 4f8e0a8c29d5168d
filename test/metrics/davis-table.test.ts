// Printed tables and CSVs as pandas 1.5 renders them in evaluation_method.py (fixture: tables.json, made with
// DataFrame.to_string(index=False) and to_csv(index=False, float_format="%.3f")): scientific notation for tiny
// values, ties rounded half-to-even on the exact binary value, -0.0, NaN, trailing-zero trimming.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import type { DavisEvaluation } from "../../lib/metrics/davis/evaluate";
import { perSequenceCsv, perSequenceTable } from "../../lib/metrics/davis/table";

const file = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "fixtures", "metrics", "davis", "tables.json");
const cases: { names: string[]; J: (number | null)[]; F: (number | null)[]; table: string; csv: string }[] = JSON.parse(readFileSync(file, "utf8"));

function evaluation(c: (typeof cases)[number]): DavisEvaluation {
  const stat = (mean: number | null) => ({ mean: mean ?? NaN, recall: 0, decay: 0 });
  return {
    task: "semi-supervised",
    subset: "val",
    global: { "J&F-Mean": 0, "J-Mean": 0, "J-Recall": 0, "J-Decay": 0, "F-Mean": 0, "F-Recall": 0, "F-Decay": 0 },
    objects: c.names.map((name, i) => ({ name, J: stat(c.J[i]), F: stat(c.F[i]), jFrames: [], fFrames: [] })),
  };
}

test("per-sequence table matches pandas to_string(index=False)", () => {
  for (const c of cases) assert.equal(perSequenceTable(evaluation(c)), c.table, JSON.stringify(c.J));
});

test("per-sequence CSV matches pandas to_csv(float_format='%.3f')", () => {
  for (const c of cases) assert.equal(perSequenceCsv(evaluation(c)), c.csv, JSON.stringify(c.J));
});

test("no objects prints pandas' empty-frame text", () => {
  assert.equal(perSequenceTable(evaluation({ names: [], J: [], F: [], table: "", csv: "" })), "Empty DataFrame\nColumns: [Sequence, J-Mean, F-Mean]\nIndex: []");
});
