// Constrained decoding of MolmoPoint pointing tokens as a step-wise state machine.
// Rules from olmo/models/molmo_point/molmo_point.py (MolmoPoint.generate, mode "native") and
// olmo/hf_model/modeling_molmo_point.py (MolmoPointLogitProcessor, mode "hf").
import { N_LOCATIONS, NO_POINTS_LABEL } from "./tokens";
import type { PointingGrid, PointTarget } from "./codec";

/** What the LM head may do with one pointing token at the next step. */
export type TokenRule = "allow" | "ban" | "force";

/** Rules for the three pointing tokens in the LM logits at the next step. */
export interface LmTokenRules {
  patch: TokenRule;
  subpatch: TokenRule;
  location: TokenRule;
}

/** Decoder phase: free text (a PATCH may start), waiting for SUBPATCH / LOCATION, or pointing ended. */
export type DecoderPhase = "text" | "subpatch" | "location" | "ended";

export interface PointDecoderOptions {
  /** Number of image tokens = rows of `token_pooling` (including non-indexable global tokens). */
  nPatches: number;
  /** Pooling window size = columns of `token_pooling` (4 images, 9 video). */
  nSubpatches: number;
  /** Whether the extra no-more-points patch class (index `nPatches`) exists. Default true. */
  noMorePointsClass?: boolean;
  /**
   * "native" (default) = `MolmoPoint.generate`: PATCH banned on the first generated step, the
   * no-more-points class banned for the first point. "hf" = `MolmoPointLogitProcessor` exactly,
   * including its position-based lookup of the previous patch/subpatch.
   */
  mode?: "native" | "hf";
  /** `mask_repeats`: ban exact repeats of the previous point. Default true. */
  preventRepeats?: boolean;
  /** `mask_patches`: patch ≥ previous patch. Default true. */
  forcePatchSorted?: boolean;
  /** `mask_subpatches`: subpatch order inside the same patch. Default true. */
  forceSubpatchSorted?: boolean;
  /** Optional per-patch validity (`patch_k_mask`): non-indexable tokens are banned when given. */
  indexable?: Uint8Array;
  /** Optional `token_pooling` (`[nPatches, nSubpatches]`): padded (-1) subpatches are banned when given. */
  tokenPooling?: Int32Array;
}

type Step = { kind: "text" } | { kind: "patch" | "subpatch" | "location"; value: number };

/**
 * Step-wise MolmoPoint decoder. Per generation step: read {@link lmRules} to mask the LM logits of
 * the three pointing tokens; when the LM picked `<|token_index|>`, choose a patch among
 * {@link patchMask} and {@link feedPatch} it (likewise subpatch / location); feed ordinary tokens with
 * {@link feedText}. {@link targets} returns the decoded points.
 */
export class PointDecoder {
  readonly nPatches: number;
  readonly nSubpatches: number;
  readonly noMorePointsClass: boolean;
  readonly mode: "native" | "hf";
  private readonly preventRepeats: boolean;
  private readonly forcePatchSorted: boolean;
  private readonly forceSubpatchSorted: boolean;
  private readonly indexable?: Uint8Array;
  private readonly tokenPooling?: Int32Array;
  private readonly history: Step[] = [];
  private readonly patches: number[] = [];
  private readonly subpatches: number[] = [];
  private readonly locations: number[] = [];
  private _phase: DecoderPhase = "text";

  constructor(opts: PointDecoderOptions) {
    if (!Number.isInteger(opts.nPatches) || opts.nPatches < 1) throw new Error(`nPatches must be a positive integer, got ${opts.nPatches}`);
    if (!Number.isInteger(opts.nSubpatches) || opts.nSubpatches < 1) throw new Error(`nSubpatches must be a positive integer, got ${opts.nSubpatches}`);
    if (opts.indexable && opts.indexable.length !== opts.nPatches) throw new Error(`indexable has ${opts.indexable.length} entries, expected ${opts.nPatches}`);
    if (opts.tokenPooling && opts.tokenPooling.length !== opts.nPatches * opts.nSubpatches) {
      throw new Error(`tokenPooling has ${opts.tokenPooling.length} entries, expected ${opts.nPatches}×${opts.nSubpatches}`);
    }
    this.nPatches = opts.nPatches;
    this.nSubpatches = opts.nSubpatches;
    this.noMorePointsClass = opts.noMorePointsClass ?? true;
    this.mode = opts.mode ?? "native";
    this.preventRepeats = opts.preventRepeats ?? true;
    this.forcePatchSorted = opts.forcePatchSorted ?? true;
    this.forceSubpatchSorted = opts.forceSubpatchSorted ?? true;
    this.indexable = opts.indexable;
    this.tokenPooling = opts.tokenPooling;
  }

