// The first-start seed on a real DB: users per role with working passwords, tasks seeded from ground truth.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { createTestDb, type TestDb } from "../helpers/db";
import { seedDemo, firstVisible, SYNTHETIC_SEED } from "../../lib/services/demo";
import { login } from "../../lib/auth/sessions";
import { syntheticGroundTruth } from "../../lib/video";

const SPEC = { width: 320, height: 180, frames: 40, fps: 25, cuts: [20] } as const;
let t: TestDb;
let dir: string;
before(async () => {
  process.env.GROUNDTRACK_BCRYPT_COST = "4";
  t = await createTestDb();
  dir = mkdtempSync(path.join(os.tmpdir(), "gt-demo-test-"));
});
after(async () => {
  await t.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("seedDemo", () => {
  it("creates users, the synthetic video and GT-seeded tasks once", async () => {
    // A small synthetic video keeps this fast; the real vtest.avi path is exercised by `npm start`.
    const r = await seedDemo(t.db, { storeDir: path.join(dir, "videos"), samplesDir: null, synthetic: SPEC });
    assert.equal(r.created, true);
    assert.deepEqual(r.logins.map((l) => l.role).sort(), ["admin", "annotator", "annotator", "reviewer"]);
    for (const l of r.logins) assert.ok(await login(t.db, l.username, l.password), `${l.username} can log in`);
    const { groundTruth } = syntheticGroundTruth({ ...SPEC, cuts: [...SPEC.cuts] }, SYNTHETIC_SEED);
    const video = await t.db.video.findFirstOrThrow({ where: { name: "shapes.mp4" } });
    assert.equal(video.frameCount, SPEC.frames);
    assert.deepEqual(JSON.parse(video.shotBoundaries), [20]);
    assert.match(r.notes.join(" "), /vtest\.avi skipped/);
    const tasks = await t.db.task.findMany({ where: { videoId: video.id }, include: { object: true, expression: true } });
    const expected = groundTruth.expressions.reduce((n, e) => n + e.objectIds.filter((id) => firstVisible(groundTruth, id)).length, 0);
    assert.equal(tasks.length, expected);
    for (const task of tasks) {
      const gtId = Number(task.object.label.split("#")[1]);
      const seed = firstVisible(groundTruth, gtId)!;
      assert.equal(task.seedFrame, seed.frame);
      // Prisma's SQLite adapter round-trips REALs through 16 significant digits: equal to ~1e-12 px.
      assert.ok(Math.abs(task.seedX - seed.x) < 1e-9 && Math.abs(task.seedY - seed.y) < 1e-9, `seed of task ${task.id}`);
      assert.equal(groundTruth.objects.find((o) => o.id === gtId)!.track[task.seedFrame]!.state, "visible");
    }
    assert.equal((await seedDemo(t.db, { storeDir: path.join(dir, "videos") })).created, false, "idempotent");
    assert.equal(await t.db.user.count(), 4);
  });
});
