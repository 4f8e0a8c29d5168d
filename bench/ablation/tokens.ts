// Tokens per point of the two output formats, measured on the examples themselves: the text baseline's Molmo2
// `<tracks>` answer in its character/digit vocabulary (+ <eos>) against MolmoPoint's grounding tokens
// (<PATCH> <SUBPATCH> <LOCATION> <obj_k> per point, + the final no-more-points <PATCH>).
import type { TrackSet } from "../../lib/tracks/types";
import { encodeAnswer, trackAnswerText } from "../../trainer/model/text-baseline-vocab";

export interface TokenExample {
  set: TrackSet;
  /** Native frames the model sees. */
  frames: readonly number[];
}

export interface TokenStats {
  examples: number;
  points: number;
  textTokens: number;
  groundingTokens: number;
  /** Totals over all examples divided by all points (examples without points count their tokens, no points). */
  textPerPoint: number;
  groundingPerPoint: number;
  /** Longest answer of each format in tokens (sets the decoder length either model must handle). */
  textMaxTokens: number;
  groundingMaxTokens: number;
}

/** Visible (not occluded, not outside) object points on the given frames: one grounding target each. */
export function visiblePoints(set: TrackSet, frames: readonly number[]): number {
  const want = new Set(frames);
  let n = 0;
  for (const o of set.objects) for (const k of o.keyframes) if (want.has(k.frame) && k.state === "visible") n++;
  return n;
}

export const GROUNDING_TOKENS_PER_POINT = 4;

export function measureTokens(examples: readonly TokenExample[]): TokenStats {
  let points = 0;
  let textTokens = 0;
  let groundingTokens = 0;
  let textMaxTokens = 0;
  let groundingMaxTokens = 0;
  for (const ex of examples) {
    const n = visiblePoints(ex.set, ex.frames);
    const t = encodeAnswer(trackAnswerText(ex.set, ex.frames)).length + 1;
    const g = GROUNDING_TOKENS_PER_POINT * n + 1;
    points += n;
    textTokens += t;
    groundingTokens += g;
    textMaxTokens = Math.max(textMaxTokens, t);
    groundingMaxTokens = Math.max(groundingMaxTokens, g);
  }
  return {
    examples: examples.length,
    points,
    textTokens,
    groundingTokens,
    textPerPoint: points ? textTokens / points : NaN,
    groundingPerPoint: points ? groundingTokens / points : NaN,
    textMaxTokens,
    groundingMaxTokens,
  };
}
