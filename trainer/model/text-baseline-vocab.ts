// The text-coordinate baseline's output side: Molmo2 tracking text (`<tracks coords="t id x y;…"></tracks>`, written
// by lib/grounding/text's exact port of Molmo2's writer) as a sequence of character/digit-level tokens. The fixed tag
// pieces are one token each (as a BPE tokenizer would merge them); every digit, space, ';' and '.' is its own token,
// which is how Molmo2's Qwen tokenizer splits numbers (one token per digit).
import { exportMolmo2 } from "../../lib/formats/molmo2";
import { extractTracks, type FramePoints } from "../../lib/grounding/text";
import type { TrackSet } from "../../lib/tracks/types";

/** Output vocabulary, token id = index. Specials first; then the multi-character pieces; then single characters. */
export const TEXT_VOCAB = [
  "<pad>",
  "<bos>",
  "<eos>",
  '<tracks coords="',
  '">',
  "</tracks>",
  "No tracks available.",
  "0", "1", "2", "3", "4", "5", "6", "7", "8", "9",
  " ",
  ";",
  ".",
] as const;
export const TEXT_TOKEN = { pad: 0, bos: 1, eos: 2 } as const;
export const TEXT_VOCAB_SIZE = TEXT_VOCAB.length;

/** Pieces that may appear in answer text, longest first (greedy longest match is then unambiguous). */
const PIECES: ReadonlyArray<{ text: string; id: number }> = TEXT_VOCAB.map((text, id) => ({ text, id }))
  .filter((p) => p.id > TEXT_TOKEN.eos)
  .sort((a, b) => b.text.length - a.text.length);

/** Answer text → token ids (no <bos>/<eos>). Throws a RangeError naming the offset of a character outside the vocabulary. */
export function encodeAnswer(text: string): number[] {
  const ids: number[] = [];
  let at = 0;
  outer: while (at < text.length) {
    for (const p of PIECES) {
      if (text.startsWith(p.text, at)) {
        ids.push(p.id);
        at += p.text.length;
        continue outer;
      }
    }
    throw new RangeError(`answer text offset ${at}: '${text.slice(at, at + 12)}' is not in the text baseline's vocabulary`);
  }
  return ids;
}

/** Token ids → text. Stops at the first <eos>; <pad>/<bos> are not text and are refused (a decoder never emits them). */
export function decodeAnswer(ids: readonly number[]): string {
  let out = "";
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i];
    if (id === TEXT_TOKEN.eos) break;
    if (!Number.isInteger(id) || id <= TEXT_TOKEN.eos || id >= TEXT_VOCAB_SIZE) throw new RangeError(`token ${i}: id ${id} is not an answer token of the text baseline`);
    out += TEXT_VOCAB[id];
  }
  return out;
}

/**
 * The answer string of one example on the frames the model sees: Molmo2's `format_video_tracks` through
 * lib/formats' `exportMolmo2` (html-v2, the SFT format; occluded points skipped, ids renumbered by first appearance),
 * with an empty label (the query is already in the prompt; a copied label is not read by any metric).
 */
export function trackAnswerText(set: TrackSet, frames: readonly number[]): string {
  return exportMolmo2(set, { frames, format: "html-v2", label: "" });
}

/** Training sequence of an answer: decoder inputs `<bos> a1 … an` and next-token targets `a1 … an <eos>` (same length). */
export function teacherForcing(answer: readonly number[]): { inputs: number[]; targets: number[] } {
  return { inputs: [TEXT_TOKEN.bos, ...answer], targets: [...answer, TEXT_TOKEN.eos] };
}

/** Parses generated text with the project's Molmo2 parser (`extract_tracks`): pixel points per frame = round(time·fps). */
export function parseAnswer(text: string, video: { width: number; height: number; fps: number }): FramePoints[] {
  const r = extractTracks(text, { width: video.width, height: video.height, fps: video.fps });
  // The reference raises on some malformed text; a generated answer that does not parse simply predicts nothing.
  return r.ok ? r.value : [];
}
