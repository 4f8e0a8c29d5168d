// Single-frame pointing examples cut from video examples: MolmoPoint trains on image pointing data beside video
// tracking (the paper's data mix), and on one frame an example is ~4× cheaper (36 image tokens, a few points), so
// text↔image matching gets many more examples per second. Each sampled frame of a video example becomes a
// one-frame example with the same query: that frame's points (patches re-based to the frame), ids renumbered by
// first appearance as the codec does, and the no-more-points target when the frame has none.
import { remapByFirstAppearance } from "../../lib/grounding";
import type { ModelExample } from "../model/batch";
import { tinyGeometry, type TinyConfig } from "../model/config";

/** Frame views per video frames array, shared so one-frame examples of the same frame share their pixels. */
const views = new WeakMap<Float32Array, Float32Array[]>();

function frameView(frames: Float32Array, nFrames: number, f: number): Float32Array {
  let v = views.get(frames);
  if (!v) {
    const len = frames.length / nFrames;
    v = Array.from({ length: nFrames }, (_, i) => frames.subarray(i * len, (i + 1) * len));
    views.set(frames, v);
  }
  return v[f];
}

/** Every sampled frame of every example as a one-frame example (`<id>@f<k>`). */
export function singleFrameExamples(examples: readonly ModelExample[], c: TinyConfig): ModelExample[] {
  const perFrame = tinyGeometry(c).tokensPerFrame;
  const out: ModelExample[] = [];
  for (const e of examples) {
    for (let f = 0; f < e.nFrames; f++) {
      const lo = f * perFrame;
      const keep = e.targets.map((t, i) => i).filter((i) => e.targets[i].patch >= lo && e.targets[i].patch < lo + perFrame);
      out.push({
        id: `${e.id}@f${f}`,
        frames: frameView(e.frames, e.nFrames, f),
        nFrames: 1,
        queryIds: e.queryIds,
        targets: keep.map((i) => ({ ...e.targets[i], patch: e.targets[i].patch - lo })),
        ids: remapByFirstAppearance(keep.map((i) => e.ids[i])).map((v) => v + 1),
      });
    }
  }
  return out;
}
