// sniffContainer: container kind from magic bytes only.
import { test } from "node:test";
import assert from "node:assert/strict";
import { sniffContainer } from "../../lib/video";

const bytes = (...parts: Array<string | number[]>) =>
  Uint8Array.from(parts.flatMap((p) => (typeof p === "string" ? [...p].map((c) => c.charCodeAt(0)) : p)));

test("ISO-BMFF: ftyp brand decides mp4 vs mov; bare QuickTime atoms are mov", () => {
  assert.equal(sniffContainer(bytes([0, 0, 0, 0x20], "ftypisom", [0, 0, 2, 0])), "mp4");
  assert.equal(sniffContainer(bytes([0, 0, 0, 0x18], "ftypmp42", [0, 0, 0, 0])), "mp4");
  assert.equal(sniffContainer(bytes([0, 0, 0, 0x14], "ftypqt  ", [0, 0, 0, 0])), "mov");
  assert.equal(sniffContainer(bytes([0, 0, 0, 0x08], "wide", [0, 0, 0, 0])), "mov");
});

test("EBML: DocType decides webm vs mkv; other EBML documents are not video containers", () => {
  const ebml = (doc: string) => bytes([0x1a, 0x45, 0xdf, 0xa3, 0x80 | (doc.length + 7)], [0x42, 0x86, 0x81, 0x01], [0x42, 0x82, 0x80 | doc.length], doc);
  assert.equal(sniffContainer(ebml("webm")), "webm");
  assert.equal(sniffContainer(ebml("matroska")), "mkv");
  assert.equal(sniffContainer(ebml("other")), null);
});

test("RIFF: AVI yes, WAV no", () => {
  assert.equal(sniffContainer(bytes("RIFF", [1, 2, 3, 4], "AVI LIST")), "avi");
  assert.equal(sniffContainer(bytes("RIFF", [1, 2, 3, 4], "WAVEfmt ")), null);
});

test("images, text, PDF, empty and short inputs are not containers", () => {
  assert.equal(sniffContainer(bytes([0x89], "PNG\r\n", [0x1a, 0x0a], "0000IHDR")), null);
  assert.equal(sniffContainer(bytes([0xff, 0xd8, 0xff, 0xe0], "0000JFIF")), null);
  assert.equal(sniffContainer(bytes("%PDF-1.7\n%abc")), null);
  assert.equal(sniffContainer(bytes("hello, this is text")), null);
  assert.equal(sniffContainer(new Uint8Array(0)), null);
  assert.equal(sniffContainer(bytes([0, 0, 0])), null);
});
