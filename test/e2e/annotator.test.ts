// Real-browser end-to-end: the production build on a real server, Chromium through playwright-core.
// Annotate (3 keyframes, interpolation read back from the UI and compared with interpolateTrack, occluded),
// submit, a second browser sees the edits live (latency printed), a reviewer accepts; and a stale write (409)
// shows the conflict banner with the user's edits kept for re-apply.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import type { Browser, Page } from "playwright-core";
import { interpolateTrack, type Keyframe } from "../../lib/tracks";
import { toTrackKeyframes } from "../../lib/annotator/document";
import { apiLogin, startServer, type RunningServer } from "./server";
import { launchChromium, loggedIn, shot } from "./browser";
import { clickImage, gotoFrame, openTask, readout, waitSaved } from "./annotator-page";

let server: RunningServer;
let browser: Browser;
let adminCookie: string;
interface TaskRow { id: number; status: string; videoId: number; videoName: string; objectId: number; seed: { frame: number; x: number; y: number }; version: number }
let tasks: TaskRow[];

async function getJson<T>(path: string, cookie = adminCookie): Promise<T> {
  const r = await fetch(`${server.url}${path}`, { headers: { cookie, accept: "application/json" } });
  if (!r.ok) throw new Error(`${path}: ${r.status} ${await r.text()}`);
  return (await r.json()) as T;
}

interface Obs { video: { frameCount: number; shotBoundaries: number[] }; target: { version: number; keyframes: Keyframe[] } }

