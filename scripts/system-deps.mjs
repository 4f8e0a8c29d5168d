// Installs the Debian packages the project needs when they are missing (tests and demo data).
// Only the npm registry and Debian's apt are reachable, so everything comes from one of those two.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync } from "node:fs";
import path from "node:path";

function isRoot() {
  return typeof process.getuid === "function" && process.getuid() === 0;
}

let aptUpdated = false;
function apt(args) {
  const sudo = isRoot() ? [] : ["sudo", "-n"];
  const run = (a) => {
    const [cmd, ...rest] = [...sudo, "apt-get", ...a];
    const r = spawnSync(cmd, rest, { stdio: ["ignore", "inherit", "inherit"], env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } });
    return r.status === 0;
  };
  if (!aptUpdated) {
    run(["update", "-qq"]);
    aptUpdated = true;
  }
  return run(args);
}

export function findChromium() {
  for (const p of [process.env.CHROMIUM_PATH, "/usr/bin/chromium", "/usr/bin/chromium-browser"]) {
    if (p && existsSync(p)) return p;
  }
  return null;
}

/** Debian chromium for the real-browser tests. */
export function ensureChromium() {
  const found = findChromium();
  if (found) return found;
  console.log("[deps] chromium missing: apt-get install -y chromium");
  if (!apt(["install", "-y", "-qq", "--no-install-recommends", "chromium", "fonts-dejavu-core"])) {
    throw new Error("Could not install Debian chromium (apt-get failed). Install it by hand: apt-get install -y chromium");
  }
  const p = findChromium();
  if (!p) throw new Error("chromium installed but not found at /usr/bin/chromium");
  return p;
}

/**
 * Real sample videos from Debian's opencv-doc (vtest.avi, Megamind.avi, tree.avi, box.mp4, cup.mp4),
 * unpacked into <root>/data/samples without installing the package system-wide.
 */
export function ensureSampleVideos(root) {
  const dest = path.join(root, "data", "samples");
  if (existsSync(path.join(dest, "vtest.avi"))) return dest;
  mkdirSync(dest, { recursive: true });
  const work = path.join(root, "data", "tmp-opencv-doc");
  mkdirSync(work, { recursive: true });
  const sudo = isRoot() ? [] : [];
  if (!aptUpdated) apt(["update", "-qq"]);
  const dl = spawnSync("apt-get", [...sudo, "download", "-qq", "opencv-doc"], { cwd: work, stdio: "inherit" });
  if (dl.status !== 0) throw new Error("apt-get download opencv-doc failed: cannot fetch the real sample videos");
  const deb = readdirSync(work).find((f) => f.endsWith(".deb"));
  if (!deb) throw new Error("opencv-doc .deb not found after download");
  execFileSync("dpkg", ["-x", deb, "x"], { cwd: work });
  const out = execFileSync("find", ["x", "-type", "f", "(", "-name", "*.avi", "-o", "-name", "*.mp4.gz", "-o", "-name", "*.mp4", ")"], { cwd: work, encoding: "utf8" })
    .split("\n").filter(Boolean);
  for (const rel of out) {
    const base = path.basename(rel);
    const src = path.join(work, rel);
    if (base.endsWith(".gz")) {
      execFileSync("sh", ["-c", `gzip -dc "$1" > "$2"`, "sh", src, path.join(dest, base.slice(0, -3))]);
    } else {
      execFileSync("cp", [src, path.join(dest, base)]);
    }
  }
  execFileSync("rm", ["-rf", work]);
  if (!existsSync(path.join(dest, "vtest.avi"))) throw new Error("opencv-doc did not contain vtest.avi");
  return dest;
}
