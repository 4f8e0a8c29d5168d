// MOT text parsing: the byte fast path of parseMotBytes gives exactly what the general string path (split + Number,
// as TrackEval's float()) gives, frames and errors alike, and hands anything unusual to the general path.
import { test } from "node:test";
import assert from "node:assert/strict";
import { motFastPathApplies, parseMotBytes, parseMotText, type MotFrame } from "../../lib/metrics/mot/textFile";
import { seededRandom as mulberry32 } from "../../lib/random";

/** A plain decimal with up to `digits` fractional digits, sometimes with leading zeros, signs or padding. */
function decimal(rand: () => number, digits: number): string {
  const v = (rand() - 0.3) * 10 ** Math.floor(rand() * 6);
  let s = v.toFixed(Math.floor(rand() * (digits + 1)));
  if (rand() < 0.05) s = s.startsWith("-") ? s : `+${s}`;
  if (rand() < 0.05) s = `0${s.replace(/^[-+]/, "")}`;
  if (rand() < 0.05) s = ` ${s} `;
  return s;
}

function plainFile(rand: () => number, frames: number, isGt: boolean, lines: number): string {
  const out: string[] = [];
  for (let k = 0; k < lines; k++) {
    const f = 1 + Math.floor(rand() * frames);
    const id = 1 + Math.floor(rand() * 1e6);
    const cols = [String(f), String(id), decimal(rand, 3), decimal(rand, 3), decimal(rand, 9), decimal(rand, 3), isGt ? String(rand() < 0.1 ? 0 : 1) : decimal(rand, 6)];
    cols.push(isGt ? String(1 + Math.floor(rand() * 12)) : "-1", "-1");
    if (!isGt) cols.push("-1");
    let line = cols.join(",");
    if (rand() < 0.05) line += ",";
    out.push(line);
    if (rand() < 0.02) out.push(rand() < 0.5 ? "" : "   ");
  }
  return out.join(rand() < 0.5 ? "\n" : "\r\n") + (rand() < 0.5 ? "\n" : "");
}

function plain(frames: MotFrame[]): unknown {
  return frames.map((f) => ({ ids: [...f.ids], boxes: [...f.boxes], classes: [...f.classes], conf: [...f.conf], lines: [...f.lines] }));
}

function outcome(fn: () => MotFrame[]): unknown {
  try {
    return plain(fn());
  } catch (e) {
    return `error: ${(e as Error).message}`;
  }
}

test("byte fast path equals the general path on plain files (values bit-identical)", () => {
  const rand = mulberry32(7);
  for (let c = 0; c < 40; c++) {
    const isGt = c % 2 === 0;
    const text = plainFile(rand, 30, isGt, 200);
    const bytes = Buffer.from(text, "utf8");
    assert.ok(motFastPathApplies(bytes, 30, isGt), `fast path should apply to case ${c}`);
    assert.deepEqual(plain(parseMotBytes(bytes, "f.txt", 30, isGt)), plain(parseMotText(text, "f.txt", 30, isGt)));
  }
});

test("unusual input goes to the general path and gives the same frames or the same error", () => {
  const rand = mulberry32(11);
  const base = plainFile(rand, 10, false, 30).split("\n");
  const variants: [string, (l: string) => string][] = [
    ["exponent", (l) => l.replace(/,(\d+)\./, ",$1e0.")],
    ["16 significant digits", (l) => l.replace(/^(\d+),(\d+),/, "$1,$2,1234567.890123456,")],
    ["tab padding", (l) => l.replace(",", ",\t")],
    ["whitespace-delimited", (l) => l.replaceAll(",", " ")],
    ["empty field", (l) => l.replace(/,([^,]*),/, ",,")],
    ["non-number", (l) => l.replace(/,([^,]*),/, ",abc,")],
    ["frame out of range", (l) => l.replace(/^\d+/, "99")],
    ["too few fields", (l) => l.split(",").slice(0, 5).join(",")],
    ["non-ASCII", (l) => l.replace(",", ",\u00a0")],
    ["lone CR", (l) => l.replace(",", ",1\r")],
  ];
  for (const [name, edit] of variants) {
    const lines = [...base];
    lines[3] = edit(lines[3]);
    const text = lines.join("\n");
    const bytes = Buffer.from(text, "utf8");
    assert.equal(motFastPathApplies(bytes, 10, false), false, `${name}: fast path must decline`);
    assert.deepEqual(outcome(() => parseMotBytes(bytes, "t.txt", 10, false)), outcome(() => parseMotText(text, "t.txt", 10, false)), name);
  }
  // Errors still name file, line and field.
  const bad = [...base];
  bad[4] = bad[4].replace(/^(\d+),(\d+),[^,]*,/, "$1,$2,abc,");
  assert.throws(() => parseMotBytes(Buffer.from(bad.join("\n")), "t.txt", 10, false), /t\.txt line 5: field 'bb_left' is not a number: 'abc'/);
});

test("fast path: a field count that differs within a frame gives the general path's error; huge classes wrap alike", () => {
  const rows = ["1,1,10,20,30,40,1,1,1", "2,1,10,20,30,40,1,1,1", "1,2,10,20,30,40,1,1,1,7", "1,3,1,2,3,4,1,1,1"];
  const text = rows.join("\n") + "\n";
  const bytes = Buffer.from(text);
  assert.equal(motFastPathApplies(bytes, 3, true), true);
  const err = /g\.txt line 3: has 10 fields but line 1 of the same frame has 9/;
  assert.throws(() => parseMotBytes(bytes, "g.txt", 3, true), err);
  assert.throws(() => parseMotText(text, "g.txt", 3, true), err);
  // Class 4294967297 stores as 1 and -2147483649 as 2147483647 in an Int32Array; GT conf 0.9 truncates to 0.
  const wrap = "1,1,10,20,30,40,0.9,4294967297,1\n2,1,10,20,30,40,1,-2147483649,1\n3,5,-0.5,0,1,1,1,999999999999999,1\n";
  assert.deepEqual(plain(parseMotBytes(Buffer.from(wrap), "g.txt", 3, true)), plain(parseMotText(wrap, "g.txt", 3, true)));
  assert.equal(parseMotBytes(Buffer.from(wrap), "g.txt", 3, true)[0].classes[0], 1);
});
