// `groundtrack query`: ask a model runtime "where are <expression> in this video?" and write the ordered point
// tracks with object ids as a TrackAny (MolmoPoint-TrackAny style) JSON example; --masks adds SAM2 masks per object.
import { createHash } from "node:crypto";
import { createReadStream, existsSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { parseCommandArgs, numberOption, UserError } from "../args.ts";
import { progressBar, type Progress } from "../progress.ts";

export const summary = "Query a model for point tracks of an expression in a video (built-in, remote Molmo2 or a registered version), optional SAM2 masks";

const USAGE = `usage: groundtrack query --video FILE --expression TEXT
         [--runtime built-in|remote] [--endpoint URL --model NAME] [--model-dir DIR] | [--model-version V]
         [--max-frames N] [--sampling-fps F] [--timeout SECONDS] [--video-form frames|file [--max-video-mb N]]
         [--masks [--sam2-dir DIR] [--masks-out FILE]] --out tracks.json

  --runtime     built-in (default; the project's MolmoPoint ONNX model) or remote (OpenAI-compatible Molmo2 server)
  --endpoint    remote: API base URL, e.g. http://127.0.0.1:8000/v1     --model  remote: served model name
  --model-version  a registered model version (groundtrack models list): a built-in version runs its own model
                dir, an external one the remote runtime on its endpoint/model (the remote tuning options apply);
                looked up in the database ($DATABASE_URL, default data/groundtrack.db); not with --runtime,
                --endpoint, --model or --model-dir
  --video-form  remote: frames (default; Molmo2's frames with their timestamps, vLLM with frame-list metadata) or
                file (the video itself, sampled by the server's molmo2 loader; at most --max-video-mb, default 64)
  --out         TrackAny JSON example (keyframes at the frames the model saw; point ids = object ids)
  --masks       propagate each object's first point through the video with the mask engine (SAM2 ONNX when
                --sam2-dir / $GROUNDTRACK_SAM2_DIR holds a model set, else the classical segmenter); masks go to
                --masks-out (default <out>.masks.json) as {engine, objects: {id: {frame: COCO RLE}}}`;

async function fileId(file: string): Promise<string> {
  const h = createHash("sha256");
  for await (const chunk of createReadStream(file)) h.update(chunk as Buffer);
  return h.digest("hex").slice(0, 16);
}

export async function run(argv: string[]): Promise<number> {
  const { values: v } = parseCommandArgs(argv, {
    video: { type: "string" },
    expression: { type: "string" },
    runtime: { type: "string" },
    "model-version": { type: "string" },
    endpoint: { type: "string" },
    model: { type: "string" },
    "model-dir": { type: "string" },
    "max-frames": { type: "string" },
    "sampling-fps": { type: "string" },
    timeout: { type: "string" },
    retries: { type: "string" },
    "video-form": { type: "string" },
    "max-video-mb": { type: "string" },
    masks: { type: "boolean", default: false },
    "sam2-dir": { type: "string" },
    "masks-out": { type: "string" },
    out: { type: "string" },
    help: { type: "boolean", short: "h", default: false },
  });
  if (v.help) {
    console.log(USAGE);
    return 0;
  }
  if (!v.video) throw new UserError(`--video is required\n${USAGE}`);
  if (!v.expression?.trim()) throw new UserError("--expression is required (e.g. --expression 'the red squares')");
  if (!v.out) throw new UserError("--out is required (the TrackAny JSON file to write)");
  if (!existsSync(v.video)) throw new UserError(`--video: '${v.video}' does not exist`);
  const { isRuntimeKind, createRuntime, createVersionRuntime, versionLocation } = await import("../../inference/runtimes/index.ts");
  const modelVersion = v["model-version"];
  if (modelVersion !== undefined) {
    const clash = (["runtime", "endpoint", "model", "model-dir"] as const).filter((k) => v[k] !== undefined);
    if (clash.length) throw new UserError(`--model-version brings its own runtime and model; drop ${clash.map((k) => `--${k}`).join(", ")}`);
  }
  const kind = v.runtime ?? "built-in";
  if (!isRuntimeKind(kind)) throw new UserError(`--runtime must be built-in or remote, got '${kind}'`);
  if (kind === "remote" && (!v.endpoint || !v.model)) throw new UserError("--runtime remote needs --endpoint URL and --model NAME");
  if (kind !== "remote" && (v.endpoint || v.model)) throw new UserError("--endpoint/--model only apply to --runtime remote");
  if (v["video-form"] !== undefined && v["video-form"] !== "frames" && v["video-form"] !== "file") throw new UserError(`--video-form must be frames or file, got '${v["video-form"]}'`);
  const version = modelVersion === undefined ? null : await resolveVersion(modelVersion);
  const remoteTuning = (["max-frames", "sampling-fps", "timeout", "retries", "video-form", "max-video-mb"] as const).filter((k) => v[k] !== undefined);
  if (version?.kind === "built-in" && remoteTuning.length) throw new UserError(`${remoteTuning.map((k) => `--${k}`).join(", ")} ${remoteTuning.length === 1 ? "applies" : "apply"} only to remote models; model version '${version.version}' is built-in`);

  const { probeVideo, isVideoError } = await import("../../lib/video/index.ts");
  const { RuntimeError } = await import("../../inference/runtime.ts");
  const { exportTrackAny } = await import("../../lib/formats/index.ts");

  let meta;
  try {
    meta = await probeVideo(v.video);
  } catch (e) {
    throw new UserError(`--video '${v.video}': ${isVideoError(e) ? e.message : (e as Error).message}`);
  }
  const tuning = {
    ...(v["max-frames"] ? { maxFrames: numberOption("max-frames", v["max-frames"]) } : {}),
    ...(v["sampling-fps"] ? { samplingFps: numberOption("sampling-fps", v["sampling-fps"]) } : {}),
    ...(v.timeout ? { timeoutMs: Math.round(numberOption("timeout", v.timeout) * 1000) } : {}),
    ...(v.retries ? { retries: numberOption("retries", v.retries) } : {}),
    ...(v["video-form"] ? { videoForm: v["video-form"] as "frames" | "file" } : {}),
    ...(v["max-video-mb"] ? { maxVideoBytes: Math.round(numberOption("max-video-mb", v["max-video-mb"]) * 1048576) } : {}),
  };
  const remote = kind === "remote" ? { endpoint: v.endpoint!, model: v.model!, ...tuning } : undefined;

  const video = { id: await fileId(v.video), path: path.resolve(v.video), meta };
  const ac = new AbortController();
  const onSig = () => ac.abort();
  process.once("SIGINT", onSig);
  // One bar per runtime stage (sampling frames, asking, parsing, …), advanced by the runtime's done counter.
  const bars = { bar: null as Progress | null, stage: "", done: 0 };
  const onProgress = (p: { stage: string; done: number; total: number }) => {
    if (p.stage !== bars.stage) {
      bars.bar?.stop();
      bars.stage = p.stage;
      bars.done = 0;
      bars.bar = progressBar(p.stage.padEnd(9), p.total);
    }
    if (p.done > bars.done) {
      bars.bar?.tick(p.done - bars.done);
      bars.done = p.done;
    }
  };
  try {
    const log = (m: string) => console.error(m);
    const runtime = version
      ? await createVersionRuntime(version, { remote: tuning, log })
      : await createRuntime(kind, { ...(remote ? { remote } : {}), ...(v["model-dir"] ? { modelDir: v["model-dir"] } : {}), log });
    if (version) console.error(`model version ${version.version} (${version.kind}, ${versionLocation(version)})`);
    let result;
    try {
      result = await runtime.query({ video, expression: v.expression, signal: ac.signal, onProgress });
    } finally {
      bars.bar?.stop();
      await runtime.close();
    }
    const name = path.basename(v.video);
    const set = { ...result.tracks, video: { ...result.tracks.video, name } };
    await mkdir(path.dirname(path.resolve(v.out)), { recursive: true });
    await writeFile(v.out, exportTrackAny(set, result.sampledFrames.length ? { frames: result.sampledFrames } : {}) + "\n");
    console.error(`${version ? `${version.version} = ` : ""}${result.engine}: ${set.objects.length} object(s) for '${v.expression}' on ${result.sampledFrames.length} sampled frames → ${v.out}`);

    if (v.masks) {
      const { createMaskEngine } = await import("../../inference/sam2/index.ts");
      const { maskPrompts } = await import("../../inference/service/runner.ts");
      const sam2Dir = v["sam2-dir"] ?? process.env.GROUNDTRACK_SAM2_DIR;
      const engine = await createMaskEngine({ ...(sam2Dir ? { modelsDir: sam2Dir } : {}), log: (m) => console.error(m) });
      try {
        const prompts = maskPrompts(result.tracks);
        const objects: Record<string, Record<string, { size: [number, number]; counts: string }>> = {};
        if (prompts.length) {
          const mb = progressBar("masks    ", meta.frameCount);
          const frames = await engine.propagate({ video, prompts, direction: "both", startFrame: Math.min(...prompts.map((p) => p.frame)), signal: ac.signal, onFrame: () => mb.tick() });
          mb.stop();
          for (const f of frames) for (const m of f.masks) (objects[m.objectId] ??= {})[String(f.frame)] = m.rle;
        }
        const masksOut = v["masks-out"] ?? v.out.replace(/(\.json)?$/i, ".masks.json");
        await writeFile(masksOut, JSON.stringify({ engine: engine.engine, video: name, objects }) + "\n");
        console.error(`${engine.engine}: masks for ${Object.keys(objects).length} object(s) → ${masksOut}`);
      } finally {
        await engine.close();
      }
    }
    return 0;
  } catch (e) {
    if (e instanceof RuntimeError) {
      const named = !version || e.message.includes(`model version '${version.version}'`);
      throw new UserError(`${e.code}: ${named ? "" : `model version '${version.version}' (${version.kind}, ${versionLocation(version)}): `}${e.message}`);
    }
    throw e;
  } finally {
    process.off("SIGINT", onSig);
  }
}

/** The registered version named by --model-version, if it may be queried (candidate or promoted). */
async function resolveVersion(name: string) {
  const { getDb } = await import("../../lib/db/index.ts");
  const { queryableVersion } = await import("../../lib/services/models.ts");
  const db = getDb();
  try {
    return await queryableVersion(db, name);
  } catch (e) {
    if ((e as Error)?.name === "ServiceError") throw new UserError(`--model-version: ${(e as Error).message.replace(/^modelVersion: /, "")}`);
    throw e;
  } finally {
    await db.$disconnect();
  }
}
