// Dataset snapshots from a real database (accepted tasks through the real review workflow), real encoded videos and
// a real synthetic dataset: determinism, the frozen benchmark split, corruption detection, bad tasks.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, unlinkSync, writeFileSync, cpSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { createTestDb, type TestDb } from "../../helpers/db";
import { seedWorld, type World } from "../../helpers/app";
import { buildSnapshot, createSnapshot, openSnapshot, SnapshotError, snapshotRefs, verifySnapshot } from "../../../trainer/snapshot";
import { acceptedExpression, addVideo, tinySynth } from "./world";

let t: TestDb;
let w: World;
let dir: string;
let synthDir: string;
let okTasks: number[];
let goldTasks: number[];
let videoId: number;

before(async () => {
  t = await createTestDb();
  w = await seedWorld(t.db);
  dir = mkdtempSync(path.join(os.tmpdir(), "gt-snap-"));
  synthDir = await tinySynth(dir);
  videoId = (await addVideo(t.db, w, path.join(dir, "store", "a.mp4"), "a.mp4", { frames: 20 })).id;
  okTasks = await acceptedExpression(t.db, w, videoId, "the red squares", [[0, 10, 19], [2, 12]]);
  goldTasks = await acceptedExpression(t.db, w, videoId, "the gold square", [[0, 18]], { gold: true });
});
after(async () => {
  await t.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("buildSnapshot", () => {
  it("is deterministic, verifies, splits synth by seed range and puts gold tasks in the frozen benchmark", async () => {
    const a = await buildSnapshot(t.db, { tasks: "all-accepted", synth: { from: synthDir }, out: path.join(dir, "s1"), name: "n" });
    const b = await buildSnapshot(t.db, { tasks: [...okTasks, ...goldTasks], synth: { from: synthDir }, out: path.join(dir, "s2"), name: "n" });
    assert.equal(readFileSync(path.join(a.dir, "snapshot.json"), "utf8"), readFileSync(path.join(b.dir, "snapshot.json"), "utf8"));
    const m = await verifySnapshot(a.dir);
    assert.equal(m.contentHash, a.manifest.contentHash);
    const task = m.examples.filter((e) => e.source === "task");
    assert.equal(task.length, 2);
    const byExpr = Object.fromEntries(task.map((e) => [e.expression, e]));
    assert.equal(byExpr["the red squares"].split, "train");
    assert.deepEqual(byExpr["the red squares"].taskIds, okTasks);
    assert.equal(byExpr["the gold square"].split, "test");
    // Synthetic test split = seed 5 (first seed); benchmark = its examples + the gold task.
    const synthTest = m.examples.filter((e) => e.source === "synth" && e.split === "test");
    assert.ok(synthTest.length > 0 && synthTest.every((e) => e.id.startsWith("synth-5_")));
    assert.equal(m.benchmark.examples, synthTest.length + 1);
    assert.equal(m.counts.test.task, 1);
    assert.equal(m.counts.train.task, 1);
    // The task example is TrackAny written on the 2 fps grid (every 5th frame of this 10 fps video).
    const ex = JSON.parse(readFileSync(path.join(a.dir, byExpr["the red squares"].annotation), "utf8"));
    assert.deepEqual(ex.frame_trajectories.map((f: { frame: number }) => f.frame), [0, 5, 10, 15]);
    assert.deepEqual(ex.mask_id, ["0", "1"]);
    assert.equal(ex.frame_trajectories[0].points.length, 1); // object 1 starts at frame 2
    // Refs for the trainer: absolute paths that exist.
    for (const r of snapshotRefs(a.dir, m)) assert.ok(existsSync(r.video) && existsSync(r.annotation), r.id);
  });

  it("keeps the benchmark hash when only the training part changes", async () => {
    const s = await buildSnapshot(t.db, { tasks: goldTasks, synth: { from: synthDir }, out: path.join(dir, "s3") });
    const full = await verifySnapshot(path.join(dir, "s1"));
    assert.notEqual(s.manifest.contentHash, full.contentHash);
    assert.equal(s.manifest.benchmark.hash, full.benchmark.hash);
  });

  it("refuses an accepted task whose observations lie past the end of its video, naming task and frame, writing nothing", async () => {
    // The database believes the video has 40 frames; the stored file has 15.
    const short = await addVideo(t.db, w, path.join(dir, "store", "short.mp4"), "short.mp4", { frames: 15, dbFrames: 40 });
    const bad = await acceptedExpression(t.db, w, short.id, "the late square", [[0, 33]]);
    const out = path.join(dir, "bad");
    await assert.rejects(
      buildSnapshot(t.db, { tasks: "all-accepted", synth: { from: synthDir }, out }),
      (e: unknown) => e instanceof SnapshotError && e.code === "missing_frames" && e.message.includes(`task ${bad[0]}`) && e.message.includes("frame 33") && e.message.includes("15 frames"),
    );
    assert.equal(existsSync(out), false);
    assert.deepEqual(readdirSync(dir).filter((n) => n.startsWith("bad")), []);
    await t.db.task.update({ where: { id: bad[0] }, data: { status: "rejected" } });
  });

  it("needs every object of an expression accepted: explicit ids fail, all-accepted skips and says why", async () => {
    const ids = await acceptedExpression(t.db, w, videoId, "two squares, one pending", [[0], [1]], { accept: false });
    await acceptedExpression(t.db, w, videoId, "placeholder", [[0]]);
    const { startTask, submitTask, reviewTask } = await import("../../../lib/services/tasks");
    await startTask(t.db, w.users.ann1, ids[0]);
    await submitTask(t.db, w.users.ann1, ids[0]);
    await reviewTask(t.db, w.users.reviewer, ids[0], { decision: "accepted", comment: "", flaggedFrames: [] });
    await assert.rejects(buildSnapshot(t.db, { tasks: [ids[0]], synth: null, out: path.join(dir, "x1") }), /object 1 has no accepted task/);
    await assert.rejects(buildSnapshot(t.db, { tasks: [ids[1]], synth: null, out: path.join(dir, "x2") }), new RegExp(`task ${ids[1]} is new, not accepted`));
    const s = await buildSnapshot(t.db, { tasks: "all-accepted", synth: null, out: path.join(dir, "x3") });
    assert.equal(s.manifest.sources.tasks.skipped.length, 1);
    assert.match(s.manifest.sources.tasks.skipped[0], /two squares, one pending.*object 1 has no accepted task/);
  });
});

describe("verifySnapshot", () => {
  const fresh = (name: string) => {
    const d = path.join(dir, name);
    cpSync(path.join(dir, "s1"), d, { recursive: true });
    return d;
  };
  it("names a truncated video, a corrupt annotation, a missing file and an edited manifest", async () => {
    const m = await verifySnapshot(path.join(dir, "s1"));
    const video = m.examples.find((e) => e.source === "task")!.video;
    const ann = m.examples.find((e) => e.source === "synth")!.annotation;

    let d = fresh("c1");
    truncateSync(path.join(d, video), 100);
    await assert.rejects(verifySnapshot(d), (e: unknown) => e instanceof SnapshotError && e.code === "corrupt_snapshot" && e.message.includes(video) && /truncated/.test(e.message));

    d = fresh("c2");
    const f = path.join(d, ann);
    const text = readFileSync(f, "utf8");
    writeFileSync(f, text.replace(/"expression":"(.)/, (_s, c: string) => `"expression":"${c === "x" ? "y" : "x"}`));
    await assert.rejects(verifySnapshot(d), (e: unknown) => e instanceof SnapshotError && e.message.includes(ann) && /corrupt: sha256/.test(e.message));

    d = fresh("c3");
    unlinkSync(path.join(d, ann));
    await assert.rejects(verifySnapshot(d), (e: unknown) => e instanceof SnapshotError && e.message.includes(ann) && /missing/.test(e.message));

    d = fresh("c4");
    const mf = path.join(d, "snapshot.json");
    writeFileSync(mf, readFileSync(mf, "utf8").replace(`"split": "train"`, `"split": "test"`));
    await assert.rejects(verifySnapshot(d), /snapshot\.json: contentHash .* does not match/);

    d = fresh("c5");
    writeFileSync(path.join(d, "snapshot.json"), "{ not json");
    await assert.rejects(verifySnapshot(d), /snapshot\.json: not valid JSON/);
  });

  it("registered snapshots are re-verified when opened", async () => {
    const s = await createSnapshot(t.db, { tasks: "none", synth: { from: synthDir }, out: path.join(dir, "reg") });
    assert.equal((await openSnapshot(t.db, s.id)).manifest.contentHash, s.manifest.contentHash);
    truncateSync(path.join(s.dir, s.manifest.files.find((f) => f.file.endsWith(".mp4"))!.file), 10);
    await assert.rejects(openSnapshot(t.db, s.id), /truncated/);
    await assert.rejects(openSnapshot(t.db, 999), /snapshot #999 does not exist/);
  });
});
