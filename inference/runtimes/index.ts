// Runtime registry: a job (or the CLI) names a runtime kind and its options; this builds it. The built-in runtime
// is imported lazily so the remote path never loads onnxruntime.
import { RuntimeError, type ModelRuntime } from "../runtime";
import type { RemoteRuntimeOptions } from "./remote";

export const RUNTIME_KINDS = ["built-in", "remote"] as const;
export type RuntimeKind = (typeof RUNTIME_KINDS)[number];

export interface RuntimeOptions {
  /** built-in: model directory (default models/builtin or $GROUNDTRACK_BUILTIN_MODEL_DIR). */
  modelDir?: string;
  /** remote: the OpenAI-compatible server and model (required for "remote"). */
  remote?: RemoteRuntimeOptions;
  /** Where runtimes report device choices and fallbacks. */
  log?: (msg: string) => void;
}

export function isRuntimeKind(s: string): s is RuntimeKind {
  return (RUNTIME_KINDS as readonly string[]).includes(s);
}

export async function createRuntime(kind: RuntimeKind, opts: RuntimeOptions = {}): Promise<ModelRuntime> {
  if (kind === "remote") {
    if (!opts.remote) throw new RuntimeError("model_invalid", "the remote runtime needs an endpoint URL and a model name");
    const { createRemoteRuntime } = await import("./remote");
    return createRemoteRuntime(opts.remote);
  }
  if (kind === "built-in") {
    const { createBuiltinRuntime } = await import("./builtin");
    return createBuiltinRuntime({ ...(opts.modelDir === undefined ? {} : { modelDir: opts.modelDir }), ...(opts.log ? { log: opts.log } : {}) });
  }
  throw new RuntimeError("model_invalid", `unknown runtime '${String(kind)}' (expected ${RUNTIME_KINDS.join(" or ")})`);
}
