// Driving the annotator page from a test: frame navigation with the real shortcuts, clicks in image
// coordinates (through the view the page reports), and the readout the page exposes.
import type { Page } from "playwright-core";

export interface Readout {
  frame: number;
  time: number;
  x: number | null;
  y: number | null;
  state: string;
  keyframe: boolean;
}

export async function readout(page: Page): Promise<Readout> {
  return page.$eval('[data-testid="readout"]', (el) => {
    const d = (el as HTMLElement).dataset;
    return {
      frame: Number(d.frame),
      time: Number(d.time),
      x: d.x === "" || d.x === undefined ? null : Number(d.x),
      y: d.y === "" || d.y === undefined ? null : Number(d.y),
      state: d.state ?? "",
      keyframe: d.keyframe === "1",
    };
  });
}

export async function openTask(page: Page, taskId: number, query = ""): Promise<void> {
  await page.goto(`/tasks/${taskId}${query}`);
  await page.waitForSelector('[data-testid="readout"]', { timeout: 60_000 });
  await page.waitForFunction(() => document.querySelector('[data-testid="readout"]')?.getAttribute("data-painted-frame") !== null, null, { timeout: 60_000 });
}

/** Moves to `frame` with the arrow-key shortcuts (Shift = 10 frames) and waits until it is painted. */
export async function gotoFrame(page: Page, frame: number): Promise<void> {
  let cur = (await readout(page)).frame;
  while (Math.abs(frame - cur) >= 10) {
    await page.keyboard.press(frame > cur ? "Shift+ArrowRight" : "Shift+ArrowLeft");
    cur += frame > cur ? 10 : -10;
  }
  while (cur !== frame) {
    await page.keyboard.press(frame > cur ? "ArrowRight" : "ArrowLeft");
    cur += frame > cur ? 1 : -1;
  }
  await page.waitForFunction((f) => {
    const d = (document.querySelector('[data-testid="readout"]') as HTMLElement | null)?.dataset;
    return d?.frame === String(f) && d.paintedFrame === String(f);
  }, frame, { timeout: 30_000 });
}

/** Clicks the canvas at image pixel (x, y). */
export async function clickImage(page: Page, x: number, y: number): Promise<void> {
  const stage = page.locator('[data-testid="stage"]');
  const [scale, vx, vy] = ((await stage.getAttribute("data-view")) ?? "").split(",").map(Number);
  const box = await stage.boundingBox();
  if (!box || !scale) throw new Error("stage not laid out");
  await page.mouse.click(box.x + x * scale + vx!, box.y + y * scale + vy!);
}

/** Waits until autosave has written everything (status "saved", nothing pending). */
export async function waitSaved(page: Page): Promise<number> {
  await page.waitForFunction(() => document.querySelector('[data-testid="save-status"]')?.getAttribute("data-status") === "saved", null, { timeout: 20_000 });
  const text = (await page.textContent('[data-testid="save-status"]')) ?? "";
  const m = /v(\d+)/.exec(text);
  return m ? Number(m[1]) : NaN;
}
