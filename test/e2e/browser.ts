// Real Chromium through playwright-core (the Debian build; CHROMIUM_PATH is set by `npm test`).
import { mkdirSync } from "node:fs";
import path from "node:path";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { root } from "./server";

export const ARTIFACTS = path.join(root, "test-artifacts", "e2e");

export async function launchChromium(): Promise<Browser> {
  mkdirSync(ARTIFACTS, { recursive: true });
  // playwright gives every launch a fresh temporary user-data dir.
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
}

/** A fresh context logged in through the real /login form. */
export async function loggedIn(browser: Browser, url: string, username: string, password: string): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width: 1400, height: 860 }, baseURL: url });
  const page = await context.newPage();
  page.on("pageerror", (err) => console.error(`[browser ${username}] ${err.message}`));
  await page.goto("/login");
  await page.fill('input[name="username"]', username);
  await page.fill('input[name="password"]', password);
  await Promise.all([page.waitForURL((u) => !u.pathname.startsWith("/login") && !u.pathname.startsWith("/api/"), { timeout: 20_000 }), page.click('button[type="submit"]')]);
  return { context, page };
}

export async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`) });
}
