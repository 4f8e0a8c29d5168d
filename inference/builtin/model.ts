// Loads a built-in model directory: config.json and vocab.json validated with zod, the three graphs as
// onnxruntime-node sessions (CUDA when its provider is installed and works, else CPU), each checked against the
// contract. Every failure is a RuntimeError naming the file.
import { readFileSync, statSync } from "node:fs";
import path from "node:path";
import * as ort from "onnxruntime-node";
import type { z } from "zod";
import { RuntimeError } from "../runtime";
import { cudaProviderInstalled } from "../sam2/models";
import { BuiltinConfigSchema, BuiltinVocabSchema, GRAPH_NAMES, MODEL_FILES, checkVocab, validateSession, type BuiltinConfig, type BuiltinVocab, type GraphName } from "./contract";

export type Device = "cuda" | "cpu";

export interface BuiltinModel {
  dir: string;
  config: BuiltinConfig;
  vocab: BuiltinVocab;
  device: Device;
  sessions: Record<GraphName, ort.InferenceSession>;
}

export interface LoadOptions {
  /** "auto" (default): CUDA when onnxruntime-node's CUDA provider is installed and loads, else CPU. */
  device?: "auto" | Device;
  log?: (msg: string) => void;
}

function readJson<T>(dir: string, name: string, schema: z.ZodType<T>): T {
  const file = path.join(dir, name);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT") {
      throw new RuntimeError("model_missing", `Built-in model: '${file}' does not exist. Install a model into '${dir}' or generate the demo model with \`node --import tsx inference/builtin/generate-model.ts ${dir}\` (npm start does this when none is installed).`);
    }
    throw new RuntimeError("model_missing", `Built-in model: cannot read '${file}': ${(e as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new RuntimeError("model_invalid", `Built-in model: '${file}' is not valid JSON: ${(e as Error).message}`);
  }
  const r = schema.safeParse(raw);
  if (!r.success) {
    const why = r.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ");
    throw new RuntimeError("model_invalid", `Built-in model: '${file}' is invalid: ${why}`);
  }
  return r.data;
}

async function createSession(file: string, device: Device): Promise<ort.InferenceSession> {
  let st;
  try {
    st = statSync(file);
  } catch {
    throw new RuntimeError("model_missing", `Built-in model: graph '${file}' does not exist`);
  }
  if (!st.isFile() || st.size === 0) throw new RuntimeError("model_invalid", `Built-in model: graph '${file}' is ${st.isFile() ? "empty" : "not a file"}`);
  try {
    return await ort.InferenceSession.create(file, {
      executionProviders: device === "cuda" ? ["cuda", "cpu"] : ["cpu"],
      graphOptimizationLevel: "all",
      logSeverityLevel: 4,
    });
  } catch (e) {
    const why = (e as Error).message.replace(/\s+/g, " ").trim();
    throw new RuntimeError("model_invalid", `Built-in model: cannot load '${file}' (corrupt, truncated or not an ONNX model?): ${why}`);
  }
}

async function loadOn(dir: string, config: BuiltinConfig, device: Device): Promise<Record<GraphName, ort.InferenceSession>> {
  const sessions: Partial<Record<GraphName, ort.InferenceSession>> = {};
  try {
    for (const g of GRAPH_NAMES) {
      const file = path.join(dir, MODEL_FILES[g]);
      const s = await createSession(file, device);
      sessions[g] = s;
      validateSession(s, g, config, file);
    }
    return sessions as Record<GraphName, ort.InferenceSession>;
  } catch (e) {
    for (const s of Object.values(sessions)) await s?.release();
    throw e;
  }
}

/** Loads and validates a model directory. */
export async function loadBuiltinModel(dir: string, opts: LoadOptions = {}): Promise<BuiltinModel> {
  const log = opts.log ?? (() => {});
  let st;
  try {
    st = statSync(dir);
  } catch {
    throw new RuntimeError("model_missing", `Built-in model directory '${dir}' does not exist. Generate the demo model with \`node --import tsx inference/builtin/generate-model.ts ${dir}\` or install a trained one (see inference/builtin/CONTRACT.md).`);
  }
  if (!st.isDirectory()) throw new RuntimeError("model_invalid", `Built-in model path '${dir}' is not a directory`);
  const config = readJson(dir, MODEL_FILES.config, BuiltinConfigSchema);
  const vocab = readJson(dir, MODEL_FILES.vocab, BuiltinVocabSchema);
  checkVocab(vocab, config, path.join(dir, MODEL_FILES.vocab));
  let device: Device = opts.device === "auto" || opts.device === undefined ? (cudaProviderInstalled() ? "cuda" : "cpu") : opts.device;
  let sessions: Record<GraphName, ort.InferenceSession>;
  try {
    sessions = await loadOn(dir, config, device);
  } catch (e) {
    // The CUDA provider can be installed yet unusable (no driver / GPU): fall back to the CPU once, and say so.
    if (device !== "cuda" || opts.device === "cuda" || !(e instanceof RuntimeError) || !/cuda/i.test(e.message)) throw e;
    log(`built-in: CUDA execution provider failed (${e.message.slice(0, 200)}); using CPU`);
    device = "cpu";
    sessions = await loadOn(dir, config, device);
  }
  log(`built-in: model ${config.version} from ${dir} on ${device.toUpperCase()}`);
  return { dir, config, vocab, device, sessions };
}

export async function releaseModel(m: BuiltinModel): Promise<void> {
  for (const s of Object.values(m.sessions)) await s.release();
}
