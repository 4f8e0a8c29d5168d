// Upload, folder import and frames routes against real lib/video (ffmpeg) and a real SQLite DB.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, copyFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { createTestDb, type TestDb } from "../helpers/db";
import { loginCookie, seedWorld, type World } from "../helpers/app";
import { generateSyntheticVideo } from "../../lib/video";
import { decodeFramePack } from "../../app/_client/api";
import * as upload from "../../app/api/videos/upload/route";
import * as importRoute from "../../app/api/videos/import/route";
import * as frames from "../../app/api/videos/[id]/frames/route";

let t: TestDb;
let w: World;
let dir: string;
let clip: string;
let admin = "";
let ann = "";

before(async () => {
  t = await createTestDb();
  dir = mkdtempSync(path.join(os.tmpdir(), "gt-videos-"));
  process.env.DATABASE_URL = t.url;
  process.env.GROUNDTRACK_DATA_DIR = path.join(dir, "data");
  w = await seedWorld(t.db);
  admin = await loginCookie("admin", w.password);
  ann = await loginCookie("ann1", w.password);
  clip = path.join(dir, "clip.mp4");
  await generateSyntheticVideo(clip, { width: 64, height: 48, frames: 36, fps: 12 }, 3);
});
after(async () => {
  delete process.env.GROUNDTRACK_MAX_UPLOAD_BYTES;
  const { getDb } = await import("../../lib/db");
  await getDb().$disconnect();
  await t.close();
  rmSync(dir, { recursive: true, force: true });
});

async function send(handler: unknown, url: string, cookie: string, bytes: Uint8Array, params?: Record<string, string>): Promise<{ status: number; body: any }> {
  const req = new Request(`http://127.0.0.1${url}`, { method: "POST", headers: { cookie }, body: new Blob([new Uint8Array(bytes)]) });
  const res = await (handler as (r: Request, c?: unknown) => Promise<Response>)(req, params ? { params: Promise.resolve(params) } : undefined);
  return { status: res.status, body: await res.json() };
}
const storeFiles = () => {
  try {
    return readdirSync(path.join(dir, "data", "videos"));
  } catch {
    return [];
  }
};

describe("video routes", () => {
  it("uploads a real video: 201 with the frame-exact metadata; annotators get 403", async () => {
    const bytes = readFileSync(clip);
    assert.equal((await send(upload.POST, `/api/videos/upload?projectId=${w.projectId}&name=clip.mp4`, ann, bytes)).status, 403);
    const r = await send(upload.POST, `/api/videos/upload?projectId=${w.projectId}&name=clip.mp4`, admin, bytes);
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.equal(r.body.video.frameCount, 36);
    assert.equal(r.body.video.width, 64);
    const row = await t.db.video.findUniqueOrThrow({ where: { id: r.body.video.id } });
    assert.equal(JSON.parse(row.frameTimestamps).length, 36);
    assert.equal(storeFiles().filter((f) => !f.startsWith(".")).length, 1);
  });

  it("rejects non-video content (422), an oversize body (413) and a duplicate name (409) leaving nothing behind", async () => {
    const before = storeFiles();
    const junk = await send(upload.POST, `/api/videos/upload?projectId=${w.projectId}&name=evil.mp4`, admin, new TextEncoder().encode("<html>not a video</html>"));
    assert.equal(junk.status, 422);
    assert.match(junk.body.error.message, /evil\.mp4/);
    process.env.GROUNDTRACK_MAX_UPLOAD_BYTES = "1000";
    const big = await send(upload.POST, `/api/videos/upload?projectId=${w.projectId}&name=big.mp4`, admin, readFileSync(clip));
    delete process.env.GROUNDTRACK_MAX_UPLOAD_BYTES;
    assert.equal(big.status, 413);
    const dup = await send(upload.POST, `/api/videos/upload?projectId=${w.projectId}&name=clip.mp4`, admin, readFileSync(clip));
    assert.equal(dup.status, 409);
    assert.deepEqual(storeFiles(), before, "the store is unchanged");
    assert.equal(await t.db.video.count({ where: { name: { in: ["evil.mp4", "big.mp4"] } } }), 0);
    assert.deepEqual(readdirSync(path.join(dir, "data", "tmp", "uploads")), [], "temp uploads are removed");
  });

  it("serves a frame chunk as a frame pack and single frames as JPEG", async () => {
    const v = await t.db.video.findFirstOrThrow({ where: { name: "clip.mp4" } });
    const res = await frames.GET(new Request(`http://127.0.0.1/api/videos/${v.id}/frames?chunk=1`, { headers: { cookie: ann } }), { params: Promise.resolve({ id: String(v.id) }) });
    assert.equal(res.status, 200);
    const pack = decodeFramePack(await res.arrayBuffer());
    assert.equal(pack.firstFrame, 30);
    assert.equal(pack.lastFrame, 35);
    assert.equal(pack.frames.length, 6);
    const first = new Uint8Array(await pack.frames[0]!.arrayBuffer());
    assert.deepEqual([...first.slice(0, 2)], [0xff, 0xd8], "JPEG");
    const one = await frames.GET(new Request(`http://127.0.0.1/api/videos/${v.id}/frames?frame=0`, { headers: { cookie: ann } }), { params: Promise.resolve({ id: String(v.id) }) });
    assert.equal(one.headers.get("content-type"), "image/jpeg");
    const bad = await frames.GET(new Request(`http://127.0.0.1/api/videos/${v.id}/frames?frame=36`, { headers: { cookie: ann } }), { params: Promise.resolve({ id: String(v.id) }) });
    assert.equal(bad.status, 400);
    assert.equal((await frames.GET(new Request(`http://127.0.0.1/api/videos/${v.id}/frames?chunk=0`), { params: Promise.resolve({ id: String(v.id) }) })).status, 401);
  });

  it("imports a server folder inside the import root, reporting each bad file by name", async () => {
    const folder = path.join(dir, "data", "import", "batch1");
    mkdirSync(folder, { recursive: true });
    copyFileSync(clip, path.join(folder, "a.mp4"));
    writeFileSync(path.join(folder, "b.mp4"), "not a video");
    const post = (body: unknown) => importRoute.POST(new Request("http://127.0.0.1/api/videos/import", { method: "POST", headers: { cookie: admin, "content-type": "application/json" }, body: JSON.stringify(body) }));
    const r = await post({ projectId: w.projectId, folder: "batch1" });
    const b = await r.json();
    assert.equal(r.status, 200);
    assert.equal(b.imported, 1);
    assert.equal(b.failed, 1);
    assert.equal(b.results.find((x: { file: string }) => x.file.endsWith("b.mp4")).error.code, "not_video");
    assert.equal((await post({ projectId: w.projectId, folder: "../../etc" })).status, 400);
  });
});
