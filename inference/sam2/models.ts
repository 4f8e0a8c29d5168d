// Finding and loading a SAM2 four-module ONNX set (image_encoder, image_decoder, memory_attention,
// memory_encoder). Public exports name their tensors differently (Aimol-l/SAM2Export and NVIDIA deepstream_tools:
// `image`, `pix_feat`, `vision_feats`…; pagarcia/sam2-onnx-cpp: `input`, `image_embeddings`, `current_vision_feat`…),
// so every tensor is looked up by a canonical name plus aliases, and a set that lacks one fails with an error
// naming the file, the tensor, the names accepted and the names the file has.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import * as ort from "onnxruntime-node";
import { hasInferenceNodeFlags } from "../../scripts/inference-node-flags.mjs";
import { RuntimeError } from "../runtime";

export type ModuleRole = "image_encoder" | "image_decoder" | "memory_attention" | "memory_encoder";
export const MODULE_ROLES: readonly ModuleRole[] = ["image_encoder", "image_decoder", "memory_attention", "memory_encoder"];

/** File names tried for each module, best first (pagarcia's obj-pointer attention before its plain one). */
export const MODULE_FILES: Record<ModuleRole, readonly string[]> = {
  image_encoder: ["image_encoder.onnx"],
  image_decoder: ["image_decoder.onnx", "mask_decoder.onnx"],
  memory_attention: ["memory_attention_objptr.onnx", "memory_attention.onnx"],
  memory_encoder: ["memory_encoder.onnx"],
};

interface TensorSpec {
  /** Canonical name, then aliases. */
  names: readonly string[];
  optional?: boolean;
}

/** The contract (research note sam2_onnx.md §4): canonical names first, aliases after. */
export const CONTRACT = {
  image_encoder: {
    inputs: { image: { names: ["image", "input", "pixel_values"] } },
    outputs: {
      pixFeat: { names: ["pix_feat", "image_embeddings", "vision_features"] },
      highRes0: { names: ["high_res_feat0", "high_res_features1", "high_res_feats_0"] },
      highRes1: { names: ["high_res_feat1", "high_res_features2", "high_res_feats_1"] },
      visionFeats: { names: ["vision_feats", "current_vision_feat"] },
      visionPos: { names: ["vision_pos_embed"] },
    },
  },
  image_decoder: {
    inputs: {
      pointCoords: { names: ["point_coords"] },
      pointLabels: { names: ["point_labels"] },
      imageEmbed: { names: ["image_embed"] },
      highRes0: { names: ["high_res_feats_0", "high_res_feat0"] },
      highRes1: { names: ["high_res_feats_1", "high_res_feat1"] },
    },
    outputs: {
      objPtr: { names: ["obj_ptr"] },
      maskForMem: { names: ["mask_for_mem"] },
      predMask: { names: ["pred_mask", "low_res_masks", "masks"] },
      iou: { names: ["iou", "iou_predictions", "iou_pred"], optional: true },
      occLogit: { names: ["occ_logit", "object_score_logits"], optional: true },
    },
  },
  memory_attention: {
    inputs: {
      currentVisionFeat: { names: ["current_vision_feat"] },
      currentVisionPos: { names: ["current_vision_pos_embed"] },
      memory0: { names: ["memory_0"], optional: true },
      memory1: { names: ["memory_1"] },
      memoryPos: { names: ["memory_pos_embed"] },
      objPtrOffsets: { names: ["obj_ptr_offsets"], optional: true },
    },
    outputs: { fused: { names: ["fused_feat", "image_embed"] } },
  },
  memory_encoder: {
    inputs: {
      maskForMem: { names: ["mask_for_mem"] },
      pixFeat: { names: ["pix_feat"] },
      occLogit: { names: ["occ_logit", "object_score_logits"], optional: true },
    },
    outputs: {
      features: { names: ["maskmem_features"] },
      posEnc: { names: ["maskmem_pos_enc"] },
      temporalCode: { names: ["temporal_code", "maskmem_tpos_enc"] },
    },
  },
} as const satisfies Record<ModuleRole, { inputs: Record<string, TensorSpec>; outputs: Record<string, TensorSpec> }>;

