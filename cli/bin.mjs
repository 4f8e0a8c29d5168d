#!/usr/bin/env node
// `npx groundtrack <command>`: registers tsx so the TypeScript sources run directly, then dispatches.
//
// One exception: `eval mot` (a batch scorer benchmarked end to end against TrackEval) runs from a plain-JS build of
// its own modules, because starting tsx's loader costs more CPU than scoring a MOT-size dataset. The build is made by
// esbuild (tsx's own compiler) into node_modules/.cache/groundtrack and is rebuilt whenever any of its source files
// changes (mtime or size); nothing built is committed. GROUNDTRACK_PRECOMPILED=0 turns it off; if the cache cannot
// be used for any reason the command runs the normal way.
//
// `sam2` and `query` run models: started without the inference flags (scripts/inference-node-flags.mjs), the command
// reruns itself in a child node that has them (one more node start: 0.14–0.22 s measured on the loaded 2-core
// machine) and passes on its exit code.
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { hasInferenceNodeFlags, INFERENCE_NODE_FLAGS } from "../scripts/inference-node-flags.mjs";

const argv = process.argv.slice(2);

/** Commands that run SAM2 or a pointing model. */
const INFERENCE_COMMANDS = new Set(["sam2", "query"]);

if (process.env.GROUNDTRACK_CLI_PARENT && process.channel) {
  // Rerun child: a parent killed outright (kill -9) must not leave it running.
  process.channel.unref();
  process.on("disconnect", () => process.exit(1));
}

if (INFERENCE_COMMANDS.has(argv[0]) && !hasInferenceNodeFlags()) {
  process.exitCode = await rerunWithInferenceFlags();
} else if (argv[0] === "eval" && argv[1] === "mot" && process.env.GROUNDTRACK_PRECOMPILED !== "0") {
  // Its WebAssembly kernels (lib/metrics/mot/kernels.ts, lib/metrics/hotaKernel.ts) run once per sequence in long
  // loops, and wasm has no on-stack replacement: compiled by the baseline tier (Liftoff) a call stays slow to its end.
  // Compiling them with the optimizing tier from the start costs a few milliseconds.
  const v8 = await import("node:v8");
  v8.setFlagsFromString("--no-liftoff");
  const built = await precompiledEvalMot().catch(() => null);
  const mod = built?.mod;
  if (mod && typeof mod.runMot === "function") {
    try {
      const saveAssemblies = useSavedAssemblies(mod, built.wasmFile);
      process.exitCode = await mod.runMot(argv.slice(2));
      saveAssemblies();
    } catch (e) {
      // Same reporting as cli/main.ts: input errors without a stack trace.
      if (e instanceof Error && e.name === "UserError") {
        console.error(`groundtrack eval: ${e.message}`);
        process.exitCode = 1;
      } else throw e;
    }
  } else await runWithTsx();
} else await runWithTsx();

/**
 * The build's WebAssembly modules as assembled by earlier runs (lib/metrics/mot/wat.ts `useAssemblyCache`), kept in
 * a file next to the build (same lifetime). Returns what saves the modules this run assembled anew; a missing or
 * unreadable file only means assembling again.
 */
function useSavedAssemblies(mod, wasmFile) {
  if (typeof mod.useAssemblyCache !== "function" || typeof mod.recordAssemblies !== "function") return () => {};
  let saved = [];
  try {
    saved = JSON.parse(readFileSync(wasmFile, "utf8")).map(([key, b64]) => [key, Buffer.from(b64, "base64")]);
    mod.useAssemblyCache(saved);
  } catch {
    saved = [];
  }
  const fresh = mod.recordAssemblies();
  return () => {
    if (fresh.size === 0) return;
    try {
      const all = [...saved, ...fresh].map(([key, bytes]) => [key, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64")]);
      const tmp = `${wasmFile}.${process.pid}.tmp`;
      writeFileSync(tmp, JSON.stringify(all));
      renameSync(tmp, wasmFile);
    } catch {
      // A read-only cache directory: next run assembles again.
    }
  };
}

/** Runs this command again in a child node with the inference flags; resolves to its exit code. */
async function rerunWithInferenceFlags() {
  const { spawn } = await import("node:child_process");
  const { fileURLToPath } = await import("node:url");
  const os = await import("node:os");
  const child = spawn(process.execPath, [...process.execArgv, ...INFERENCE_NODE_FLAGS, fileURLToPath(import.meta.url), ...argv], {
    stdio: ["inherit", "inherit", "inherit", "ipc"],
    env: { ...process.env, GROUNDTRACK_CLI_PARENT: String(process.pid) },
  });
  // Ctrl-C in a terminal reaches the whole foreground process group, the child included; passing it on as well
  // would be a second SIGINT, which stops `query` without its cleanup. A SIGINT sent to this process alone (no
  // terminal) is passed on.
  process.on("SIGINT", () => {
    if (!process.stdin.isTTY) child.kill("SIGINT");
  });
  for (const sig of ["SIGTERM", "SIGHUP"]) process.on(sig, () => child.kill(sig));
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("exit", (code, signal) => resolve(code ?? 128 + (os.constants.signals[signal] ?? 0)));
  });
}