  /** A decoder for one image/video grid, with its non-indexable tokens and padded subpatches masked. */
  static forGrid(grid: Pick<PointingGrid, "nTokens" | "cells" | "indexable" | "tokenPooling">, opts: Omit<PointDecoderOptions, "nPatches" | "nSubpatches" | "indexable" | "tokenPooling"> = {}): PointDecoder {
    return new PointDecoder({ ...opts, nPatches: grid.nTokens, nSubpatches: grid.cells, indexable: grid.indexable, tokenPooling: grid.tokenPooling });
  }

  /** Current phase. */
  get phase(): DecoderPhase {
    return this._phase;
  }

  /** Number of patch classes including the no-more-points class (length of {@link patchMask}). */
  get nPatchClasses(): number {
    return this.nPatches + (this.noMorePointsClass ? 1 : 0);
  }

  /** Rules for the pointing tokens in the LM logits at the next step. */
  lmRules(): LmTokenRules {
    switch (this._phase) {
      case "ended":
        return { patch: "ban", subpatch: "ban", location: "ban" };
      case "subpatch":
        return { patch: "ban", subpatch: "force", location: "ban" };
      case "location":
        return { patch: "ban", subpatch: "ban", location: "force" };
      case "text": {
        // Native generate computes no patch logits during pre-filling, so the first step cannot point.
        const first = this.mode === "native" && this.history.length === 0;
        // With every patch class masked (e.g. no terminator class and the grid exhausted) PATCH is banned too.
        const patch = first || !this.patchMask().includes(1) ? "ban" : "allow";
        return { patch, subpatch: "ban", location: "ban" };
      }
    }
  }

  /** Allowed patch classes (1 = allowed) for the PATCH being decoded now; last entry = no-more-points. */
  patchMask(): Uint8Array {
    const mask = new Uint8Array(this.nPatchClasses).fill(1);
    if (this._phase !== "text") return mask.fill(0);
    if (this.indexable) for (let i = 0; i < this.nPatches; i++) if (!this.indexable[i]) mask[i] = 0;
    const last = this.mode === "hf" ? this.hfLast("patch") : this.patches.at(-1);
    const lastSub = this.mode === "hf" ? this.hfLast("subpatch") : this.subpatches.at(-1);
    if (last !== undefined && last !== NO_POINTS_LABEL) {
      if (this.forcePatchSorted) mask.fill(0, 0, Math.min(last, this.nPatches));
      const repeatRule = this.mode === "hf" ? this.preventRepeats && this.forceSubpatchSorted : this.preventRepeats;
      // The previous point used the last subpatch of its window: the same patch could only repeat it.
      if (repeatRule && lastSub === this.nSubpatches - 1) {
        if (this.mode === "hf") mask[last] = 0;
        else mask.fill(0, 0, Math.min(last + 1, this.nPatches));
      } else if (this.preventRepeats && this.tokenPooling && lastSub !== undefined && last < this.nPatches) {
        // Beyond the reference: with padded (-1) subpatches the same patch may have no valid subpatch
        // after the previous one; ban it so the decoder cannot reach a dead end.
        let any = false;
        for (let sp = lastSub + 1; sp < this.nSubpatches; sp++) if (this.tokenPooling[last * this.nSubpatches + sp] >= 0) any = true;
        if (!any) mask[last] = 0;
      }
    }
    if (this.noMorePointsClass && this.mode === "native" && this.patches.length === 0) mask[this.nPatches] = 0;
    return mask;
  }

  /** Allowed subpatches (1 = allowed) right after a PATCH. */
  subpatchMask(): Uint8Array {
    const mask = new Uint8Array(this.nSubpatches);
    if (this._phase !== "subpatch") return mask;
    mask.fill(1);
    const cur = this.patches[this.patches.length - 1];
    if (this.tokenPooling) {
      for (let s = 0; s < this.nSubpatches; s++) if (this.tokenPooling[cur * this.nSubpatches + s] < 0) mask[s] = 0;
    }
    let samePatch: boolean;
    let prevSub: number | undefined;
    if (this.mode === "hf") {
      samePatch = this.forceSubpatchSorted && this.hfLast("patch") === cur;
      prevSub = this.hfLast("subpatch");
    } else {
      samePatch = (this.preventRepeats || this.forcePatchSorted) && this.patches.length > 1 && this.patches[this.patches.length - 2] === cur;
      prevSub = this.subpatches.at(-1);
    }
    if (samePatch && prevSub !== undefined) {
      mask.fill(0, 0, this.preventRepeats ? prevSub + 1 : prevSub);
    }
    return mask;
  }

