// Exports a trained MolmoPoint-Tiny (weights dir: config.json TinyConfig, vocab.json, safetensors) to a built-in
// model directory for onnxruntime-node (inference/builtin/contract.ts): config.json, vocab.json, vision.onnx,
// query.onnx, step.onnx. Everything is checked before anything lands: the TinyConfig, the vocabulary, every tensor
// (present, shape from paramShapes, finite), and the written graphs (loaded by onnxruntime, validateSession, one
// smoke run of each). The directory is written under a temporary name next to outDir and renamed into place.
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, readFile, readdir, rename, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { pathToFileURL } from "node:url";
import * as ort from "onnxruntime-node";
import { BuiltinVocabSchema, GRAPH_NAMES, MODEL_FILES, TOKEN, checkVocab, geometry, validateSession, type BuiltinConfig, type BuiltinVocab, type GraphName } from "../../inference/builtin/contract";
import { decodeSafetensors, type HostTensor } from "../ml/safetensors";
import { parseTinyConfig, toBuiltinConfig, type TinyConfig } from "./config";
import { queryGraph, stepGraph, visionGraph, type GraphDims } from "./onnx/graphs";
import { paramShapes } from "./params";

/** Files of a weights directory (what trainer/model/train.ts writes: WEIGHTS_FILE, config.json, vocab.json). */
export const WEIGHTS_FILES = { config: "config.json", vocab: "vocab.json", weights: "model.safetensors" } as const;

/** Bad input to the exporter; `file` (and `tensor` when one is at fault) say where. */
export class ExportError extends Error {
  override name = "ExportError";
  constructor(
    message: string,
    readonly file: string,
    readonly tensor?: string,
  ) {
    super(message);
  }
}

export interface ExportOptions {
  /** Model version written to config.json (engine `built-in:<version>`); default the TinyConfig's `version`. */
  version?: string;
  /** Progress lines (default: silent). */
  log?: (msg: string) => void;
}

export interface ExportResult {
  outDir: string;
  config: BuiltinConfig;
  vocabSize: number;
  /** Scalars in the exported parameters. */
  parameters: number;
  /** Bytes of each written file. */
  bytes: Record<string, number>;
}

/** Everything read and checked from a weights directory. */
export interface LoadedWeights {
  tiny: TinyConfig;
  vocab: BuiltinVocab;
  tensors: Map<string, HostTensor>;
  weightsFile: string;
}

async function readText(file: string): Promise<string> {
  try {
    return await readFile(file, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ExportError(code === "ENOENT" ? `${file} does not exist` : `cannot read ${file}: ${(e as Error).message}`, file);
  }
}

function parseJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new ExportError(`${file} is not valid JSON: ${(e as Error).message}`, file);
  }
}

/** The weights file `model.safetensors` (what trainTiny writes at the end; its checkpoints are a different file). */
async function findWeightsFile(dir: string): Promise<string> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ExportError(code === "ENOENT" ? `weights directory ${dir} does not exist` : `cannot read weights directory ${dir}: ${(e as Error).message}`, dir);
  }
  const file = path.join(dir, WEIGHTS_FILES.weights);
  if (names.includes(WEIGHTS_FILES.weights)) return file;
  const others = names.filter((n) => n.endsWith(".safetensors"));
  throw new ExportError(`${file} does not exist${others.length ? ` (the directory has ${others.join(", ")}: a training checkpoint is not exported; the final weights are ${WEIGHTS_FILES.weights})` : ""}`, file);
}

/** Checks the tensors against the architecture: every parameter present with its shape, no others, all finite. */
export function checkTensors(tensors: ReadonlyMap<string, HostTensor>, tiny: TinyConfig, vocabSize: number, file: string): void {
  const shapes = paramShapes(tiny, vocabSize);
  for (const [name, shape] of shapes) {
    const t = tensors.get(name);
    if (!t) throw new ExportError(`${file}: tensor '${name}' [${shape.join(", ")}] is missing`, file, name);
    if (t.shape.length !== shape.length || t.shape.some((s, i) => s !== shape[i])) {
      throw new ExportError(`${file}: tensor '${name}' has shape [${t.shape.join(", ")}], the config (and vocab.json, ${vocabSize} tokens) requires [${shape.join(", ")}]`, file, name);
    }
    const bad = t.data.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) throw new ExportError(`${file}: tensor '${name}' holds ${t.data[bad]} at flat index ${bad}`, file, name);
  }
  const extra = [...tensors.keys()].filter((n) => !shapes.has(n));
  if (extra.length) throw new ExportError(`${file}: unexpected tensor${extra.length > 1 ? "s" : ""} ${extra.map((n) => `'${n}'`).join(", ")} (not a MolmoPoint-Tiny parameter of this config)`, file, extra[0]);
}

