// Renders one frame of a scene: RGB pixels, which object owns each pixel (z-order), every object's amodal
// in-frame mask, and from those the per-instance visible masks and track points.
import { COLOURS } from "../../lib/video/synthetic";
import { BackgroundCanvas } from "./background";
import { largestComponentCentre } from "./components";
import { cameraAt, imagePosition, type Scene } from "./scene";
import { insideCategory } from "./shapes";

export type InstanceState = "visible" | "occluded" | "outside";

export interface InstanceObservation {
  state: InstanceState;
  /** Track point: largest-component centre of the visible mask (visible) or of the amodal in-frame mask
   * (occluded); the analytic image centre when outside. */
  x: number;
  y: number;
  /** Pixels of the object that are drawn (not covered by objects on top), in frame. */
  visibleArea: number;
  /** Pixels the object would cover in frame if nothing were on top. */
  amodalArea: number;
}

export interface RenderOptions {
  /** An instance whose visible area is below this fraction of its amodal in-frame area is occluded. */
  occludedBelow: number;
}

export const DEFAULT_OCCLUDED_BELOW = 0.25;

/** Reusable buffers for rendering frames of one scene. */
export class FrameRenderer {
  readonly rgb: Uint8Array;
  /** Index (into scene.objects) of the object drawn at each pixel, or -1 for background. */
  readonly owner: Int16Array;
  /** Per object: 1 where the object covers the pixel, ignoring objects on top. */
  readonly amodal: Uint8Array[];
  private readonly visible: Uint8Array;
  private readonly scratch: { label: Int32Array; stack: Int32Array };
  private readonly drawOrder: number[];
  private readonly background: BackgroundCanvas;
  /** Per object: pixel box [x0, y0, x1, y1] (inclusive) it was drawn in, or null when wholly off-frame. */
  private readonly boxes: Array<[number, number, number, number] | null>;

  constructor(
    readonly scene: Scene,
    readonly options: RenderOptions = { occludedBelow: DEFAULT_OCCLUDED_BELOW },
  ) {
    const n = scene.width * scene.height;
    this.rgb = new Uint8Array(n * 3);
    this.owner = new Int16Array(n);
    this.amodal = scene.objects.map(() => new Uint8Array(n));
    this.visible = new Uint8Array(n);
    this.scratch = { label: new Int32Array(n), stack: new Int32Array(n) };
    const objs = scene.objects;
    this.boxes = objs.map(() => null);
    this.background = new BackgroundCanvas(scene.background, scene.width, scene.height, scene.pan);
    this.drawOrder = objs.map((_, i) => i).sort((a, b) => objs[a].z - objs[b].z || objs[a].id - objs[b].id);
  }

  /** Draws frame f into `rgb`, `owner` and `amodal`. */
  render(f: number): void {
    const { scene, rgb, owner } = this;
    const { width: w, height: h } = scene;
    const cam = cameraAt(scene, f);
    this.background.draw(rgb, cam.x, cam.y);
    owner.fill(-1);
    for (const k of this.drawOrder) {
      const o = scene.objects[k];
      const am = this.amodal[k];
      am.fill(0);
      const { x, y } = imagePosition(scene, o, f);
      const [r, g, b] = COLOURS[o.colour];
      const x0 = Math.max(0, Math.floor(x - o.size));
      const x1 = Math.min(w - 1, Math.ceil(x + o.size));
      const y0 = Math.max(0, Math.floor(y - o.size));
      const y1 = Math.min(h - 1, Math.ceil(y + o.size));
      this.boxes[k] = x0 <= x1 && y0 <= y1 ? [x0, y0, x1, y1] : null;
      for (let py = y0; py <= y1; py++) {
        for (let px = x0; px <= x1; px++) {
          if (!insideCategory(o.category, o.size, x, y, px + 0.5, py + 0.5)) continue;
          const p = py * w + px;
          am[p] = 1;
          owner[p] = k;
          rgb[p * 3] = r;
          rgb[p * 3 + 1] = g;
          rgb[p * 3 + 2] = b;
        }
      }
    }
  }

  /** Visible mask of object k in the last rendered frame (row-major, 0/1); the buffer is reused by the next call. */
  visibleMask(k: number): Uint8Array {
    const { owner, visible } = this;
    const w = this.scene.width;
    visible.fill(0);
    const box = this.boxes[k];
    if (!box) return visible;
    for (let y = box[1]; y <= box[3]; y++) for (let p = y * w + box[0], end = y * w + box[2]; p <= end; p++) visible[p] = owner[p] === k ? 1 : 0;
    return visible;
  }

  /** Observation of object k in the last rendered frame. Call after `render`; overwrites the visible-mask buffer. */
  observe(k: number, f: number): InstanceObservation {
    const { width: w, height: h } = this.scene;
    const am = this.amodal[k];
    const box = this.boxes[k];
    let amodalArea = 0;
    let visibleArea = 0;
    if (box) {
      for (let y = box[1]; y <= box[3]; y++) {
        for (let p = y * w + box[0], end = y * w + box[2]; p <= end; p++) {
          amodalArea += am[p];
          if (this.owner[p] === k) visibleArea++;
        }
      }
    }
    if (amodalArea === 0) {
      const c = imagePosition(this.scene, this.scene.objects[k], f);
      // Analytic positions have pixel corners at integers (the renderer samples pixel (i, j) at (i + 0.5, j + 0.5));
      // points use the evaluators' pixel-centred convention (components.ts).
      return { state: "outside", x: Math.round((c.x - 0.5) * 100) / 100, y: Math.round((c.y - 0.5) * 100) / 100, visibleArea: 0, amodalArea: 0 };
    }
    const occluded = visibleArea < this.options.occludedBelow * amodalArea;
    const centre = largestComponentCentre(occluded ? am : this.visibleMask(k), w, h, this.scratch, box ?? undefined);
    if (!centre) throw new Error("unreachable: non-empty mask without a component");
    return { state: occluded ? "occluded" : "visible", x: centre.x, y: centre.y, visibleArea, amodalArea };
  }
}
