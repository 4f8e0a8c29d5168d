// The mask-engine API the inference service and the propagation code build on.
import type { RuntimeVideo } from "../runtime";

/** Clicks on one frame for one object: x, y in video pixels; label 1 = positive, 0 = negative. */
export interface MaskPrompt {
  frame: number;
  objectId: string;
  points: Array<[x: number, y: number, label: 0 | 1]>;
}

/** One object's mask on one frame: COCO RLE (`lib/masks/rle.ts`), a confidence and the pixel area. */
export interface ObjectMask {
  objectId: string;
  rle: { size: [number, number]; counts: string };
  /** SAM2: predicted IoU of the chosen mask (or the object-presence probability when the export has no IoU
   * output); classical: the colour-model agreement of the region. */
  score: number;
  area: number;
}

export interface FrameMasks {
  frame: number;
  masks: ObjectMask[];
}

export interface PropagateRequest {
  video: RuntimeVideo;
  prompts: MaskPrompt[];
  direction: "both" | "forward" | "backward";
  /** Frame propagation starts from (default: the earliest prompted frame). */
  startFrame?: number;
  /** Last frame reached (inclusive; forward: the highest, backward: the lowest). Default: the video's end / start. */
  endFrame?: number;
  signal?: AbortSignal;
  /** Called once per processed frame, in processing order (forward pass, then backward pass). */
  onFrame?: (f: FrameMasks) => void;
}

export interface MaskEngine {
  /** "sam2:<variant>@cpu" | "sam2:<variant>@cuda" | "classical:<name>". */
  readonly engine: string;
  /** Resolves with every processed frame, sorted by frame index. */
  propagate(req: PropagateRequest): Promise<FrameMasks[]>;
  close(): Promise<void>;
}
