// Other objects' tracks drawn for context: one TrackSampler per object (O(log k) per frame), points packed into
// flat arrays so the canvas draws hundreds of them in one pass.
import { TrackSampler, type InterpolationOptions, type Keyframe } from "../tracks";

export interface ContextTrack {
  objectId: number;
  /** Short label drawn next to the point (e.g. "#12"). */
  label: string;
  keyframes: readonly Keyframe[];
}

export interface ContextFrame {
  count: number;
  xs: Float64Array;
  ys: Float64Array;
  /** 1 = occluded (drawn hollow), 0 = visible. */
  occluded: Uint8Array;
  labels: string[];
  objectIds: number[];
}

export class ContextTracks {
  private readonly tracks: { objectId: number; label: string; sampler: TrackSampler }[];

  constructor(tracks: readonly ContextTrack[], options: InterpolationOptions) {
    this.tracks = tracks.map((t) => ({ objectId: t.objectId, label: t.label, sampler: new TrackSampler(t.keyframes, options) }));
  }

  get size(): number {
    return this.tracks.length;
  }

  /** Points drawn on `frame`: non-null and not outside, exactly as interpolateTrack defines. */
  at(frame: number): ContextFrame {
    const n = this.tracks.length;
    const xs = new Float64Array(n);
    const ys = new Float64Array(n);
    const occluded = new Uint8Array(n);
    const labels: string[] = [];
    const objectIds: number[] = [];
    let count = 0;
    for (const t of this.tracks) {
      const p = t.sampler.at(frame);
      if (!p || p.state === "outside") continue;
      xs[count] = p.x;
      ys[count] = p.y;
      occluded[count] = p.state === "occluded" ? 1 : 0;
      labels.push(t.label);
      objectIds.push(t.objectId);
      count++;
    }
    return { count, xs, ys, occluded, labels, objectIds };
  }
}