/** Reads and checks a weights directory (config.json, vocab.json, safetensors). */
export async function loadWeights(weightsDir: string): Promise<LoadedWeights> {
  const weightsFile = await findWeightsFile(weightsDir);
  const configFile = path.join(weightsDir, WEIGHTS_FILES.config);
  let tiny: TinyConfig;
  try {
    tiny = parseTinyConfig(parseJson(await readText(configFile), configFile), configFile);
  } catch (e) {
    if (e instanceof ExportError) throw e;
    throw new ExportError((e as Error).message, configFile);
  }
  const vocabFile = path.join(weightsDir, WEIGHTS_FILES.vocab);
  const parsed = BuiltinVocabSchema.safeParse(parseJson(await readText(vocabFile), vocabFile));
  if (!parsed.success) {
    const why = parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ");
    throw new ExportError(`${vocabFile} is invalid: ${why}`, vocabFile);
  }
  const vocab = parsed.data;
  try {
    checkVocab(vocab, toBuiltinConfig(tiny), vocabFile);
  } catch (e) {
    throw new ExportError((e as Error).message, vocabFile);
  }
  let bytes: Buffer;
  try {
    bytes = await readFile(weightsFile);
  } catch (e) {
    throw new ExportError(`cannot read ${weightsFile}: ${(e as Error).message}`, weightsFile);
  }
  let tensors: Map<string, HostTensor>;
  try {
    tensors = decodeSafetensors(bytes, weightsFile).tensors;
  } catch (e) {
    throw new ExportError(`${(e as Error).message} (corrupt or truncated safetensors?)`, weightsFile);
  }
  checkTensors(tensors, tiny, vocab.tokens.length, weightsFile);
  return { tiny, vocab, tensors, weightsFile };
}

/** The three graphs' bytes for checked weights. */
export function buildGraphs(tiny: TinyConfig, tensors: ReadonlyMap<string, HostTensor>): Record<GraphName, Uint8Array> {
  const lookup = (name: string): HostTensor => {
    const t = tensors.get(name);
    if (!t) throw new RangeError(`MolmoPoint-Tiny export: parameter '${name}' is missing`);
    return t;
  };
  const dims: GraphDims = tiny;
  return { vision: visionGraph(dims, lookup), query: queryGraph(dims, lookup), step: stepGraph(dims, lookup) };
}

/** Loads each written graph with onnxruntime-node, checks it against the contract and runs it once. */
async function verifyGraphs(dir: string, config: BuiltinConfig): Promise<void> {
  const sessions: Partial<Record<GraphName, ort.InferenceSession>> = {};
  try {
    for (const g of GRAPH_NAMES) {
      const file = path.join(dir, MODEL_FILES[g]);
      const s = await ort.InferenceSession.create(file, { logSeverityLevel: 4 });
      sessions[g] = s;
      validateSession(s, g, config, MODEL_FILES[g]);
    }
    const { vision, query, step } = sessions as Record<GraphName, ort.InferenceSession>;
    // Smoke run on one blank frame: shapes and broadcasts that only fail at run time fail here, not in a query.
    const S = config.image.cropSize;
    const d = config.dims.dModel;
    const v = await vision.run({ frames: new ort.Tensor("float32", new Float32Array(3 * S * S), [1, 3, S, S]) });
    const n = geometry(config).tokensPerFrame;
    if (v.image_tokens.dims.join() !== `${n},${d}`) throw new Error(`vision.onnx gave image_tokens [${v.image_tokens.dims.join(", ")}] for one frame, expected [${n}, ${d}]`);
    const q = await query.run({ query_ids: new ort.Tensor("int64", BigInt64Array.of(BigInt(TOKEN.bos)), [1]), image_tokens: v.image_tokens });
    const st = await step.run({ state: q.state, token_id: new ort.Tensor("int64", BigInt64Array.of(BigInt(TOKEN.bos)), [1]), token_embedding: new ort.Tensor("float32", new Float32Array(d), [1, d]) });
    if (st.state_out.dims[0] !== n + 2) throw new Error(`step.onnx gave ${st.state_out.dims[0]} state rows after <bos>, expected ${n + 2}`);
  } finally {
    for (const s of Object.values(sessions)) await s?.release();
  }
}

/** True when `dir` exists; throws when it exists and is not a directory. */
async function existingDir(dir: string): Promise<boolean> {
  try {
    const st = await stat(dir);
    if (!st.isDirectory()) throw new ExportError(`output ${dir} exists and is not a directory`, dir);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw e;
  }
}

