// One synthetic video: render every frame, observe every instance (state, largest-component point, visible-mask
// RLE), stream the frames to an mp4, then derive referring queries and their TrackAny examples.
import { createHash } from "node:crypto";
import { exportTrackAny } from "../../lib/formats/trackany";
import { encodeRle, type CocoRle } from "../../lib/masks/rle";
import type { Keyframe, TrackSet } from "../../lib/tracks/types";
import { Mp4Writer } from "./encode";
import { FrameRenderer, type InstanceObservation } from "./render";
import { motionDirection, referringQueries, type QueryObject, type ReferringQuery } from "./queries";
import type { Scene } from "./scene";

export interface RenderedVideo {
  scene: Scene;
  /** observations[k][f]: object scene.objects[k] in frame f. */
  observations: InstanceObservation[][];
  /** masks[k][f]: visible mask of object k in frame f (COCO RLE; empty when outside or fully hidden). */
  masks: CocoRle[][];
  /** sha256 of the rendered RGB frames in order (what the encoder was given). */
  framesSha256: string;
}

export interface RenderVideoOptions {
  /** Write the H.264 mp4 here (omit to only compute the ground truth). */
  mp4?: string;
  occludedBelow?: number;
  onFrame?: () => void;
  signal?: AbortSignal;
}

export async function renderVideo(scene: Scene, options: RenderVideoOptions = {}): Promise<RenderedVideo> {
  const renderer = new FrameRenderer(scene, options.occludedBelow === undefined ? undefined : { occludedBelow: options.occludedBelow });
  const writer = options.mp4 ? new Mp4Writer(options.mp4, scene.width, scene.height, scene.fps) : null;
  const hash = createHash("sha256");
  const observations: InstanceObservation[][] = scene.objects.map(() => []);
  const masks: CocoRle[][] = scene.objects.map(() => []);
  try {
    for (let f = 0; f < scene.frames; f++) {
      if (options.signal?.aborted) throw options.signal.reason ?? new Error("aborted");
      renderer.render(f);
      hash.update(renderer.rgb);
      for (let k = 0; k < scene.objects.length; k++) {
        observations[k].push(renderer.observe(k, f));
        masks[k].push(encodeRle(renderer.visibleMask(k), scene.height, scene.width));
      }
      if (writer) await writer.write(renderer.rgb);
      options.onFrame?.();
    }
    if (writer) await writer.finish();
  } catch (e) {
    writer?.abort();
    throw e;
  }
  return { scene, observations, masks, framesSha256: hash.digest("hex") };
}

/** Attributes of every object, motion direction from its rendered track. */
export function queryObjects(video: RenderedVideo): QueryObject[] {
  const { scene } = video;
  return scene.objects.map((o, k) => ({
    id: o.id,
    category: o.category,
    colour: o.colour,
    sizeClass: o.sizeClass,
    direction: motionDirection(video.observations[k], scene.width, scene.height),
  }));
}

/** Frames on the sampling grid: every fps/samplingFps-th frame from 0. */
export function sampledFrames(scene: Scene, samplingFps: number): number[] {
  if (!Number.isInteger(samplingFps) || samplingFps <= 0 || scene.fps % samplingFps !== 0) {
    throw new RangeError(`sampling fps ${samplingFps} must be a positive integer dividing the video fps ${scene.fps}`);
  }
  const step = scene.fps / samplingFps;
  const out: number[] = [];
  for (let f = 0; f < scene.frames; f += step) out.push(f);
  return out;
}

export interface TrackAnyFile {
  /** Example id, also the file's base name. */
  id: string;
  query: ReferringQuery;
  /** The example as written (TrackAny JSON via lib/formats, plus `masks` per object per frame). */
  json: string;
}

/**
 * One TrackAny example per referring query: `frame_trajectories` on the sampling grid (via lib/formats'
 * writer; occluded points listed with occluded=true, absent objects omitted), `mask_id`/`obj_id` the object ids,
 * and Molmo2-VideoTrackEval style `masks=[{object_id, masks:[rle per native frame]}]`.
 */
export function trackAnyExamples(video: RenderedVideo, name: string, samplingFps: number): TrackAnyFile[] {
  const { scene } = video;
  const frames = sampledFrames(scene, samplingFps);
  const index = new Map(scene.objects.map((o, k) => [o.id, k]));
  return referringQueries(queryObjects(video)).map((query, qi) => {
    const id = `${name}_q${qi}`;
    const ks = query.objectIds.map((oid) => index.get(oid) as number);
    const set: TrackSet = {
      video: { width: scene.width, height: scene.height, fps: scene.fps, frameCount: scene.frames, name },
      expression: query.expression,
      objects: ks.map((k) => ({
        objectId: String(scene.objects[k].id),
        keyframes: video.observations[k].map((o, frame): Keyframe => ({ frame, x: o.x, y: o.y, state: o.state, source: "human" })),
      })),
      extra: {
        id,
        sampling_fps: samplingFps,
        task: "track",
        obj_id: query.objectIds,
        qid: `q${qi}`,
        anno_id: query.objectIds.map((oid) => `${name}/${oid}`),
        masks: ks.map((k) => ({ object_id: scene.objects[k].id, masks: video.masks[k].map((r) => ({ size: r.size, counts: r.counts })) })),
      },
    };
    return { id, query, json: exportTrackAny(set, { frames }) };
  });
}
