// Procedural backgrounds (value noise, stripes, checker) with per-pixel colour jitter, evaluated in world
// coordinates so that a camera pan shifts the texture with the view.
import type { Background } from "./scene";

/** lowbias32 integer hash → uint32; deterministic and platform independent. */
export function hash32(x: number): number {
  x = (x ^ (x >>> 16)) >>> 0;
  x = Math.imul(x, 0x7feb352d) >>> 0;
  x = (x ^ (x >>> 15)) >>> 0;
  x = Math.imul(x, 0x846ca68b) >>> 0;
  return (x ^ (x >>> 16)) >>> 0;
}

function hash2(ix: number, iy: number, seed: number): number {
  return hash32((Math.imul(ix | 0, 0x27d4eb2d) ^ Math.imul(iy | 0, 0x165667b1) ^ seed) >>> 0);
}

function lattice(ix: number, iy: number, seed: number): number {
  return hash2(ix, iy, seed) / 4294967296;
}

function smooth(t: number): number {
  return t * t * (3 - 2 * t);
}

/** Value noise in [0, 1) at world point (x, y), lattice cell `scale` pixels. */
function valueNoise(x: number, y: number, scale: number, seed: number): number {
  const u = x / scale;
  const v = y / scale;
  const ix = Math.floor(u);
  const iy = Math.floor(v);
  const fx = smooth(u - ix);
  const fy = smooth(v - iy);
  const a = lattice(ix, iy, seed);
  const b = lattice(ix + 1, iy, seed);
  const c = lattice(ix, iy + 1, seed);
  const d = lattice(ix + 1, iy + 1, seed);
  return a + (b - a) * fx + (c - a) * fy + (a - b - c + d) * fx * fy;
}

const clamp = (v: number) => (v < 0 ? 0 : v > 255 ? 255 : Math.round(v));

/**
 * Fills `rgb` (row-major RGB, width·height·3) with the background seen by a camera offset by (camX, camY):
 * pixel (px, py) shows world point (px + camX, py + camY).
 */
export function drawBackground(rgb: Uint8Array, width: number, height: number, bg: Background, camX: number, camY: number): void {
  const [c0, c1] = bg.colours;
  const cos = Math.cos(bg.angle);
  const sin = Math.sin(bg.angle);
  const jitterSeed = (bg.seed ^ 0x9e3779b9) >>> 0;
  for (let py = 0; py < height; py++) {
    const Y = py + 0.5 + camY;
    for (let px = 0; px < width; px++) {
      const X = px + 0.5 + camX;
      let t: number;
      if (bg.kind === "noise") t = valueNoise(X, Y, bg.scale, bg.seed);
      else if (bg.kind === "stripes") t = Math.floor((X * cos + Y * sin) / bg.scale) & 1;
      else t = (Math.floor(X / bg.scale) + Math.floor(Y / bg.scale)) & 1;
      const hj = hash2(Math.floor(X), Math.floor(Y), jitterSeed);
      const at = (py * width + px) * 3;
      for (let ch = 0; ch < 3; ch++) {
        const j = (((hj >>> (ch * 8)) & 0xff) / 255 - 0.5) * 2 * bg.jitter;
        rgb[at + ch] = clamp(c0[ch] + (c1[ch] - c0[ch]) * t + j);
      }
    }
  }
}

/**
 * The background over every world pixel a panning camera shows, drawn once per video; each frame copies its
 * window (camera offset rounded to whole pixels — objects keep sub-pixel positions).
 */
export class BackgroundCanvas {
  private readonly rgb: Uint8Array;
  private readonly x0: number;
  private readonly y0: number;
  private readonly cw: number;

  constructor(
    bg: Background,
    private readonly width: number,
    private readonly height: number,
    pan: { dx: number; dy: number },
  ) {
    this.x0 = Math.min(0, Math.round(pan.dx));
    this.y0 = Math.min(0, Math.round(pan.dy));
    this.cw = width + Math.abs(Math.round(pan.dx));
    const ch = height + Math.abs(Math.round(pan.dy));
    this.rgb = new Uint8Array(this.cw * ch * 3);
    drawBackground(this.rgb, this.cw, ch, bg, this.x0, this.y0);
  }

  /** Fills `out` (width·height·3) with the view of a camera offset by (camX, camY). */
  draw(out: Uint8Array, camX: number, camY: number): void {
    const ox = Math.round(camX) - this.x0;
    const oy = Math.round(camY) - this.y0;
    const row = this.width * 3;
    for (let y = 0; y < this.height; y++) {
      const from = ((oy + y) * this.cw + ox) * 3;
      out.set(this.rgb.subarray(from, from + row), y * row);
    }
  }
}