before(async () => {
  server = await startServer();
  browser = await launchChromium();
  adminCookie = await apiLogin(server.url, "admin", server.passwords.admin!);
  tasks = (await getJson<{ tasks: TaskRow[] }>("/api/tasks")).tasks.filter((t) => t.videoName === "shapes.mp4");
  assert.ok(tasks.length >= 5, `demo seed made ${tasks.length} tasks on shapes.mp4`);
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test("annotate 3 keyframes → interpolation = interpolateTrack → occluded → submit; live in a 2nd browser; reviewer accepts", async () => {
  const [tA, tB] = [tasks[0]!, tasks[1]!];
  const s = tA.seed.frame;
  assert.ok(s + 45 < 90, `seed frame ${s} leaves room before the shot cut at 90`);
  const A = await loggedIn(browser, server.url, "annotator", server.passwords.annotator!);
  const B = await loggedIn(browser, server.url, "annotator2", server.passwords.annotator2!);
  await openTask(A.page, tA.id);
  await openTask(B.page, tB.id);
  // Presence: each sees the other on this video.
  await A.page.waitForFunction(() => document.querySelector('[data-testid="presence"]')?.textContent?.includes("Annotator2"), null, { timeout: 10_000 });
  const start = await readout(A.page);
  assert.equal(start.frame, s);
  assert.equal(start.keyframe, true, "the seed is a keyframe");
  assert.equal(await A.page.getAttribute('[data-testid="annotator"]', "data-editable"), "1");

  const frames = [s + 12, s + 27, s + 45];
  const pts = [{ x: 120, y: 90 }, { x: 300, y: 160 }, { x: 500, y: 250 }];
  const latencies: number[] = [];
  for (let i = 0; i < 3; i++) {
    await gotoFrame(A.page, frames[i]!);
    await clickImage(A.page, pts[i]!.x, pts[i]!.y);
    const r = await readout(A.page);
    assert.equal(r.keyframe, true);
    assert.ok(Math.abs(r.x! - pts[i]!.x) < 1 && Math.abs(r.y! - pts[i]!.y) < 1, `placed at (${r.x}, ${r.y})`);
    const version = await waitSaved(A.page);
    // The other browser receives the edit over socket.io and redraws its context.
    await B.page.waitForFunction((v) => Number((document.querySelector('[data-testid="live-info"]') as HTMLElement | null)?.dataset.liveVersion) >= v, version, { timeout: 5000 });
    const sentAt = Number(await A.page.getAttribute('[data-testid="save-status"]', "data-last-save-start"));
    const appliedAt = Number(await B.page.getAttribute('[data-testid="live-info"]', "data-live-applied-at"));
    latencies.push(appliedAt - sentAt);
    assert.equal(await B.page.getAttribute('[data-testid="live-info"]', "data-live-object"), String(tA.objectId));
  }
  console.log(`[e2e] live edit latency (PUT sent in browser A → redraw committed in browser B): ${latencies.map((l) => `${l} ms`).join(", ")}`);
  for (const l of latencies) assert.ok(l >= 0 && l < 1000, `live latency ${l} ms`);
  await shot(A.page, "annotate-keyframes");

  // In-between frames read from the UI equal THE shared interpolation of the saved keyframes.
  const obs = await getJson<Obs>(`/api/tasks/${tA.id}/observations`);
  const kfs = toTrackKeyframes(obs.target.keyframes);
  assert.deepEqual(kfs.map((k) => k.frame), [s, ...frames]);
  const dense = interpolateTrack(kfs, { frameCount: obs.video.frameCount, shotBoundaries: obs.video.shotBoundaries.filter((b) => b > 0) });
  for (const f of [s + 5, s + 19, s + 33, s + 40]) {
    await gotoFrame(A.page, f);
    const r = await readout(A.page);
    const want = dense[f]!;
    assert.equal(r.keyframe, false, `frame ${f} is interpolated`);
    assert.ok(Math.abs(r.x! - want.x) < 1e-9 && Math.abs(r.y! - want.y) < 1e-9, `frame ${f}: UI (${r.x}, ${r.y}) vs interpolateTrack (${want.x}, ${want.y})`);
    assert.equal(r.state, want.state);
  }

  // Occluded from frames[1] on: a keyframe there, and frames after it are occluded until frames[2].
  await gotoFrame(A.page, frames[1]!);
  await A.page.keyboard.press("q");
  assert.equal((await readout(A.page)).state, "occluded");
  await waitSaved(A.page);
  await gotoFrame(A.page, frames[1]! + 6);
  const occ = await readout(A.page);
  assert.equal(occ.state, "occluded");
  assert.ok(await A.page.locator('[data-band^="occluded:"]').count() >= 1, "timeline shows an occluded band");
  // Undo / redo round trip.
  await A.page.keyboard.press("Control+z");
  assert.equal((await readout(A.page)).state, "visible");
  await A.page.keyboard.press("Control+Shift+Z");
  assert.equal((await readout(A.page)).state, "occluded");
  await waitSaved(A.page);

  // B sees A's point (with its id) when it goes to that frame.
  await gotoFrame(B.page, frames[2]!);
  await shot(B.page, "live-second-browser");

  // Wheel zoom keeps the image point under the cursor; "0" resets the view.
  const stage = A.page.locator('[data-testid="stage"]');
  const box = (await stage.boundingBox())!;
  const view = async () => ((await stage.getAttribute("data-view")) ?? "").split(",").map(Number) as [number, number, number];
  const v0 = await view();
  const cx = box.x + 300;
  const cy = box.y + 200;
  const under = (v: [number, number, number]) => [(300 - v[1]) / v[0], (200 - v[2]) / v[0]];
  await A.page.mouse.move(cx, cy);
  await A.page.mouse.wheel(0, -400);
  await A.page.waitForFunction((s) => document.querySelector('[data-testid="stage"]')?.getAttribute("data-view") !== s, v0.join(","));
  const v1 = await view();
  assert.ok(v1[0] > v0[0] * 1.3, `zoomed in: ${v0[0]} → ${v1[0]}`);
  const [a0, b0] = under(v0);
  const [a1, b1] = under(v1);
  assert.ok(Math.abs(a0! - a1!) < 0.5 && Math.abs(b0! - b1!) < 0.5, "the point under the cursor stays put");
  await shot(A.page, "zoomed");
  await A.page.keyboard.press("0");
  assert.deepEqual(await view(), v0);

  // Help overlay from the shared key table.
  await A.page.keyboard.press("?");
  await A.page.waitForSelector('[data-testid="help-overlay"]');
  await shot(A.page, "help-overlay");
  await A.page.keyboard.press("Escape");

  await A.page.click('[data-testid="submit"]');
  await A.page.waitForFunction(() => document.querySelector('[data-testid="task-status"]')?.textContent === "submitted", null, { timeout: 10_000 });
  assert.equal(await A.page.getAttribute('[data-testid="annotator"]', "data-editable"), "0");

  // Reviewer: opens the same annotator read-only, flags a frame, accepts.
  const R = await loggedIn(browser, server.url, "reviewer", server.passwords.reviewer!);
  await openTask(R.page, tA.id, "?mode=review");
  assert.equal(await R.page.getAttribute('[data-testid="annotator"]', "data-mode"), "review");
  const before = await readout(R.page);
  await clickImage(R.page, 50, 50); // read-only: no keyframe appears
  assert.deepEqual(await readout(R.page), before);
  await gotoFrame(R.page, frames[1]!);
  await R.page.keyboard.press("g");
  await R.page.waitForSelector(`[data-flag="${frames[1]}"]`);
  await R.page.fill('[data-testid="review-comment"]', "tight track, thanks");
  await shot(R.page, "review-mode");
  await R.page.click('[data-testid="accept"]');
  await R.page.waitForFunction(() => document.querySelector('[data-testid="task-status"]')?.textContent === "accepted", null, { timeout: 10_000 });
  const final = await getJson<{ task: { status: string; lastReview: { decision: string; flaggedFrames: number[]; comment: string } } }>(`/api/tasks/${tA.id}`);
  assert.equal(final.task.status, "accepted");
  assert.deepEqual(final.task.lastReview.flaggedFrames, [frames[1]]);
  assert.equal(final.task.lastReview.comment, "tight track, thanks");
  await Promise.all([A.context.close(), B.context.close(), R.context.close()]);
});

test("stale write: two tabs on one task → 409 → banner with the newer keyframes, own edits re-applied", async () => {
  const t = tasks[2]!;
  const s = t.seed.frame;
  const one = await loggedIn(browser, server.url, "annotator", server.passwords.annotator!);
  const two = await loggedIn(browser, server.url, "annotator", server.passwords.annotator!);
  // Tab two gets no live updates (its socket never reaches the server), so its next write is stale.
  await two.page.routeWebSocket(/socket\.io/, () => {});
  await openTask(one.page, t.id);
  await openTask(two.page, t.id);
  await gotoFrame(one.page, s + 5);
  await clickImage(one.page, 200, 100);
  await waitSaved(one.page);

  await gotoFrame(two.page, s + 8);
  const conflict = two.page.waitForResponse((r) => r.url().endsWith(`/api/tasks/${t.id}/observations`) && r.request().method() === "PUT");
  await clickImage(two.page, 400, 200);
  assert.equal((await conflict).status(), 409);
  await two.page.waitForSelector('[data-testid="conflict-banner"]', { timeout: 10_000 });
  // The newer state is applied (tab one's keyframe is there) and tab two's own edit is not lost.
  const text = (await two.page.textContent('[data-testid="conflict-banner"]')) ?? "";
  assert.match(text, new RegExp(`frames? ${s + 8}`));
  assert.equal((await readout(two.page)).keyframe, false, "own edit is stashed, not silently applied");
  await gotoFrame(two.page, s + 5);
  const r5 = await readout(two.page);
  assert.equal(r5.keyframe, true, "tab one's keyframe is shown");
  await shot(two.page, "stale-write-banner");
  await two.page.click('[data-testid="reapply"]');
  await waitSaved(two.page);
  const obs = await getJson<Obs>(`/api/tasks/${t.id}/observations`);
  assert.deepEqual(obs.target.keyframes.map((k) => k.frame).sort((a, b) => a - b), [s, s + 5, s + 8]);
  await Promise.all([one.context.close(), two.context.close()]);
});

test("offline and back: the edit made offline is kept and saved, the live connection resyncs what was missed", async () => {
  const [tA, tB] = [tasks[3]!, tasks[4]!];
  const A = await loggedIn(browser, server.url, "annotator", server.passwords.annotator!);
  const B = await loggedIn(browser, server.url, "annotator2", server.passwords.annotator2!);
  // A's network to the app, switchable: its socket goes through a proxy we can cut, and its writes can fail.
  let offline = false;
  const sockets: { close(): Promise<void> }[] = [];
  await A.page.routeWebSocket(/socket\.io/, (ws) => {
    if (offline) return void ws.close();
    ws.connectToServer();
    sockets.push(ws);
  });
  await A.page.route(/\/api\/tasks\/\d+\/observations$/, (r) => (offline && r.request().method() === "PUT" ? r.abort("internetdisconnected") : r.continue()));
  await openTask(A.page, tA.id);
  await openTask(B.page, tB.id);
  await A.page.waitForFunction(() => document.querySelector('[data-testid="presence"]')?.textContent?.includes("Annotator2"), null, { timeout: 10_000 });

  offline = true;
  await Promise.all(sockets.splice(0).map((ws) => ws.close()));
  await gotoFrame(A.page, tA.seed.frame + 3);
  await clickImage(A.page, 250, 150);
  await A.page.waitForFunction(() => document.querySelector('[data-testid="save-status"]')?.getAttribute("data-status") === "error", null, { timeout: 15_000 });
  assert.equal((await readout(A.page)).keyframe, true, "the edit stays on screen while offline");
  // Meanwhile B edits its own object on the same video; A cannot hear about it.
  await gotoFrame(B.page, tB.seed.frame + 4);
  await clickImage(B.page, 420, 220);
  const bVersion = await waitSaved(B.page);
  await shot(A.page, "offline-edit-kept");

  offline = false;
  const aVersion = await waitSaved(A.page);
  assert.ok(aVersion > tA.version, "A's offline edit was written after reconnecting");
  const obs = await getJson<Obs>(`/api/tasks/${tA.id}/observations`);
  assert.ok(obs.target.keyframes.some((k) => k.frame === tA.seed.frame + 3), "the offline edit is on the server");
  // B's edit reaches A through the resync on reconnect.
  await A.page.waitForFunction(
    ([obj, v]) => ((document.querySelector('[data-testid="live-info"]') as HTMLElement | null)?.dataset.resynced ?? "").split(" ").includes(`${obj}:${v}`),
    [tB.objectId, bVersion] as const,
    { timeout: 20_000 },
  );
  await Promise.all([A.context.close(), B.context.close()]);
});

test("propagate: the seed point is followed forward and lands as propagated keyframes the annotator can edit", async () => {
  const t = tasks[5]!;
  const s = t.seed.frame;
  const A = await loggedIn(browser, server.url, "annotator", server.passwords.annotator!);
  await openTask(A.page, t.id);
  assert.equal((await readout(A.page)).keyframe, true, "the seed is a keyframe");
  await A.page.click('[data-testid="propagate-forward"]');
  await A.page.waitForFunction(() => /Propagated \d+ frame/.test(document.querySelector('[data-testid="notice"]')?.textContent ?? ""), null, { timeout: 120_000 });
  const obs = await getJson<Obs>(`/api/tasks/${t.id}/observations`);
  const seed = obs.target.keyframes.find((k) => k.frame === s);
  assert.equal(seed?.source, "human", "the human seed keyframe is untouched");
  const propagated = obs.target.keyframes.filter((k) => k.source === "propagated");
  assert.ok(propagated.length >= 5, `propagated ${propagated.length} frames`);
  assert.ok(propagated.every((k) => k.frame > s), "forward only");
  // The page shows them as keyframes at once (no reload), and an edit turns one into a human keyframe.
  const f = propagated[2]!.frame;
  await gotoFrame(A.page, f);
  const r = await readout(A.page);
  assert.equal(r.keyframe, true);
  assert.ok(Math.abs((r.x ?? NaN) - propagated[2]!.x) < 1e-3 && Math.abs((r.y ?? NaN) - propagated[2]!.y) < 1e-3, "the page shows the propagated position");
  // Click away from the drawn point (a click on it would start a drag), then wait for the move and the save.
  const moved = { x: propagated[2]!.x + 20, y: propagated[2]!.y + 15 };
  await clickImage(A.page, moved.x, moved.y);
  await A.page.waitForFunction((x) => Math.abs(Number((document.querySelector('[data-testid="readout"]') as HTMLElement | null)?.dataset.x) - x) < 0.5, moved.x, { timeout: 10_000 });
  await waitSaved(A.page);
  const after = await getJson<Obs>(`/api/tasks/${t.id}/observations`);
  assert.equal(after.target.keyframes.find((k) => k.frame === f)?.source, "human", "a corrected propagated keyframe becomes human");
  await shot(A.page, "propagated");
  await A.context.close();
});