  /** Allowed locations (1 = allowed) right after a SUBPATCH: all 9 cells. */
  locationMask(): Uint8Array {
    return new Uint8Array(N_LOCATIONS).fill(this._phase === "location" ? 1 : 0);
  }

  /** Records an ordinary (non-pointing) token. */
  feedText(): void {
    if (this._phase === "subpatch" || this._phase === "location") throw new Error(`a ${this._phase} token is required next, got a text token`);
    this.history.push({ kind: "text" });
  }

  /** Records the chosen patch class (`nPatches` = no-more-points). Throws if it is not allowed. */
  feedPatch(ix: number): void {
    const mask = this.patchMask();
    if (this._phase === "text" && this.mode === "native" && this.history.length === 0) throw new Error("PATCH is not allowed on the first step");
    if (!Number.isInteger(ix) || ix < 0 || ix >= mask.length || !mask[ix]) throw new Error(`patch ${ix} is not allowed in phase '${this._phase}'`);
    this.history.push({ kind: "patch", value: ix });
    if (this.noMorePointsClass && ix === this.nPatches) {
      this.patches.push(NO_POINTS_LABEL);
      this._phase = "ended";
    } else {
      this.patches.push(ix);
      this._phase = "subpatch";
    }
  }

  /** Records the chosen subpatch. Throws if it is not allowed. */
  feedSubpatch(ix: number): void {
    const mask = this.subpatchMask();
    if (!Number.isInteger(ix) || ix < 0 || ix >= mask.length || !mask[ix]) throw new Error(`subpatch ${ix} is not allowed in phase '${this._phase}'`);
    this.history.push({ kind: "subpatch", value: ix });
    this.subpatches.push(ix);
    this._phase = "location";
  }

  /** Records the chosen location. Throws if it is not allowed. */
  feedLocation(ix: number): void {
    const mask = this.locationMask();
    if (!Number.isInteger(ix) || ix < 0 || ix >= mask.length || !mask[ix]) throw new Error(`location ${ix} is not allowed in phase '${this._phase}'`);
    this.history.push({ kind: "location", value: ix });
    this.locations.push(ix);
    this._phase = "text";
  }

  /** Whether no-more-points was chosen (no pointing tokens may follow). */
  get ended(): boolean {
    return this._phase === "ended";
  }

  /** Decoded complete points in generation order (terminator excluded). */
  targets(): PointTarget[] {
    return this.locations.map((location, i) => ({ patch: this.patches[i], subpatch: this.subpatches[i], location }));
  }

  /**
   * Position the next patch query is rotated by: `posIds[previous patch]`, 0 before the first point
   * and after no-more-points (`rotate_by` in generate/forward).
   */
  queryRotaryPosition(posIds: Int32Array): number {
    const last = this.patches.at(-1);
    if (last === undefined || last === NO_POINTS_LABEL) return 0;
    return posIds[Math.min(Math.max(last, 0), posIds.length - 1)];
  }

  /**
   * Mask over the HF extended vocabulary `[text (textVocab) | patches | no-more-points | subpatches | 9
   * locations]` (1 = allowed), i.e. what `MolmoPointLogitProcessor` leaves finite.
   */
  hfVocabMask(textVocab: number): Uint8Array {
    const P = this.nPatchClasses;
    const mask = new Uint8Array(textVocab + P + this.nSubpatches + N_LOCATIONS);
    const rules = this.lmRules();
    if (this._phase === "text" || this._phase === "ended") mask.fill(1, 0, textVocab);
    if (rules.patch !== "ban") mask.set(this.patchMask(), textVocab);
    if (rules.subpatch !== "ban") mask.set(this.subpatchMask(), textVocab + P);
    if (rules.location !== "ban") mask.set(this.locationMask(), textVocab + P + this.nSubpatches);
    return mask;
  }

  /** HF processor lookup: last patch/subpatch token excluding the last two positions. */
  private hfLast(kind: "patch" | "subpatch"): number | undefined {
    for (let i = this.history.length - 3; i >= 0; i--) {
      const s = this.history[i];
      if (s.kind === kind) return s.value;
    }
    return undefined;
  }
}