type Contract = typeof CONTRACT;
type Resolved<T extends Record<string, TensorSpec>> = { [K in keyof T]: T[K] extends { optional: true } ? string | undefined : string };

/** One loaded module: its session and the actual tensor name for each contract slot. */
export interface LoadedModule<R extends ModuleRole> {
  role: R;
  file: string;
  session: ort.InferenceSession;
  inputs: Resolved<Contract[R]["inputs"]>;
  outputs: Resolved<Contract[R]["outputs"]>;
  /** Input shapes from the model metadata (symbolic dims as strings). */
  inputShapes: Record<string, ReadonlyArray<number | string>>;
}

export interface Sam2ModelSet {
  dir: string;
  variant: string;
  /** "cuda" or "cpu": where the sessions run. */
  device: "cuda" | "cpu";
  encoder: LoadedModule<"image_encoder">;
  decoder: LoadedModule<"image_decoder">;
  attention: LoadedModule<"memory_attention">;
  memoryEncoder: LoadedModule<"memory_encoder">;
  /** Side length of the square encoder input (1024 for real SAM2). */
  imageSize: number;
  /** The session settings every module was loaded with (a second encoder session, encoder-worker.ts, uses them too). */
  tuning: SessionTuning;
}

function resolveNames<T extends Record<string, TensorSpec>>(file: string, kind: "input" | "output", have: readonly string[], specs: T): Resolved<T> {
  const out: Record<string, string | undefined> = {};
  const missing: string[] = [];
  for (const [slot, spec] of Object.entries(specs)) {
    const found = spec.names.find((n) => have.includes(n));
    if (!found && !spec.optional) missing.push(spec.names.length > 1 ? `'${spec.names[0]}' (or ${spec.names.slice(1).map((n) => `'${n}'`).join(", ")})` : `'${spec.names[0]}'`);
    out[slot] = found;
  }
  if (missing.length) {
    throw new RuntimeError(
      "model_invalid",
      `${file}: no ${kind} named ${missing.join(", ")}; the model's ${kind}s are [${have.join(", ")}]. ` +
        "It is not a SAM2 four-module export this service understands (see models/sam2/README.md).",
    );
  }
  return out as Resolved<T>;
}

/** Whether onnxruntime-node's CUDA execution provider binaries are installed next to its binding. */
export function cudaProviderInstalled(): boolean {
  try {
    const require = createRequire(import.meta.url);
    const pkg = path.dirname(require.resolve("onnxruntime-node/package.json"));
    const dir = path.join(pkg, "bin", "napi-v6", process.platform, process.arch);
    return existsSync(path.join(dir, "libonnxruntime_providers_cuda.so")) || existsSync(path.join(dir, "onnxruntime_providers_cuda.dll"));
  } catch {
    return false;
  }
}

/**
 * onnxruntime CPU session settings for the loop. `session.run` is synchronous on the JS thread while the loop's
 * own work (frame preprocessing on a worker, mask output) runs beside it, so the intra-op pool threads must not
 * spin-wait between runs (ORT's default): on a 2-core machine a spinning thread takes the core the worker needs.
 */
export interface SessionTuning {
  /** onnxruntime intra-op threads; 0 = its default (one per core). */
  intraOpThreads: number;
  /** `session.intra_op.allow_spinning`: pool threads busy-wait for work after a run. */
  spinning: boolean;
}

export const DEFAULT_SESSION_TUNING: SessionTuning = { intraOpThreads: 0, spinning: false };

/** The onnxruntime session options for `device` and `tuning` (the benchmark's replay uses the same sessions). */
export function sessionOptions(device: "cuda" | "cpu", tuning: SessionTuning = DEFAULT_SESSION_TUNING): ort.InferenceSession.SessionOptions {
  return {
    executionProviders: device === "cuda" ? ["cuda", "cpu"] : ["cpu"],
    graphOptimizationLevel: "all",
    logSeverityLevel: 4,
    // One model runs at a time: no inter-op pool.
    executionMode: "sequential",
    interOpNumThreads: 1,
    ...(tuning.intraOpThreads > 0 ? { intraOpNumThreads: tuning.intraOpThreads } : {}),
    extra: { session: { intra_op: { allow_spinning: tuning.spinning ? "1" : "0" } } },
  };
}

