// `npm run bench:metrics`: runs the metric benchmarks in sequence, each in its own process:
// bench/metrics/mot.ts, then bench/metrics/davis.ts when present.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
let failed = false;
for (const name of ["mot.ts", "davis.ts"]) {
  const file = path.join(here, name);
  if (!existsSync(file)) {
    console.log(`[bench:metrics] ${name} not present, skipped`);
    continue;
  }
  console.log(`[bench:metrics] ${name}`);
  const r = spawnSync(process.execPath, ["--import", "tsx", file], { stdio: "inherit" });
  if (r.status !== 0) failed = true;
}
process.exitCode = failed ? 1 : 0;
