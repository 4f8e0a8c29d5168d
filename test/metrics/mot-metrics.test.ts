// TrackEval HOTA / CLEAR / Identity (eval_sequence and combine_sequences) on synthetic similarity tensors:
// tie-heavy binary and few-valued matrices, values at alpha and alpha - 1e-16, empty GT / tracker / sequences.
import { test } from "node:test";
import assert from "node:assert/strict";
import { combineHotaSequences, evalHotaSequence } from "../../lib/metrics/hota";
import { combineClearSequences, evalClearSequence } from "../../lib/metrics/clear";
import { combineIdentitySequences, evalIdentitySequence } from "../../lib/metrics/identity";
import { readFileSync } from "node:fs";
import type { TrackingSequence } from "../../lib/metrics/types";

interface RawSeq {
  numTimesteps: number;
  numGtIds: number;
  numTrackerIds: number;
  numGtDets: number;
  numTrackerDets: number;
  gtIds: number[][];
  trackerIds: number[][];
  similarity: number[][];
}
type Fields = Record<string, number | number[]>;
interface MetricGroup {
  kind: string;
  sequences: TrackingSequence[];
  expected: Record<string, Fields>[];
  combined: Record<string, Fields>;
}

function loadMetricGroups(): MetricGroup[] {
  const raw = JSON.parse(readFileSync(new URL("../fixtures/metrics/mot/metric_cases.json", import.meta.url), "utf8")) as {
    groups: { kind: string; sequences: RawSeq[]; expected: Record<string, Fields>[]; combined: Record<string, Fields> }[];
  };
  return raw.groups.map((g) => ({
    kind: g.kind,
    expected: g.expected,
    combined: g.combined,
    sequences: g.sequences.map((s) => ({
      numTimesteps: s.numTimesteps,
      numGtIds: s.numGtIds,
      numTrackerIds: s.numTrackerIds,
      numGtDets: s.numGtDets,
      numTrackerDets: s.numTrackerDets,
      gtIds: s.gtIds.map((a) => Int32Array.from(a)),
      trackerIds: s.trackerIds.map((a) => Int32Array.from(a)),
      similarity: s.similarity.map((a) => Float64Array.from(a)),
    })),
  }));
}

/** Asserts every expected field (scalar or per-alpha array) to 1e-9. */
function assertFieldsClose(actual: object, expected: Fields, where: string): void {
  const got = actual as Record<string, number | number[]>;
  for (const [field, want] of Object.entries(expected)) {
    const have = got[field];
    const wants = Array.isArray(want) ? want : [want];
    const haves = Array.isArray(have) ? have : [have];
    assert.equal(haves.length, wants.length, `${where}/${field}: shape`);
    wants.forEach((w, k) => {
      const h = haves[k];
      assert.ok(typeof h === "number" && Math.abs(h - w) <= 1e-9, `${where}/${field}[${k}]: got ${h}, TrackEval ${w}`);
    });
  }
}

const groups = loadMetricGroups();
const METRICS = [
  { name: "HOTA", evalSeq: evalHotaSequence, combine: (r: ReturnType<typeof evalHotaSequence>[]) => combineHotaSequences(r) },
  { name: "CLEAR", evalSeq: evalClearSequence, combine: (r: ReturnType<typeof evalClearSequence>[]) => combineClearSequences(r) },
  { name: "Identity", evalSeq: evalIdentitySequence, combine: (r: ReturnType<typeof evalIdentitySequence>[]) => combineIdentitySequences(r) },
] as const;

for (const m of METRICS) {
  test(`${m.name} per sequence and COMBINED_SEQ equal TrackEval`, () => {
    assert.ok(groups.length >= 20);
    for (const [gi, g] of groups.entries()) {
      const per = g.sequences.map((s) => m.evalSeq(s));
      per.forEach((r, si) => assertFieldsClose(r, g.expected[si][m.name], `${m.name} group ${gi} (${g.kind}) seq ${si}`));
      assertFieldsClose((m.combine as (r: object[]) => object)(per), g.combined[m.name], `${m.name} group ${gi} combined`);
    }
  });
}
