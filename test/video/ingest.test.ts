// ingestVideo / importFolder: good files are stored content-addressed with their index; every bad input is a
// typed VideoError with a clear message, and nothing is left half-made in the store.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { VideoError, ffmpegPath, generateSyntheticVideo, importFolder, ingestVideo, type VideoErrorCode } from "../../lib/video";
import { samplesDir, tempDir } from "./helpers";

const dir = tempDir();
const src = path.join(dir, "src");
mkdirSync(src);
const mp4 = path.join(src, "clip.mp4");
const webm = path.join(src, "clip.webm");
const avi = path.join(src, "clip.avi");
const ready = (async () => {
  await generateSyntheticVideo(mp4, { width: 96, height: 64, frames: 30 }, 11);
  await generateSyntheticVideo(webm, { width: 96, height: 64, frames: 30 }, 12);
  await generateSyntheticVideo(avi, { width: 96, height: 64, frames: 30 }, 13);
})();

let storeN = 0;
function freshStore(): string {
  return path.join(dir, `store-${storeN++}`);
}
const listing = (d: string) => {
  try {
    return readdirSync(d);
  } catch {
    return [];
  }
};

async function rejectsWith(p: Promise<unknown>, code: VideoErrorCode, message: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof VideoError, `expected a VideoError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    assert.match(e.message, message);
    return true;
  });
}

function writeVariant(name: string, mutate: (b: Buffer) => Buffer): string {
  const file = path.join(src, name);
  writeFileSync(file, mutate(readFileSync(name.endsWith(".webm") ? webm : name.endsWith(".avi") ? avi : mp4)));
  return file;
}

test("a good upload is stored as <sha256>.<ext> with its frame index; the same content is stored once", async () => {
  await ready;
  const storeDir = freshStore();
  const r = await ingestVideo(mp4, { storeDir, originalName: "My holiday clip.MP4" });
  assert.equal(r.container, "mp4");
  assert.equal(r.meta.frameCount, 30);
  assert.equal(path.dirname(r.storedPath), storeDir);
  assert.match(path.basename(r.storedPath), /^[0-9a-f]{32}\.mp4$/);
  assert.ok(r.sha256.startsWith(path.basename(r.storedPath, ".mp4")));
  assert.deepEqual(readFileSync(r.storedPath), readFileSync(mp4));
  const again = await ingestVideo(mp4, { storeDir, originalName: "copy" });
  assert.equal(again.storedPath, r.storedPath);
  const w = await ingestVideo(webm, { storeDir, originalName: "clip.mkv" }); // webm/mkv share a family
  assert.equal(w.container, "webm");
  assert.match(w.storedPath, /\.webm$/);
  const a = await ingestVideo(avi, { storeDir, originalName: "clip.avi" });
  assert.equal(a.meta.codec, "mpeg4");
  assert.deepEqual(listing(storeDir).sort(), [path.basename(r.storedPath), path.basename(w.storedPath), path.basename(a.storedPath)].sort());
});

test("the real vtest.avi ingests", async () => {
  const storeDir = freshStore();
  const r = await ingestVideo(path.join(await samplesDir(), "vtest.avi"), { storeDir, originalName: "vtest.avi" });
  assert.equal(r.meta.frameCount, 795);
  assert.equal(r.container, "avi");
});

test("over the size limit: too_large before anything is copied", async () => {
  await ready;
  const storeDir = freshStore();
  await rejectsWith(ingestVideo(mp4, { storeDir, originalName: "clip.mp4", maxBytes: 1000 }), "too_large", /larger than the limit of 1000 bytes/);
  assert.deepEqual(listing(storeDir), []);
});

test("names with path tricks, NUL or control bytes are bad_name", async () => {
  await ready;
  const storeDir = freshStore();
  for (const [name, why] of [
    ["../../etc/passwd", /path separator/],
    ["..\\..\\boot.ini", /path separator/],
    ["clip\0.mp4", /NUL byte/],
    ["clip\n.mp4", /control characters/],
    ["", /empty/],
    ["..", /not a file name/],
    ["x".repeat(300) + ".mp4", /255 bytes/],
  ] as const) {
    await rejectsWith(ingestVideo(mp4, { storeDir, originalName: name }), "bad_name", why);
  }
  assert.deepEqual(listing(storeDir), []);
});

test("non-video content is not_video whatever its name; a name that lies about the container is bad_name", async () => {
  await ready;
  const storeDir = freshStore();
  const text = path.join(src, "notes.txt");
  writeFileSync(text, "just some text, not a video\n".repeat(50));
  await rejectsWith(ingestVideo(text, { storeDir, originalName: "movie.mp4" }), "not_video", /'movie\.mp4' is not a video/);
  const png = path.join(src, "pic.png");
  writeFileSync(png, Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(200)]));
  await rejectsWith(ingestVideo(png, { storeDir, originalName: "pic.webm" }), "not_video", /not a video/);
  const empty = path.join(src, "empty.mp4");
  writeFileSync(empty, "");
  await rejectsWith(ingestVideo(empty, { storeDir, originalName: "empty.mp4" }), "not_video", /empty/);
  await rejectsWith(ingestVideo(avi, { storeDir, originalName: "clip.mp4" }), "bad_name", /named \.mp4 but its content is AVI/);
  await rejectsWith(ingestVideo(mp4, { storeDir, originalName: "clip.txt" }), "bad_name", /named \.txt but its content is MP4/);
  // A real video in a container we do not accept (FLV) is "unsupported", not "not a video".
  const flv = path.join(src, "clip.flv");
  execFileSync(ffmpegPath(), ["-v", "error", "-y", "-i", mp4, "-c", "copy", "-f", "flv", flv]);
  await rejectsWith(ingestVideo(flv, { storeDir, originalName: "clip.flv" }), "unsupported", /container groundtrack does not accept/);
  assert.deepEqual(listing(storeDir), []);
});

test("truncated MP4 (moov first and moov last), WebM and AVI are truncated; nothing is left in the store", async () => {
  await ready;
  const storeDir = freshStore();
  const moovLast = path.join(src, "moovlast.mp4");
  execFileSync(ffmpegPath(), ["-v", "error", "-y", "-i", mp4, "-c", "copy", moovLast]);
  const cut = (b: Buffer) => b.subarray(0, Math.floor(b.length * 0.6));
  const files = [
    writeVariant("cut-faststart.mp4", cut),
    (() => {
      const f = path.join(src, "cut-moovlast.mp4");
      writeFileSync(f, cut(readFileSync(moovLast)));
      return f;
    })(),
    writeVariant("cut.webm", cut),
    writeVariant("cut.avi", cut),
  ];
  for (const f of files) {
    await rejectsWith(ingestVideo(f, { storeDir, originalName: path.basename(f) }), "truncated", new RegExp(`'${path.basename(f).replace(".", "\\.")}' is incomplete`));
  }
  assert.deepEqual(listing(storeDir), []);
});

test("damaged MP4 / WebM / AVI (garbage in the middle or after the header) are corrupt", async () => {
  await ready;
  const storeDir = freshStore();
  let seed = 7;
  const noise = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) & 0xff;
  const scramble = (b: Buffer) => {
    const c = Buffer.from(b);
    for (let i = Math.floor(c.length / 3); i < Math.floor((2 * c.length) / 3); i++) c[i] = noise();
    return c;
  };
  for (const f of [writeVariant("mid.mp4", scramble), writeVariant("mid.webm", scramble), writeVariant("mid.avi", scramble)]) {
    await rejectsWith(ingestVideo(f, { storeDir, originalName: path.basename(f) }), "corrupt", /is damaged/);
  }
  const head = writeVariant("head.mp4", (b) => Buffer.concat([b.subarray(0, 64), Buffer.from(Array.from({ length: b.length - 64 }, noise))]));
  await rejectsWith(ingestVideo(head, { storeDir, originalName: "head.mp4" }), "corrupt", /damaged/);
  assert.deepEqual(listing(storeDir), []);
});

test("a missing source file is an io error", async () => {
  await rejectsWith(ingestVideo(path.join(src, "nope.mp4"), { storeDir: freshStore(), originalName: "nope.mp4" }), "io", /Cannot read 'nope\.mp4'/);
});

test("importFolder ingests every file, reports each failure by file, skips hidden files and symlinks", async () => {
  await ready;
  const folder = path.join(dir, "import");
  mkdirSync(path.join(folder, "sub"), { recursive: true });
  copyFileSync(mp4, path.join(folder, "a.mp4"));
  copyFileSync(webm, path.join(folder, "b.webm"));
  copyFileSync(avi, path.join(folder, "sub", "c.avi"));
  writeFileSync(path.join(folder, "readme.txt"), "not a video");
  writeFileSync(path.join(folder, ".hidden.mp4"), "x");
  symlinkSync(mp4, path.join(folder, "link.mp4"));
  writeFileSync(path.join(folder, "liar.webm"), readFileSync(mp4));
  const storeDir = freshStore();
  const flat = await importFolder(folder, { storeDir });
  const byName = Object.fromEntries(flat.map((e) => [path.basename(e.file), e]));
  assert.deepEqual(Object.keys(byName).sort(), ["a.mp4", "b.webm", "liar.webm", "link.mp4", "readme.txt"]);
  assert.equal(byName["a.mp4"].result?.meta.frameCount, 30);
  assert.equal(byName["b.webm"].result?.container, "webm");
  assert.equal(byName["readme.txt"].error?.code, "not_video");
  assert.equal(byName["liar.webm"].error?.code, "bad_name");
  assert.equal(byName["link.mp4"].error?.code, "io");
  const deep = await importFolder(folder, { storeDir, recursive: true });
  assert.equal(deep.find((e) => e.file.endsWith("c.avi"))?.result?.meta.frameCount, 30);
  assert.ok(listing(storeDir).every((f) => !f.startsWith(".")), "no temp files left");
  await rejectsWith(importFolder(path.join(folder, "missing"), { storeDir }), "io", /Cannot read the folder/);
});