/** Whether outDir may receive the export: absent, empty, or a previous model directory (only contract files). */
async function checkTarget(outDir: string): Promise<boolean> {
  if (!(await existingDir(outDir))) return false;
  const names = await readdir(outDir);
  const modelFiles = new Set<string>(Object.values(MODEL_FILES));
  const foreign = names.filter((n) => !modelFiles.has(n));
  if (foreign.length) throw new ExportError(`output ${outDir} is not empty and not a model directory (it holds ${foreign.slice(0, 5).join(", ")}${foreign.length > 5 ? ", …" : ""}); choose a new or empty directory`, outDir);
  return true;
}

/** Moves the finished temp dir to outDir: a new dir, an empty one, or a previous model dir (replaced). */
async function install(tmp: string, outDir: string): Promise<void> {
  if (!(await checkTarget(outDir))) {
    await rename(tmp, outDir);
    return;
  }
  // Replace: the old model moves aside, the new one moves in, the old one is removed (restored if the move fails).
  const old = `${tmp}.old`;
  await rename(outDir, old);
  try {
    await rename(tmp, outDir);
  } catch (e) {
    await rename(old, outDir);
    throw e;
  }
  await rm(old, { recursive: true, force: true });
}

/**
 * Exports the weights in `weightsDir` to a contract model directory `outDir` (created, or an existing model
 * directory replaced as a whole). Throws ExportError naming the file (and tensor) on bad input; outDir is then
 * untouched.
 */
export async function exportBuiltinModel(weightsDir: string, outDir: string, opts: ExportOptions = {}): Promise<ExportResult> {
  const log = opts.log ?? (() => {});
  const { tiny, vocab, tensors, weightsFile } = await loadWeights(weightsDir);
  const version = opts.version ?? tiny.version;
  let config: BuiltinConfig;
  try {
    config = toBuiltinConfig({ ...tiny, version });
  } catch (e) {
    throw new ExportError(`version '${version}': ${(e as Error).message}`, path.join(weightsDir, WEIGHTS_FILES.config));
  }
  log(`export: ${weightsFile} (${tensors.size} tensors, vocab ${vocab.tokens.length}) → ${outDir} as ${config.version}`);
  const graphs = buildGraphs(tiny, tensors);
  const resolved = path.resolve(outDir);
  await mkdir(path.dirname(resolved), { recursive: true });
  await checkTarget(resolved); // refuse a file or a foreign directory before any work (install checks again)
  const tmp = await mkdtemp(path.join(path.dirname(resolved), `.${path.basename(resolved)}.export-${randomBytes(3).toString("hex")}-`));
  const bytes: Record<string, number> = {};
  try {
    const files: [string, Uint8Array | string][] = [
      [MODEL_FILES.vision, graphs.vision],
      [MODEL_FILES.query, graphs.query],
      [MODEL_FILES.step, graphs.step],
      [MODEL_FILES.vocab, JSON.stringify(vocab, null, 1) + "\n"],
      [MODEL_FILES.config, JSON.stringify(config, null, 2) + "\n"],
    ];
    for (const [name, data] of files) {
      await writeFile(path.join(tmp, name), data);
      bytes[name] = typeof data === "string" ? Buffer.byteLength(data) : data.byteLength;
    }
    try {
      await verifyGraphs(tmp, config);
    } catch (e) {
      // Not the input's fault: the exporter wrote a graph onnxruntime rejects.
      throw new Error(`MolmoPoint-Tiny export produced graphs that fail the contract check: ${(e as Error).message}`);
    }
    await install(tmp, resolved);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  let parameters = 0;
  // Training-only heads (aux.*) are not in the graphs.
  for (const [name, t] of tensors) if (!name.startsWith("aux.")) parameters += t.data.length;
  log(`export: wrote ${resolved} (${Object.values(bytes).reduce((a, b) => a + b, 0)} bytes, ${parameters} parameters)`);
  return { outDir: resolved, config, vocabSize: vocab.tokens.length, parameters, bytes };
}

// `node --import tsx trainer/model/export-onnx.ts WEIGHTS_DIR OUT_DIR` (npm start installs the committed default
// weights as the built-in model this way).
if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const [weights, out] = process.argv.slice(2);
  if (!weights || !out) {
    console.error("usage: node --import tsx trainer/model/export-onnx.ts WEIGHTS_DIR OUT_DIR");
    process.exit(2);
  }
  exportBuiltinModel(weights, out, { log: (m) => console.log(`[builtin] ${m}`) }).then(
    (r) => console.log(`[builtin] installed MolmoPoint-Tiny ${r.config.version} (${r.parameters} parameters) into ${r.outDir}`),
    (e: unknown) => {
      console.error(`[builtin] cannot export ${weights}: ${(e as Error).message}`);
      process.exit(1);
    },
  );
}