async function runWithTsx() {
  const { register } = await import("tsx/esm/api");
  register();
  const { main } = await import("./main.ts");
  process.exitCode = await main(argv);
}

/** Imports the cached build of `runMot` (cli/commands/eval.ts), (re)building it first when stale; with its assembly file. */
async function precompiledEvalMot() {
  const { mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } = await import("node:fs");
  const path = await import("node:path");
  const { fileURLToPath, pathToFileURL } = await import("node:url");
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
  const dir = path.join(root, "node_modules", ".cache", "groundtrack");
  const manifestFile = path.join(dir, "eval-mot.json");
  const stamp = (file) => {
    const s = statSync(path.join(root, file));
    return [s.mtimeMs, s.size];
  };
  const fresh = (m) =>
    Object.entries(m.inputs).every(([file, [mtime, size]]) => {
      try {
        const [t, n] = stamp(file);
        return t === mtime && n === size;
      } catch {
        return false;
      }
    });
  let manifest = null;
  try {
    manifest = JSON.parse(readFileSync(manifestFile, "utf8"));
  } catch {
    manifest = null;
  }
  if (!manifest || !fresh(manifest)) {
    const esbuild = await import("esbuild");
    mkdirSync(dir, { recursive: true });
    const bundle = `eval-mot-${process.pid}-${Date.now()}.mjs`;
    const result = await esbuild.build({
      absWorkingDir: root,
      stdin: { contents: 'export { runMot } from "./cli/commands/eval.ts"; export { recordAssemblies, useAssemblyCache } from "./lib/metrics/mot/wat.ts";', resolveDir: root, sourcefile: "eval-mot-entry.ts", loader: "ts" },
      bundle: true,
      platform: "node",
      format: "esm",
      target: "node20",
      outfile: path.join(dir, bundle),
      metafile: true,
      logLevel: "silent",
      // Bundled CommonJS code (cli-progress) requires node built-ins; ESM output needs a real `require` for that.
      banner: { js: 'import { createRequire as __gtCreateRequire } from "node:module"; const require = __gtCreateRequire(import.meta.url);' },
      plugins: [
        // The other evaluators are loaded lazily by eval.ts and are not part of this build.
        { name: "lazy-siblings", setup: (b) => b.onResolve({ filter: /^\.\/eval-[a-z]+\.ts$/ }, (a) => ({ path: a.path, external: true })) },
        // Packages stay external (loaded from node_modules), except cli-progress: bundled, it is only evaluated when a
        // progress bar is shown (eval.ts imports cli/progress.ts lazily), instead of costing ~20 ms of module loading
        // on every run.
        {
          name: "packages",
          setup: (b) =>
            b.onResolve({ filter: /^[^./]/ }, (a) =>
              a.path === "cli-progress" || a.importer.includes(`${path.sep}node_modules${path.sep}`) ? undefined : { path: a.path, external: true },
            ),
        },
      ],
    });
    const inputs = {};
    for (const file of Object.keys(result.metafile.inputs)) if (file !== "eval-mot-entry.ts") inputs[file] = stamp(file);
    const previous = manifest?.bundle;
    manifest = { bundle, inputs };
    const tmp = `${manifestFile}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(manifest));
    renameSync(tmp, manifestFile);
    if (previous && previous !== bundle) {
      rmSync(path.join(dir, previous), { force: true });
      rmSync(path.join(dir, `${previous}.wasm.json`), { force: true });
    }
  }
  return { mod: await import(pathToFileURL(path.join(dir, manifest.bundle)).href), wasmFile: path.join(dir, `${manifest.bundle}.wasm.json`) };
}
