// Public API of the SAM2 mask service: points → masks on the prompt frame → propagated through the video,
// streamed per frame as COCO RLE. SAM2 when a complete four-module ONNX set is installed, else the classical
// colour-region segmenter (every result says which engine made it).
import { existsSync } from "node:fs";
import { ClassicalMaskEngine } from "./classical";
import { findModelFiles, loadModelSet, MODULE_FILES } from "./models";
import { RuntimeError } from "../runtime";
import { Sam2MaskEngine } from "./sam2-engine";
import type { MaskEngine } from "./types";

export type { MaskPrompt, FrameMasks, ObjectMask, MaskEngine, PropagateRequest } from "./types";
export { PromptError } from "./prompts";
export { MODULE_FILES, CONTRACT, type ModuleRole } from "./models";
export { ClassicalMaskEngine } from "./classical";
export { Sam2MaskEngine } from "./sam2-engine";

export interface CreateMaskEngineOptions {
  /** Directory holding the four .onnx modules (default: none → classical). */
  modelsDir?: string;
  /** "auto" (default) uses CUDA when onnxruntime-node has its CUDA provider installed. */
  device?: "auto" | "cuda" | "cpu";
  /** Where to say which engine and device were chosen (default: console.error). */
  log?: (msg: string) => void;
}

/**
 * SAM2 if `modelsDir` holds a complete model set, else the classical segmenter. A directory with some but not
 * all modules, a corrupt file or a file with the wrong tensor names is an error (RuntimeError model_missing /
 * model_invalid) naming the file — never a silent fallback.
 */
export async function createMaskEngine(opts: CreateMaskEngineOptions): Promise<MaskEngine> {
  const log = opts.log ?? ((m: string) => console.error(m));
  const dir = opts.modelsDir;
  if (dir === undefined) {
    log("sam2: no models directory given; using the classical segmenter (not SAM2)");
    return new ClassicalMaskEngine();
  }
  // A mistyped directory is an error, not a silent downgrade to the classical segmenter.
  if (!existsSync(dir)) throw new RuntimeError("model_missing", `SAM2 models directory '${dir}' does not exist`);
  const found = findModelFiles(dir);
  if ("missing" in found) {
    if (found.onnxFiles.length === 0) {
      log(`sam2: no SAM2 ONNX weights in '${dir}' (see its README.md); using the classical segmenter (not SAM2)`);
      return new ClassicalMaskEngine();
    }
    throw new RuntimeError(
      "model_missing",
      `SAM2 model set in '${dir}' is incomplete: no ${found.missing.join(", ")} module (looked for ${found.missing.map((r) => (MODULE_FILES[r]).join(" or ")).join("; ")}); it has ${found.onnxFiles.join(", ")}`,
    );
  }
  const set = await loadModelSet(dir, found.files, opts.device ?? "auto", log);
  return new Sam2MaskEngine(set, { log });
}
