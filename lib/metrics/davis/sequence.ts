// Per-sequence evaluation of davis2017/evaluation.py, fed one frame at a time so that a sequence never has to
// sit in memory as T x H x W float arrays (the reference's layout).
import { boundaryRadius, diskHalfWidths, EMPTY_BOUNDARY, fMeasure, jaccard, labelBoundaries, type BoundaryMap } from "./boundary";
import { linearSumAssignment } from "../assignment";
import { npMean } from "./numeric";
import { dbStatistics, type ObjectStatistics } from "./statistics";

export type DavisTask = "semi-supervised" | "unsupervised";
export const VOID_LABEL = 255;
/** `_evaluate_unsupervised(max_n_proposals=20)`. */
export const MAX_PROPOSALS = 20;

export interface ObjectResult {
  /** `<sequence>_<k>` as the reference names rows of its per-sequence table. */
  name: string;
  J: ObjectStatistics;
  F: ObjectStatistics;
  /** Per evaluated frame. */
  jFrames: number[];
  fFrames: number[];
  /** Unsupervised only: which proposal label (1-based) was matched to which GT object (1-based). */
  proposal?: number;
  gtObject?: number;
}

/** A result label the protocol rejects; the caller names the file. */
export class LabelError extends Error {
  override name = "LabelError";
}

interface FrameGeometry {
  width: number;
  height: number;
  halfWidths: Int32Array;
}

function geometry(width: number, height: number): FrameGeometry {
  return { width, height, halfWidths: diskHalfWidths(boundaryRadius(height, width)) };
}

/**
 * Semi-supervised: object k is label k of the result PNG; no void handling (GT 255 simply is not an object);
 * the caller feeds frames 1..T-2 only.
 */
export class SemiSupervisedSequence {
  private readonly j: number[][];
  private readonly f: number[][];
  private geo: FrameGeometry | null = null;

  constructor(
    readonly sequence: string,
    readonly numObjects: number,
  ) {
    this.j = Array.from({ length: numObjects }, () => []);
    this.f = Array.from({ length: numObjects }, () => []);
  }

  addFrame(gt: Uint8Array, res: Uint8Array, width: number, height: number): void {
    const G = this.numObjects;
    if (!this.geo || this.geo.width !== width || this.geo.height !== height) this.geo = geometry(width, height);
    const gtCnt = new Float64Array(256);
    const resCnt = new Float64Array(256);
    const inter = new Float64Array(256);
    let maxRes = 0;
    for (let p = 0; p < gt.length; p++) {
      const g = gt[p];
      const r = res[p];
      gtCnt[g]++;
      resCnt[r]++;
      if (g === r) inter[g]++;
      if (r > maxRes) maxRes = r;
    }
    if (maxRes > G) {
      throw new LabelError(`contains object index ${maxRes}, higher than the ${G} object(s) of sequence ${this.sequence}'s first annotation`);
    }
    const gtB = labelBoundaries(gt, width, height, G);
    const resB = labelBoundaries(res, width, height, G);
    for (let k = 1; k <= G; k++) {
      this.j[k - 1].push(jaccard(inter[k], gtCnt[k] + resCnt[k] - inter[k]));
      this.f[k - 1].push(fMeasure(resB[k], gtB[k], this.geo.halfWidths, height));
    }
  }

  finish(): ObjectResult[] {
    return this.j.map((jFrames, i) => ({
      name: `${this.sequence}_${i + 1}`,
      J: dbStatistics(jFrames),
      F: dbStatistics(this.f[i]),
      jFrames,
      fFrames: this.f[i],
    }));
  }
}

/**
 * Unsupervised: every proposal label (up to 20) is scored against every GT object with void pixels excluded,
 * then proposals are matched to objects by `linear_sum_assignment(-(mean J + mean F) / 2)`.
 */
export class UnsupervisedSequence {
  /** [proposal j][gt k] -> per-frame values; proposals that were absent in a frame get the empty-mask value. */
  private readonly jp = new Map<number, { j: Float64Array[]; f: Float64Array[] }>();
  private readonly emptyJ: Float64Array[];
  private readonly emptyF: Float64Array[];
  private t = 0;
  private maxProposal = 0;
  private geo: FrameGeometry | null = null;

  constructor(
    readonly sequence: string,
    readonly numObjects: number,
    readonly numFrames: number,
  ) {
    this.emptyJ = Array.from({ length: numObjects }, () => new Float64Array(numFrames));
    this.emptyF = Array.from({ length: numObjects }, () => new Float64Array(numFrames));
  }

