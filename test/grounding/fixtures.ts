// Loads the reference fixtures produced from allenai/molmo2 (see test/fixtures/grounding/README.md).
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const dir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../fixtures/grounding");

export function loadFixture<T>(name: string): T {
  return JSON.parse(readFileSync(path.join(dir, name), "utf8")) as T;
}

export function assertClose(actual: number, expected: number, tol: number, what: string): void {
  if (!(Math.abs(actual - expected) <= tol)) throw new Error(`${what}: ${actual} vs expected ${expected} (tol ${tol})`);
}
