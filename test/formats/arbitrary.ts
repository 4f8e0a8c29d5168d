// fast-check generators and comparison helpers shared by the format tests.
import fc from "fast-check";
import { interpolateTrack } from "../../lib/tracks/interpolate";
import type { Keyframe, PointState, TrackSet } from "../../lib/tracks/types";

export interface SetShape {
  /** Keyframe frames are multiples of this (formats that sample on a grid). */
  step?: number;
  states?: PointState[];
  integerCoords?: boolean;
  maxObjects?: number;
}

export function trackSetArb(shape: SetShape = {}): fc.Arbitrary<TrackSet> {
  const step = shape.step ?? 1;
  const states = shape.states ?? ["visible", "occluded", "outside"];
  return fc.integer({ min: 1, max: 12 }).chain((slots) => {
    const frameCount = (slots - 1) * step + 1;
    const coord = (max: number) => (shape.integerCoords ? fc.integer({ min: 0, max }) : fc.double({ min: 0, max, noNaN: true }));
    const keyframes = fc.uniqueArray(
      fc.record({
        frame: fc.integer({ min: 0, max: slots - 1 }).map((s) => s * step),
        x: coord(639),
        y: coord(359),
        state: fc.constantFrom(...states),
        source: fc.constant("human" as const),
      }),
      { selector: (k: Keyframe) => k.frame, maxLength: 6 },
    );
    return fc.record({
      video: fc.constant({ width: 640, height: 360, fps: 10, frameCount, name: "clip_0001.mp4" }),
      objects: fc
        .uniqueArray(fc.integer({ min: 1, max: 999 }), { minLength: 1, maxLength: shape.maxObjects ?? 4 })
        .chain((ids) => fc.tuple(...ids.map((id) => keyframes.map((ks) => ({ objectId: String(id), keyframes: [...ks].sort((a, b) => a.frame - b.frame) }))))),
    });
  });
}

/** What gets drawn per frame: [state, x, y] of visible/occluded frames, null for outside or unknown. */
export function drawn(set: TrackSet, objectId: string): ([PointState, number, number] | null)[] {
  const o = set.objects.find((x) => x.objectId === objectId);
  const frames = interpolateTrack(o?.keyframes ?? [], { frameCount: set.video.frameCount, shotBoundaries: set.video.shotBoundaries });
  return frames.map((p) => (p && p.state !== "outside" ? [p.state, p.x, p.y] : null));
}

/** Same drawing on every frame, or on `frames` only (sampled formats hold nothing between their samples). */
export function assertSameDrawing(a: TrackSet, b: TrackSet, tolerance: number, assertFn: (ok: boolean, msg: string) => void, frames?: readonly number[]): void {
  const ids = new Set([...a.objects, ...b.objects].map((o) => o.objectId));
  for (const id of ids) {
    const da = drawn(a, id);
    const db = drawn(b, id);
    for (const f of frames ?? da.map((_, i) => i)) {
      const pa = da[f];
      const pb = db[f];
      const same = pa === null ? pb === null : pb !== null && pa[0] === pb[0] && Math.abs(pa[1] - pb[1]) <= tolerance && Math.abs(pa[2] - pb[2]) <= tolerance;
      assertFn(same, `object ${id} frame ${f}: ${JSON.stringify(pa)} vs ${JSON.stringify(pb)}`);
    }
  }
}

/** Frames holding a keyframe of any object: what sampled exporters write by default. */
export function keyframeFrames(set: TrackSet): number[] {
  return [...new Set(set.objects.flatMap((o) => o.keyframes.map((k) => k.frame)))].sort((a, b) => a - b);
}