  private proposal(j: number) {
    let e = this.jp.get(j);
    if (!e) {
      // Frames before this proposal first appeared score it as an empty mask.
      e = {
        j: this.emptyJ.map((a) => Float64Array.from(a)),
        f: this.emptyF.map((a) => Float64Array.from(a)),
      };
      this.jp.set(j, e);
    }
    return e;
  }

  addFrame(gt: Uint8Array, res: Uint8Array, width: number, height: number): void {
    const G = this.numObjects;
    const t = this.t++;
    if (t >= this.numFrames) throw new RangeError("UnsupervisedSequence: more frames than announced");
    if (!this.geo || this.geo.width !== width || this.geo.height !== height) this.geo = geometry(width, height);
    let maxRes = 0;
    for (let p = 0; p < res.length; p++) if (res[p] > maxRes) maxRes = res[p];
    if (maxRes > MAX_PROPOSALS) {
      throw new LabelError(`contains proposal index ${maxRes}, higher than the maximum number (${MAX_PROPOSALS}) of proposals allowed`);
    }
    // Void pixels leave both masks before J and before the boundary maps (`mask * ~void`).
    let resNoVoid = res;
    const R1 = maxRes + 1;
    const G1 = G + 1;
    const conf = new Float64Array(R1 * G1);
    const gtCnt = new Float64Array(G1);
    const resCnt = new Float64Array(R1);
    for (let p = 0; p < gt.length; p++) {
      const g0 = gt[p];
      if (g0 === VOID_LABEL) {
        if (res[p] !== 0) {
          if (resNoVoid === res) resNoVoid = Uint8Array.from(res);
          resNoVoid[p] = 0;
        }
        continue;
      }
      const g = g0 > G ? 0 : g0;
      const r = res[p];
      gtCnt[g]++;
      resCnt[r]++;
      conf[r * G1 + g]++;
    }
    const gtB = labelBoundaries(gt, width, height, G);
    const resB = maxRes > 0 ? labelBoundaries(resNoVoid, width, height, maxRes) : [EMPTY_BOUNDARY];
    const hw = this.geo.halfWidths;
    for (let k = 1; k <= G; k++) {
      this.emptyJ[k - 1][t] = jaccard(0, gtCnt[k]);
      this.emptyF[k - 1][t] = fMeasure(EMPTY_BOUNDARY, gtB[k], hw, height);
    }
    // Proposals seen earlier but absent now score as empty masks.
    for (const [j, e] of this.jp) {
      if (j > maxRes) {
        for (let k = 0; k < G; k++) {
          e.j[k][t] = this.emptyJ[k][t];
          e.f[k][t] = this.emptyF[k][t];
        }
      }
    }
    for (let j = 1; j <= maxRes; j++) {
      const e = this.proposal(j);
      const fg: BoundaryMap = resB[j];
      for (let k = 1; k <= G; k++) {
        const inter = conf[j * G1 + k];
        e.j[k - 1][t] = jaccard(inter, gtCnt[k] + resCnt[j] - inter);
        e.f[k - 1][t] = fMeasure(fg, gtB[k], hw, height);
      }
    }
    if (maxRes > this.maxProposal) this.maxProposal = maxRes;
  }

  finish(): ObjectResult[] {
    if (this.t !== this.numFrames) throw new RangeError(`UnsupervisedSequence: got ${this.t} of ${this.numFrames} frames`);
    const G = this.numObjects;
    // Fewer proposals than objects are zero-padded (empty masks).
    const R = Math.max(this.maxProposal, G);
    const rows: { j: Float64Array[]; f: Float64Array[] }[] = [];
    for (let j = 1; j <= R; j++) rows.push(this.jp.get(j) ?? { j: this.emptyJ, f: this.emptyF });
    const cost = rows.map((row) => Array.from({ length: G }, (_, k) => -((npMean(row.j[k]) + npMean(row.f[k])) / 2)));
    const { rows: ri, cols: ci } = linearSumAssignment(cost, R, G);
    return Array.from(ri, (j, ii) => {
      const k = ci[ii];
      const jFrames = Array.from(rows[j].j[k]);
      const fFrames = Array.from(rows[j].f[k]);
      return {
        name: `${this.sequence}_${ii + 1}`,
        J: dbStatistics(jFrames),
        F: dbStatistics(fFrames),
        jFrames,
        fFrames,
        proposal: j + 1,
        gtObject: k + 1,
      };
    });
  }
}