async function createSession(file: string, device: "cuda" | "cpu", tuning: SessionTuning): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(file, sessionOptions(device, tuning));
}

/** Loads one module file, validating that it is a readable ONNX model with the contract's tensor names. */
export async function loadModule<R extends ModuleRole>(role: R, file: string, device: "cuda" | "cpu", tuning: SessionTuning = DEFAULT_SESSION_TUNING): Promise<LoadedModule<R>> {
  const shown = path.basename(file);
  let st;
  try {
    st = statSync(file);
  } catch {
    throw new RuntimeError("model_missing", `${role}: model file '${file}' does not exist`);
  }
  if (!st.isFile() || st.size === 0) throw new RuntimeError("model_invalid", `${role}: model file '${file}' is ${st.isFile() ? "empty" : "not a file"}`);
  let session: ort.InferenceSession;
  try {
    session = await createSession(file, device, tuning);
  } catch (e) {
    const why = (e as Error).message.replace(/\s+/g, " ").trim();
    const hint = /external data|\.data/i.test(why) ? ` (is its external weights file '${shown}.data' beside it and complete?)` : " (corrupt, truncated or not an ONNX model?)";
    throw new RuntimeError("model_invalid", `${role}: cannot load '${file}'${hint}: ${why}`);
  }
  const contract = CONTRACT[role];
  try {
    const inputs = resolveNames(shown, "input", session.inputNames, contract.inputs);
    const outputs = resolveNames(shown, "output", session.outputNames, contract.outputs);
    // An input the loop does not feed would only fail at the first run: say so now.
    const fed = new Set(Object.values(inputs as Record<string, string | undefined>));
    const extra = session.inputNames.filter((n) => !fed.has(n));
    if (extra.length) {
      throw new RuntimeError("model_invalid", `${shown}: has input${extra.length > 1 ? "s" : ""} ${extra.map((n) => `'${n}'`).join(", ")} that a SAM2 four-module ${role} does not take (a different export's variant?); see models/sam2/README.md`);
    }
    const inputShapes: Record<string, ReadonlyArray<number | string>> = {};
    for (const m of session.inputMetadata) if (m.isTensor) inputShapes[m.name] = m.shape;
    return { role, file, session, inputs, outputs, inputShapes } as LoadedModule<R>;
  } catch (e) {
    await session.release();
    throw e;
  }
}

/** The .onnx file for each role in `dir`, or why the directory holds no usable set. */
export function findModelFiles(dir: string): { files: Record<ModuleRole, string> } | { missing: ModuleRole[]; onnxFiles: string[] } {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (e) {
    throw new RuntimeError("model_missing", `SAM2 models directory '${dir}' cannot be read: ${(e as Error).message}`);
  }
  const files: Partial<Record<ModuleRole, string>> = {};
  const missing: ModuleRole[] = [];
  // Exact names first; then the same names with a model-size suffix (`image_encoder_tiny.onnx`), as some
  // export scripts write them.
  const sized = (n: string) => new RegExp(`^${n.replace(/\.onnx$/, "")}_(tiny|small|base_plus|base\+|large|hiera_[a-z+_]+|[tslb]\+?)\.onnx$`);
  for (const role of MODULE_ROLES) {
    const hit = MODULE_FILES[role].find((n) => names.includes(n)) ?? MODULE_FILES[role].map((n) => names.find((x) => sized(n).test(x))).find((x) => x !== undefined);
    if (hit) files[role] = path.join(dir, hit);
    else missing.push(role);
  }
  if (missing.length) return { missing, onnxFiles: names.filter((n) => n.endsWith(".onnx")) };
  return { files: files as Record<ModuleRole, string> };
}

