import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { decodeLabelPng, davisPalette, encodeIndexedPng, PngFormatError } from "../../lib/masks/png-indexed";

const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "fixtures", "metrics", "davis", "png");
// Expected values were produced by PIL: np.array(Image.open(file)) (see test/fixtures/metrics/davis/README.md).
const expected: Record<string, { h: number; w: number; values: number[] }> = JSON.parse(readFileSync(path.join(dir, "expected.json"), "utf8"));

for (const [name, exp] of Object.entries(expected)) {
  test(`decodes ${name} exactly as PIL`, () => {
    const img = decodeLabelPng(readFileSync(path.join(dir, name)), name);
    assert.equal(img.width, exp.w);
    assert.equal(img.height, exp.h);
    assert.deepEqual(Array.from(img.data), exp.values);
  });
}

test("rejects an RGB PNG and names the file", () => {
  assert.throws(() => decodeLabelPng(readFileSync(path.join(dir, "rgb.png")), "res/0001.png"), (e: Error) => {
    assert.ok(e instanceof PngFormatError);
    assert.match(e.message, /^res\/0001\.png: not an indexed PNG \(RGB, 8-bit\)/);
    return true;
  });
});

test("encode -> decode round trip keeps every index and the DAVIS palette", () => {
  const w = 37;
  const h = 11;
  const data = Uint8Array.from({ length: w * h }, (_, i) => (i * 31) % 256);
  const png = encodeIndexedPng(w, h, data);
  const img = decodeLabelPng(png);
  assert.deepEqual(img.data, data);
  assert.deepEqual(img.palette, davisPalette());
  // color_map(): index 1 is (128, 0, 0), 2 is (0, 128, 0), 255 is (224, 224, 192)
  assert.deepEqual(Array.from(davisPalette().subarray(3, 9)), [128, 0, 0, 0, 128, 0]);
  assert.deepEqual(Array.from(davisPalette().subarray(765, 768)), [224, 224, 192]);
});

test("truncated and corrupt files give errors that say so", () => {
  const png = encodeIndexedPng(20, 20, new Uint8Array(400).fill(3));
  assert.throws(() => decodeLabelPng(png.subarray(0, png.length - 30), "a.png"), /a\.png: truncated PNG/);
  assert.throws(() => decodeLabelPng(png.subarray(0, 40), "a.png"), /a\.png: truncated PNG/);
  assert.throws(() => decodeLabelPng(Buffer.from("hello world, not a png"), "b.png"), /b\.png: not a PNG file/);
  const bad = Buffer.from(png);
  bad[40] ^= 0xff;
  assert.throws(() => decodeLabelPng(bad, "c.png"), /c\.png: corrupt PNG \(CRC mismatch/);
});
