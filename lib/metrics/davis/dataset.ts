// The DAVIS 2017 folder layout as davis2017/davis.py and davis2017/results.py read it.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { decodeLabelPng, PngFormatError, type LabelImage } from "../../masks/png-indexed";
import type { DavisTask } from "./sequence";

export const DAVIS_SUBSETS = ["train", "val", "test-dev", "test-challenge"] as const;
export type DavisSubset = (typeof DAVIS_SUBSETS)[number];

/** Bad dataset or results input; the message names the file or folder. */
export class DavisInputError extends Error {
  override name = "DavisInputError";
}

export interface DavisSequence {
  name: string;
  /** Frame ids: annotation file names without extension, in sorted order. */
  frameIds: string[];
  annotationFiles: string[];
}

export interface DavisDataset {
  root: string;
  task: DavisTask;
  subset: DavisSubset;
  annotationDir: string;
  sequences: DavisSequence[];
}

/** `''.join(name.split('.')[:-1])`: the reference drops the extension and any other dots. */
export function frameIdOf(fileName: string): string {
  return fileName.split(".").slice(0, -1).join("");
}

function sortedFiles(dir: string, ext: string): string[] {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) return [];
  // numpy sorts str arrays by code point; plain JS comparison of UTF-16 units agrees for BMP names.
  return readdirSync(dir)
    // glob('*.ext') skips dot-files (e.g. macOS "._00000.png" companions), so must we.
    .filter((n) => n.endsWith(ext) && !n.startsWith("."))
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Opens the dataset: ImageSets/<year>/<subset>.txt, JPEGImages/<res>/<seq>/*.jpg, Annotations[_unsupervised]/<res>/<seq>/*.png. */
export function openDavisDataset(root: string, task: DavisTask, subset: DavisSubset, resolution = "480p"): DavisDataset {
  if (!existsSync(root)) throw new DavisInputError(`DAVIS root ${root} does not exist`);
  const annotationDir = path.join(root, task === "semi-supervised" ? "Annotations" : "Annotations_unsupervised", resolution);
  const year = task === "unsupervised" && (subset === "test-dev" || subset === "test-challenge") ? "2019" : "2017";
  const listFile = path.join(root, "ImageSets", year, `${subset}.txt`);
  if (!existsSync(listFile)) throw new DavisInputError(`sequence list ${listFile} not found`);
  if ((subset === "train" || subset === "val") && !existsSync(annotationDir)) {
    const hint = task === "unsupervised" ? " (the unsupervised task reads Annotations_unsupervised, as davis2017-evaluation does)" : "";
    throw new DavisInputError(`annotation folder ${annotationDir} for the ${task} task not found${hint}`);
  }
  const names: string[] = [];
  readFileSync(listFile, "utf8")
    .split("\n")
    .forEach((line, i) => {
      const name = line.trim();
      if (!name) return;
      if (name.includes("/") || name.includes("\\") || name === "." || name === "..") {
        throw new DavisInputError(`${listFile}:${i + 1}: '${name}' is not a sequence name`);
      }
      // The reference keys sequences by name (defaultdict), so a repeated name is evaluated once.
      if (!names.includes(name)) names.push(name);
    });
  const sequences = names.map((name): DavisSequence => {
    const imageDir = path.join(root, "JPEGImages", resolution, name);
    const images = sortedFiles(imageDir, ".jpg");
    if (images.length === 0) throw new DavisInputError(`images for sequence ${name} not found (no .jpg in ${imageDir})`);
    const seqDir = path.join(annotationDir, name);
    const masks = sortedFiles(seqDir, ".png");
    if (masks.length < images.length) {
      throw new DavisInputError(`sequence ${name}: ${seqDir} holds ${masks.length} annotation PNGs for ${images.length} frames in ${imageDir}`);
    }
    return { name, frameIds: masks.map(frameIdOf), annotationFiles: masks.map((m) => path.join(seqDir, m)) };
  });
  return { root, task, subset, annotationDir, sequences };
}

/** Reads and decodes a label PNG, turning every failure into an error that names the file. */
export function readLabelPng(file: string, role: string): LabelImage {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new DavisInputError(code === "ENOENT" ? `${role} ${file} not found` : `${role} ${file}: ${(e as Error).message}`);
  }
  try {
    return decodeLabelPng(bytes, `${role} ${file}`);
  } catch (e) {
    if (e instanceof PngFormatError) throw new DavisInputError(e.message);
    throw e;
  }
}

export function resultFile(resultsRoot: string, sequence: string, frameId: string): string {
  return path.join(resultsRoot, sequence, `${frameId}.png`);
}