/** Variant name for the engine id: manifest.json `variant`/`model`/`config` if present, else the directory name. */
function variantOf(dir: string): string {
  const manifest = path.join(dir, "manifest.json");
  if (existsSync(manifest)) {
    try {
      const m = JSON.parse(readFileSync(manifest, "utf8")) as Record<string, unknown>;
      for (const k of ["variant", "model", "model_name", "config"]) if (typeof m[k] === "string" && m[k]) return String(m[k]).replace(/\.ya?ml$/, "").split("/").pop() as string;
    } catch {
      // A broken manifest is only cosmetic here: the name falls back to the directory.
    }
  }
  return path.basename(path.resolve(dir));
}

/** Loads a complete four-module set; `device` "auto" uses CUDA when onnxruntime-node has its provider installed. */
export async function loadModelSet(
  dir: string,
  files: Record<ModuleRole, string>,
  device: "auto" | "cuda" | "cpu" = "auto",
  log: (msg: string) => void = () => {},
  tuning: SessionTuning = DEFAULT_SESSION_TUNING,
): Promise<Sam2ModelSet> {
  let dev: "cuda" | "cpu" = device === "auto" ? (cudaProviderInstalled() ? "cuda" : "cpu") : device;
  const loaded: Array<LoadedModule<ModuleRole>> = [];
  const load = async <R extends ModuleRole>(role: R): Promise<LoadedModule<R>> => {
    try {
      const m = await loadModule(role, files[role], dev, tuning);
      loaded.push(m);
      return m;
    } catch (e) {
      // The CUDA provider can be installed yet unusable (no driver/GPU): fall back to the CPU once, and say so.
      if (dev === "cuda" && e instanceof RuntimeError && /cuda/i.test(e.message)) {
        log(`sam2: CUDA execution provider failed (${e.message.slice(0, 200)}); using CPU`);
        dev = "cpu";
        for (const m of loaded.splice(0)) await m.session.release();
        throw new RetryOnCpu();
      }
      throw e;
    }
  };
  for (;;) {
    try {
      const encoder = await load("image_encoder");
      const decoder = await load("image_decoder");
      const attention = await load("memory_attention");
      const memoryEncoder = await load("memory_encoder");
      const shape = encoder.inputShapes[encoder.inputs.image] ?? [];
      const side = typeof shape[3] === "number" ? shape[3] : typeof shape[2] === "number" ? shape[2] : 1024;
      log(`sam2: loaded ${MODULE_ROLES.map((r) => path.basename(files[r])).join(", ")} from ${dir} on ${dev.toUpperCase()}; ${gcMode()}`);
      return { dir, variant: variantOf(dir), device: dev, encoder, decoder, attention, memoryEncoder, imageSize: side, tuning };
    } catch (e) {
      if (e instanceof RetryOnCpu) continue;
      for (const m of loaded.splice(0)) await m.session.release();
      throw e;
    }
  }
}

class RetryOnCpu extends Error {}

/** V8's garbage collection mode, for the load log: the loop is measurably slower with V8's default parallel GC,
 * whose threads compete with onnxruntime's (scripts/inference-node-flags.mjs). */
export function gcMode(execArgv: readonly string[] = process.execArgv): string {
  return hasInferenceNodeFlags([...execArgv])
    ? "V8 GC single-threaded"
    : "V8 GC parallel (node --single-threaded-gc runs the loop faster: `npm start`, `npm run worker` and `groundtrack sam2|query` use it)";
}

/** Bytes of a module on disk: its .onnx file plus its external weights (`<file>.data`) when there are any. */
export function moduleBytes(file: string): number {
  let n = 0;
  for (const f of [file, `${file}.data`]) {
    try {
      n += statSync(f).size;
    } catch {
      // no external weights file
    }
  }
  return n;
}

export async function releaseModelSet(set: Sam2ModelSet): Promise<void> {
  for (const m of [set.encoder, set.decoder, set.attention, set.memoryEncoder]) await m.session.release();
}
