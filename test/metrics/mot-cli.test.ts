// `groundtrack eval mot`: JSON layout, and input errors that name file, line and field.
import { test } from "node:test";
import assert from "node:assert/strict";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { run } from "../../cli/commands/eval.ts";
import { formatG5 } from "../../lib/metrics/mot/table";

const fixture = fileURLToPath(new URL("../fixtures/metrics/mot/folder/", import.meta.url));

async function withCopy(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), "gt-evalmot-"));
  try {
    cpSync(fixture, dir, { recursive: true });
    await fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function args(dir: string, extra: string[] = []): string[] {
  return ["mot", "--gt-folder", path.join(dir, "gt"), "--trackers-folder", path.join(dir, "trackers"), "--benchmark", "MOT20", "--split", "train", "--out", path.join(dir, "out.json"), "--quiet", ...extra];
}

test("eval mot writes every field per sequence and COMBINED_SEQ", async () => {
  await withCopy(async (dir) => {
    assert.equal(await run(args(dir, ["--trackers", "trA,trB"])), 0);
    const out = JSON.parse(readFileSync(path.join(dir, "out.json"), "utf8"));
    assert.deepEqual(Object.keys(out.trackers), ["trA", "trB"]);
    const expected = JSON.parse(readFileSync(path.join(dir, "expected.json"), "utf8")).results["MOT20-train"];
    for (const tr of ["trA", "trB"]) {
      for (const seq of ["MOT20-syn", "COMBINED_SEQ"]) {
        const m = out.trackers[tr][seq];
        assert.equal(m.HOTA.alphas.length, 19);
        assert.equal(m.HOTA.HOTA.length, 19);
        const want = expected[tr][seq].HOTA.HOTA as number[];
        assert.ok(Math.abs(m.HOTA.mean.HOTA - want.reduce((a, b) => a + b, 0) / 19) < 1e-9);
        assert.ok(Math.abs(m.CLEAR.MOTA - expected[tr][seq].CLEAR.MOTA) < 1e-9);
        assert.ok(Math.abs(m.Identity.IDF1 - expected[tr][seq].Identity.IDF1) < 1e-9);
        assert.equal(m.Count.GT_Dets, expected[tr][seq].Count.GT_Dets);
      }
    }
  });
});

async function expectError(mutate: (dir: string) => void, pattern: RegExp, extra: string[] = []): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), "gt-evalmot-"));
  try {
    cpSync(fixture, dir, { recursive: true });
    mutate(dir);
    await assert.rejects(run(args(dir, extra)), (e: Error) => {
      assert.equal(e.name, "UserError");
      assert.match(e.message, pattern);
      return true;
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const gtFile = (dir: string) => path.join(dir, "gt", "MOT20-train", "MOT20-syn", "gt", "gt.txt");
const trFile = (dir: string, tr = "trA") => path.join(dir, "trackers", "MOT20-train", tr, "data", "MOT20-syn.txt");

function editLine(file: string, lineNo: number, edit: (fields: string[]) => string[]): void {
  const lines = readFileSync(file, "utf8").split("\n");
  lines[lineNo - 1] = edit(lines[lineNo - 1].split(",")).join(",");
  writeFileSync(file, lines.join("\n"));
}

test("a non-numeric field names file, line and field", async () => {
  await expectError((d) => editLine(gtFile(d), 17, (f) => [...f.slice(0, 4), "abc", ...f.slice(5)]), /gt\.txt line 17: field 'bb_width' is not a number/);
  await expectError((d) => editLine(trFile(d), 3, (f) => [f[0], "x1", ...f.slice(2)]), /trA\/data\/MOT20-syn\.txt line 3: field 'id' is not a number/);
});

test("structural errors: too few fields, frame out of range, duplicate id, non-pedestrian tracker class, missing files", async () => {
  await expectError((d) => editLine(gtFile(d), 2, (f) => f.slice(0, 6)), /gt\.txt line 2: has 6 fields/);
  await expectError((d) => editLine(trFile(d), 5, (f) => ["999", ...f.slice(1)]), /line 5: field 'frame' is 999, outside/);
  await expectError((d) => {
    const lines = readFileSync(trFile(d), "utf8").split("\n");
    writeFileSync(trFile(d), [lines[0], lines[0], ...lines.slice(1)].join("\n"));
  }, /line 2: tracker id \d+ appears more than once in frame \d+ \(first at line 1\)/);
  await expectError((d) => editLine(trFile(d), 4, (f) => [...f.slice(0, 7), "3", ...f.slice(8)]), /line 4: field 'class' is 3/);
  await expectError((d) => rmSync(trFile(d, "trB")), /tracker file not found: .*trB/);
  await expectError((d) => writeFileSync(path.join(d, "gt", "MOT20-train", "MOT20-syn", "seqinfo.ini"), "[Sequence]\nseqLength=abc\n"), /seqinfo\.ini line 2: field 'seqLength' is not an integer/);
  await expectError(() => {}, /--trackers lists no tracker/, ["--trackers", ","]);
});

test("table numbers use Python's '{0:1.5g}' format like TrackEval's print_table", () => {
  const cases: [number, string][] = [[66.66666666, "66.667"], [100.0, "100"], [0.0, "0"], [1e-07, "1e-07"], [12345.678, "12346"], [123456.7, "1.2346e+05"], [0.000123456, "0.00012346"], [99.999999, "100"], [5.0, "5"], [0.5, "0.5"], [0.0001, "0.0001"], [0.00012, "0.00012"], [33.333333333333336, "33.333"], [1234567.0, "1.2346e+06"]];
  for (const [v, want] of cases) assert.equal(formatG5(v), want, String(v));
});
