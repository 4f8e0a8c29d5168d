// /query in real Chromium against the real server (server.ts: Next + socket.io + in-process query worker) and the
// Molmo2 stub: run a remote query on the demo video, watch the streamed result reach the page (object count,
// player), screenshot it; an annotator is refused; a down server shows a clear error on the page; a registered
// external version is offered in the model selector and a job runs with it.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { Browser } from "playwright-core";
import { launchChromium, loggedIn, shot } from "../e2e/browser";
import { apiLogin, startServer, type RunningServer } from "../e2e/server";
import { molmo2TrackAnswer, startMolmo2Stub, type Molmo2Stub } from "../helpers/molmo2-stub";

let server: RunningServer;
let browser: Browser;
let stub: Molmo2Stub;
let video: { id: number; name: string; width: number; height: number; fps: number; durationSec: number };

before(async () => {
  stub = await startMolmo2Stub();
  server = await startServer();
  browser = await launchChromium();
  const cookie = await apiLogin(server.url, "admin", server.passwords.admin!);
  const res = await fetch(`${server.url}/api/videos`, { headers: { cookie } });
  const body = (await res.json()) as { videos: Array<typeof video & { status: string }> };
  video = body.videos.find((v) => v.status === "ready")!;
});
after(async () => {
  await browser?.close();
  await server?.stop();
  await stub?.close();
});

/** Two objects crossing the frame, as Molmo2 would answer at 2 fps. */
function answer(): string {
  const frames = [];
  for (let t = 0; t <= video.durationSec - 0.5; t += 0.5) {
    const u = t / video.durationSec;
    frames.push({ time: t, points: [{ id: 1, x: video.width * (0.2 + 0.6 * u), y: video.height * 0.3 }, { id: 2, x: video.width * (0.8 - 0.6 * u), y: video.height * 0.7 }] });
  }
  return molmo2TrackAnswer(frames, { width: video.width, height: video.height }, "the shapes");
}

test("/query: a remote query streams tracks onto the player; errors are shown; annotators are refused", async () => {
  stub.setReplies([{ kind: "text", text: answer(), chunk: 40, delayMs: 20 }]);
  const { context, page } = await loggedIn(browser, server.url, "admin", server.passwords.admin!);
  await page.goto("/query");
  await page.getByLabel("Expression").fill("the shapes");
  await page.getByLabel("Runtime").selectOption("remote");
  await page.getByLabel("Endpoint").fill(stub.url);
  await page.getByLabel("Model").fill("allenai/Molmo2-8B");
  await page.getByRole("button", { name: "Run query" }).click();
  await page.getByText(/Job #\d+ finished/).waitFor({ timeout: 60_000 });
  await page.getByText("2 object(s)").waitFor({ timeout: 10_000 });
  await page.getByText(/masks: (classical|sam2):/).waitFor({ timeout: 10_000 });
  await page.locator("canvas").first().waitFor();
  await page.getByLabel("frame").fill("4");
  await page.waitForTimeout(500);
  await shot(page, "query-result");
  assert.equal(stub.requests.at(-1)!.prompt, "Track all instances of 'the shapes' in this video, sampling at 2 frames per second. Show the position coordinates at each timestamp.");

  // Server down: the job fails and the page says why.
  const down = await startMolmo2Stub();
  await down.close();
  await page.getByLabel("Endpoint").fill(down.url);
  await page.getByRole("button", { name: "Run query" }).click();
  await page.getByRole("alert").filter({ hasText: /server_unreachable: .*unreachable/ }).waitFor({ timeout: 60_000 });
  await shot(page, "query-error");
  await context.close();

  const ann = await loggedIn(browser, server.url, "annotator", server.passwords.annotator!);
  await ann.page.goto("/query");
  await ann.page.getByRole("alert").filter({ hasText: /reviewer \/ admin/ }).waitFor();
  await ann.context.close();
});

test("/query: a registered external version is offered in the model selector and the job runs with it", async () => {
  const cookie = await apiLogin(server.url, "admin", server.passwords.admin!);
  const reg = await fetch(`${server.url}/api/models/external`, {
    method: "POST", headers: { cookie, "content-type": "application/json" },
    body: JSON.stringify({ version: "stub-ext", endpoint: stub.url, model: "allenai/Molmo2-4B" }),
  });
  assert.equal(reg.status, 201);
  stub.setReplies([{ kind: "text", text: answer() }]);
  const { context, page } = await loggedIn(browser, server.url, "admin", server.passwords.admin!);
  await page.goto("/query");
  await page.locator('option[value="version:stub-ext"]').waitFor({ state: "attached" });
  assert.equal(await page.locator('option[value="version:stub-ext"]').textContent(), `stub-ext — external: allenai/Molmo2-4B @ ${stub.url}`);
  await page.getByLabel("Runtime / version").selectOption("version:stub-ext");
  await page.getByTestId("model-detail").filter({ hasText: "external candidate" }).waitFor();
  await page.getByLabel("Expression").fill("the shapes");
  await page.getByLabel(/SAM2 masks/).uncheck();
  await page.getByRole("button", { name: "Run query" }).click();
  await page.getByText(/Job #\d+ finished/).waitFor({ timeout: 60_000 });
  await page.getByText("model stub-ext (remote)").waitFor();
  await page.getByText("2 object(s)").waitFor({ timeout: 10_000 });
  assert.equal(stub.requests.at(-1)!.model, "allenai/Molmo2-4B");
  const jobs = (await (await fetch(`${server.url}/api/jobs?limit=1`, { headers: { cookie } })).json()) as { jobs: Array<{ modelVersion: string | null; status: string }> };
  assert.equal(jobs.jobs[0]!.modelVersion, "stub-ext");
  assert.equal(jobs.jobs[0]!.status, "done");
  await shot(page, "query-model-version");
  await context.close();
});
