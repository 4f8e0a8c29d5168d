// `groundtrack eval davis`: end-to-end through the real CLI entry, and the input errors it must explain.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import { fileURLToPath } from "node:url";
import { PNG } from "pngjs";
import { runDavis } from "../../cli/commands/eval-davis.ts";
import { encodeIndexedPng } from "../../lib/masks/png-indexed";
import { generateSequence, writeDavisLayout } from "../../lib/metrics/davis/synthetic";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const work = mkdtempSync(path.join(tmpdir(), "gt-davis-cli-"));
after(() => rmSync(work, { recursive: true, force: true }));

let n = 0;
function dataset(extra: Partial<Parameters<typeof generateSequence>[0]> = {}) {
  const dir = path.join(work, `d${n++}`);
  const seq = generateSequence({ name: "cat", frames: 5, width: 20, height: 16, objects: 2, seed: 5, ...extra });
  writeDavisLayout(path.join(dir, "davis"), path.join(dir, "res"), [seq]);
  return { root: path.join(dir, "davis"), res: path.join(dir, "res"), frame: (t: number) => path.join(dir, "res", "cat", `0000${t}.png`) };
}

async function fails(argv: string[], pattern: RegExp) {
  await assert.rejects(runDavis(argv), (e: Error) => {
    assert.equal(e.name, "UserError");
    assert.match(e.message, pattern);
    return true;
  });
}

test("npx groundtrack eval davis prints the reference tables and writes JSON + CSVs", () => {
  const d = dataset({ voidBand: true });
  const out = path.join(work, "out", "results.json");
  const csv = path.join(work, "csv");
  const r = spawnSync(
    process.execPath,
    ["cli/bin.mjs", "eval", "davis", "--davis-root", d.root, "--results", d.res, "--set", "val", "--task", "semi-supervised", "--out", out, "--csv-dir", csv],
    { cwd: repo, encoding: "utf8" },
  );
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /-{27} Global results for val -{27}\n J&F-Mean +J-Mean +J-Recall +J-Decay +F-Mean +F-Recall +F-Decay\n/);
  assert.match(r.stdout, /-{10} Per sequence results for val -{10}\nSequence +J-Mean +F-Mean\n +cat_1 [0-9.]+ [0-9.]+\n +cat_2 /);
  const json = JSON.parse(readFileSync(out, "utf8"));
  assert.equal(json.task, "semi-supervised");
  assert.deepEqual(
    json.objects.map((o: { name: string }) => o.name),
    ["cat_1", "cat_2"],
  );
  const jm = (json.objects[0].J.mean + json.objects[1].J.mean) / 2;
  assert.ok(Math.abs(json.global["J-Mean"] - jm) < 1e-12);
  assert.equal(readFileSync(path.join(csv, "global_results-val.csv"), "utf8").split("\n")[0], "J&F-Mean,J-Mean,J-Recall,J-Decay,F-Mean,F-Recall,F-Decay");
  assert.match(readFileSync(path.join(csv, "per-sequence_results-val.csv"), "utf8"), /^Sequence,J-Mean,F-Mean\ncat_1,\d\.\d{3},\d\.\d{3}\ncat_2,/);
});

test("a missing result frame is named", async () => {
  const d = dataset();
  unlinkSync(d.frame(2));
  await fails(["--davis-root", d.root, "--results", d.res, "--task", "semi-supervised", "--quiet"], new RegExp(`result frame ${d.frame(2).replace(/[.\\]/g, "\\$&")} not found`));
});

test("a result of the wrong size is named with both sizes", async () => {
  const d = dataset();
  writeFileSync(d.frame(1), encodeIndexedPng(10, 10, new Uint8Array(100)));
  await fails(["--davis-root", d.root, "--results", d.res, "--task", "unsupervised", "--quiet"], /00001\.png: wrong size 10x10, expected 20x16 like .*Annotations_unsupervised.*00001\.png/);
});

test("an RGB result PNG is rejected as not indexed", async () => {
  const d = dataset();
  const png = new PNG({ width: 20, height: 16 });
  writeFileSync(d.frame(3), PNG.sync.write(png));
  await fails(["--davis-root", d.root, "--results", d.res, "--task", "semi-supervised", "--quiet"], /result frame .*00003\.png: not an indexed PNG \(RGBA, 8-bit\)/);
});

test("a truncated annotation PNG is reported as truncated", async () => {
  const d = dataset();
  const gt = path.join(d.root, "Annotations", "480p", "cat", "00002.png");
  const bytes = readFileSync(gt);
  writeFileSync(gt, bytes.subarray(0, bytes.length - 20));
  await fails(["--davis-root", d.root, "--results", d.res, "--task", "semi-supervised", "--quiet"], /annotation .*00002\.png: truncated PNG/);
});

test("protocol limits: more objects than the GT (semi) and more than 20 proposals (unsupervised)", async () => {
  const d = dataset();
  writeFileSync(d.frame(1), encodeIndexedPng(20, 16, new Uint8Array(320).fill(3)));
  await fails(["--davis-root", d.root, "--results", d.res, "--task", "semi-supervised", "--quiet"], /00001\.png contains object index 3, higher than the 2 object\(s\)/);
  const u = dataset();
  writeFileSync(u.frame(4), encodeIndexedPng(20, 16, new Uint8Array(320).fill(21)));
  await fails(["--davis-root", u.root, "--results", u.res, "--task", "unsupervised", "--quiet"], /00004\.png contains proposal index 21, higher than the maximum number \(20\)/);
});

test("bad options and layouts", async () => {
  const d = dataset();
  await fails(["--davis-root", d.root, "--results", d.res, "--task", "zero-shot"], /--task must be semi-supervised or unsupervised/);
  await fails(["--results", d.res], /--davis-root is required/);
  await fails(["--davis-root", d.root, "--results", d.res, "--set", "train"], /sequence list .*ImageSets.2017.train\.txt not found/);
  writeFileSync(path.join(d.root, "ImageSets", "2017", "val.txt"), "cat\nmissing\n");
  await fails(["--davis-root", d.root, "--results", d.res, "--quiet"], /images for sequence missing not found/);
});

test("dot-files next to the frames are ignored, as the reference's glob('*.png') ignores them", async () => {
  const d = dataset({ voidBand: true });
  const before = path.join(work, "before.json");
  const afterJson = path.join(work, "after.json");
  assert.equal(await runDavis(["--davis-root", d.root, "--results", d.res, "--task", "semi-supervised", "--quiet", "--out", before]), 0);
  writeFileSync(path.join(d.root, "Annotations", "480p", "cat", "._00000.png"), "AppleDouble junk");
  writeFileSync(path.join(d.root, "JPEGImages", "480p", "cat", "._00000.jpg"), "");
  assert.equal(await runDavis(["--davis-root", d.root, "--results", d.res, "--task", "semi-supervised", "--quiet", "--out", afterJson]), 0);
  assert.deepEqual(JSON.parse(readFileSync(afterJson, "utf8")), JSON.parse(readFileSync(before, "utf8")));
});
