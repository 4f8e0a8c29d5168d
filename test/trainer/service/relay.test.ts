// train:progress through the real live layer: a real socket.io server (attachLive + live hub), a logged-in socket.io
// client, and TrainingRun rows written the way a training process writes them.
import { after, before, it } from "node:test";
import assert from "node:assert/strict";
import { io as connect, type Socket } from "socket.io-client";
import { createTestDb, type TestDb } from "../../helpers/db";
import { loginCookie, seedWorld } from "../../helpers/app";
import { startLiveServer, type LiveTestServer } from "../../helpers/live";
import { publishTrainProgress } from "../../../app/_server/live-hub";
import type { TrainProgressWire } from "../../../app/_shared/live-protocol";
import { startTrainingRelay, type TrainingRelay } from "../../../trainer/service/relay";
import { claimRun, finishRun, heartbeat } from "../../../trainer/service/runs";

let t: TestDb;
let live: LiveTestServer;
let relay: TrainingRelay;
let socket: Socket;

before(async () => {
  t = await createTestDb();
  process.env.DATABASE_URL = t.url;
  const w = await seedWorld(t.db);
  live = await startLiveServer(t.db);
  relay = startTrainingRelay(t.db, publishTrainProgress, { pollMs: 60_000 });
  socket = connect(live.url, { transports: ["websocket"], extraHeaders: { cookie: await loginCookie("ann1", w.password) } });
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", () => resolve());
    socket.once("connect_error", reject);
  });
});
after(async () => {
  socket.close();
  relay.close();
  await live.close();
  const { getDb } = await import("../../../lib/db");
  await getDb().$disconnect();
  await t.close();
});

it("relays run progress written by a trainer to every connected socket as train:progress", async () => {
  const snap = await t.db.datasetSnapshot.create({ data: { contentHash: "a".repeat(64), benchmarkHash: "b".repeat(64), path: "/nowhere" } });
  const run = await t.db.trainingRun.create({ data: { snapshotId: snap.id, steps: 10, checkpointDir: "/nowhere" } });
  const got: TrainProgressWire[] = [];
  socket.on("train:progress", (e: TrainProgressWire) => got.push(e));
  await new Promise((r) => setTimeout(r, 5)); // updatedAt strictly after the relay's start
  await claimRun(t.db, run.id, "start");
  await heartbeat(t.db, run.id, { step: 3, loss: 1.5, stage: "training" });
  assert.equal(await relay.flush(), 1);
  await finishRun(t.db, run.id, "failed", { errorCode: "nan_loss", errorMessage: "non-finite loss" });
  assert.equal(await relay.flush(), 1);
  assert.equal(await relay.flush(), 0, "nothing new");
  const deadline = Date.now() + 5000;
  while (got.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(got.map((e) => [e.runId, e.status, e.step, e.loss, e.errorCode]), [[run.id, "running", 3, 1.5, null], [run.id, "failed", 3, 1.5, "nan_loss"]]);
});
