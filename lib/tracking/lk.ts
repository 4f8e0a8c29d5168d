// Pyramidal Lucas–Kanade point tracking (J.-Y. Bouguet, "Pyramidal Implementation of the Lucas Kanade Feature
// Tracker", 2000 — the formulation OpenCV's calcOpticalFlowPyrLK implements): per pyramid level, coarse to fine,
// Scharr gradients of the previous frame's window, the 2×2 structure tensor G (rejected when its minimum
// eigenvalue is too small), and Newton–Raphson refinement v += G⁻¹·b until the step is below `epsilon`.
// `PointTracker` adds the checks that turn a flow estimate into a track state: forward–backward consistency and
// a jump in the patch error mark `occluded`, a point leaving the image is `outside`.
// All work buffers are allocated once per tracker (no per-pixel or per-frame allocation).
import { samplePatch, type GrayImage } from "./pyramid";

export interface LkOptions {
  /** Odd window side in pixels at every level (default 21). */
  window?: number;
  /** Pyramid levels including the full-resolution image (default 4). */
  levels?: number;
  /** Newton iterations per level (default 30). */
  maxIterations?: number;
  /** Stop refining when the update is shorter than this, in pixels (default 0.01). */
  epsilon?: number;
  /** Minimum eigenvalue of G divided by the window area, in (grey level / px)² (default 0.5). */
  minEigThreshold?: number;
}

export interface FlowResult {
  /** false when the structure tensor is degenerate at full resolution (flat or 1-D texture): no estimate. */
  ok: boolean;
  x: number;
  y: number;
  /** Mean absolute intensity difference between the two windows at the final position (OpenCV's `err`). */
  error: number;
  /** Minimum eigenvalue of G per window pixel at full resolution. */
  minEig: number;
}

const DEFAULTS: Required<LkOptions> = { window: 21, levels: 4, maxIterations: 30, epsilon: 0.01, minEigThreshold: 0.5 };

function checkOptions(o: Required<LkOptions>): void {
  if (!Number.isInteger(o.window) || o.window < 3 || o.window % 2 === 0 || o.window > 255) throw new RangeError(`window must be an odd integer 3-255, got ${o.window}`);
  if (!Number.isInteger(o.levels) || o.levels < 1 || o.levels > 8) throw new RangeError(`levels must be an integer 1-8, got ${o.levels}`);
  if (!Number.isInteger(o.maxIterations) || o.maxIterations < 1) throw new RangeError(`maxIterations must be a positive integer, got ${o.maxIterations}`);
  if (!(o.epsilon > 0)) throw new RangeError(`epsilon must be > 0, got ${o.epsilon}`);
  if (!(o.minEigThreshold >= 0)) throw new RangeError(`minEigThreshold must be >= 0, got ${o.minEigThreshold}`);
}

/** Pyramidal LK for one window size; reusable across frames and points. */
export class LucasKanade {
  readonly options: Required<LkOptions>;
  private readonly prevPatch: Float32Array; // (win+2)² samples of I
  private readonly ix: Float32Array; // win² Scharr x-derivative of I
  private readonly iy: Float32Array;
  private readonly iv: Float32Array; // win² I values
  private readonly jv: Float32Array; // win² J values

  constructor(options: LkOptions = {}) {
    this.options = { ...DEFAULTS, ...options };
    checkOptions(this.options);
    const w = this.options.window;
    this.prevPatch = new Float32Array((w + 2) * (w + 2));
    this.ix = new Float32Array(w * w);
    this.iy = new Float32Array(w * w);
    this.iv = new Float32Array(w * w);
    this.jv = new Float32Array(w * w);
  }

  /** Loads I's window at (x, y) of `img`; returns [Gxx, Gxy, Gyy]. */
  private loadTemplate(img: GrayImage, x: number, y: number, g: Float64Array): void {
    const w = this.options.window;
    const n = w + 2;
    const p = this.prevPatch;
    samplePatch(img, x, y, n, p);
    let gxx = 0, gxy = 0, gyy = 0;
    let k = 0;
    for (let j = 1; j <= w; j++) {
      const r = j * n;
      const up = r - n;
      const dn = r + n;
      for (let i = 1; i <= w; i++, k++) {
        // Scharr 3×3, normalised to units of grey level per pixel (the kernel sums to 32 over a 2-px baseline).
        const dx = (3 * (p[up + i + 1] - p[up + i - 1]) + 10 * (p[r + i + 1] - p[r + i - 1]) + 3 * (p[dn + i + 1] - p[dn + i - 1])) / 32;
        const dy = (3 * (p[dn + i - 1] - p[up + i - 1]) + 10 * (p[dn + i] - p[up + i]) + 3 * (p[dn + i + 1] - p[up + i + 1])) / 32;
        this.ix[k] = dx;
        this.iy[k] = dy;
        this.iv[k] = p[r + i];
        gxx += dx * dx;
        gxy += dx * dy;
        gyy += dy * dy;
      }
    }
    g[0] = gxx;
    g[1] = gxy;
    g[2] = gyy;
  }

  private readonly g = new Float64Array(3);

  /** Minimum eigenvalue of the structure tensor per window pixel at (x, y) of `img` (texture strength). */
  minEigenvalue(img: GrayImage, x: number, y: number): number {
    this.loadTemplate(img, x, y, this.g);
    return minEig(this.g, this.options.window);
  }

  /**
   * Flow of the point (x, y) from `prev` to `next` (pyramids from buildPyramid, same sizes). `guessX/Y` is an
   * optional initial displacement (e.g. constant velocity), in full-resolution pixels.
   */
  track(prev: readonly GrayImage[], next: readonly GrayImage[], x: number, y: number, out: FlowResult, guessX = 0, guessY = 0): FlowResult {
    const { window: w, maxIterations, epsilon } = this.options;
    const levels = Math.min(this.options.levels, prev.length, next.length);
    const area = w * w;
    const eps2 = epsilon * epsilon;
    const g = this.g;
    let scale = 1 / (1 << (levels - 1));
    let gx = guessX * scale;
    let gy = guessY * scale;
    out.ok = false;
    out.error = Infinity;
    out.minEig = 0;
    for (let L = levels - 1; L >= 0; L--, scale *= 2) {
      const ux = x * scale;
      const uy = y * scale;
      this.loadTemplate(prev[L], ux, uy, g);
      const me = minEig(g, w);
      let vx = 0, vy = 0;
      const det = g[0] * g[2] - g[1] * g[1];
      if (me < this.options.minEigThreshold || det < 1e-9) {
        if (L === 0) {
          out.x = x + gx;
          out.y = y + gy;
          out.minEig = me;
          return out;
        }
        gx *= 2;
        gy *= 2;
        continue;
      }
      const inv = 1 / det;
      const J = next[L];
      for (let it = 0; it < maxIterations; it++) {
        samplePatch(J, ux + gx + vx, uy + gy + vy, w, this.jv);
        let bx = 0, by = 0;
        for (let k = 0; k < area; k++) {
          const d = this.iv[k] - this.jv[k];
          bx += d * this.ix[k];
          by += d * this.iy[k];
        }
        const ex = inv * (g[2] * bx - g[1] * by);
        const ey = inv * (g[0] * by - g[1] * bx);
        vx += ex;
        vy += ey;
        if (ex * ex + ey * ey < eps2) break;
      }
      if (L === 0) {
        samplePatch(J, ux + gx + vx, uy + gy + vy, w, this.jv);
        let e = 0;
        for (let k = 0; k < area; k++) e += Math.abs(this.iv[k] - this.jv[k]);
        out.ok = true;
        out.x = x + gx + vx;
        out.y = y + gy + vy;
        out.error = e / area;
        out.minEig = me;
        return out;
      }
      gx = 2 * (gx + vx);
      gy = 2 * (gy + vy);
    }
    return out;
  }
}

function minEig(g: Float64Array, w: number): number {
  const a = g[0], b = g[1], c = g[2];
  return (a + c - Math.sqrt((a - c) * (a - c) + 4 * b * b)) / 2 / (w * w);
}

/**
 * visible / occluded / outside as in lib/tracks; `lost`: no estimate at all (the window has no usable texture
 * at full resolution) — not evidence of occlusion, so callers stop without claiming a state.
 */
export type TrackState = "visible" | "occluded" | "outside" | "lost";

export interface PointTrackerOptions extends Omit<LkOptions, "window"> {
  /**
   * Window sides to try at the start point, smallest first: the first whose structure tensor is well
   * conditioned is used. Points inside flat regions (a uniformly coloured object) need a window that
   * reaches the object's edges. Default [21, 31, 45, 63].
   */
  windows?: number[];
  /**
   * A window is well conditioned when its central part (the window less `windowMargin` px on each side) has a
   * minimum eigenvalue per pixel of at least this (default 2): texture that only grazes the window's border
   * leaves it after a few pixels of motion and the estimate drifts (a point inside a flat shape near its edge).
   */
  windowMinEig?: number;
  /** Default 4 px. */
  windowMargin?: number;
  /** Forward–backward round-trip error above which the point is occluded, in pixels (default 1). */
  fbThreshold?: number;
  /** The patch error is a jump (occlusion) when above this multiple of the running median (default 3)… */
  errorJump?: number;
  /** …and above this absolute mean grey-level difference (default 8). */
  minJumpError?: number;
  /** Use the last displacement as the initial guess (default true). */
  constantVelocity?: boolean;
}

export interface TrackStep {
  x: number;
  y: number;
  state: TrackState;
  /** Forward–backward round-trip distance in pixels (NaN when not measured). */
  fbError: number;
  /** Mean absolute patch difference of the forward step. */
  error: number;
}

/**
 * Follows one point through consecutive frames. `start` on the keyframe's pyramid, then `step` with each next
 * frame's pyramid; the first non-visible step ends the track (the caller stops: LK cannot re-acquire a point).
 */
export class PointTracker {
  private lk: LucasKanade | null = null;
  private readonly opts: Required<Omit<PointTrackerOptions, "windows">> & { windows: number[] };
  private prev: readonly GrayImage[] | null = null;
  private x = 0;
  private y = 0;
  private vx = 0;
  private vy = 0;
  private readonly errors: number[] = [];
  private readonly fwd: FlowResult = { ok: false, x: 0, y: 0, error: 0, minEig: 0 };
  private readonly bwd: FlowResult = { ok: false, x: 0, y: 0, error: 0, minEig: 0 };
  private readonly cache = new Map<number, LucasKanade>();

  constructor(options: PointTrackerOptions = {}) {
    this.opts = {
      levels: options.levels ?? DEFAULTS.levels,
      maxIterations: options.maxIterations ?? DEFAULTS.maxIterations,
      epsilon: options.epsilon ?? DEFAULTS.epsilon,
      minEigThreshold: options.minEigThreshold ?? DEFAULTS.minEigThreshold,
      windows: options.windows ?? [21, 31, 45, 63],
      windowMinEig: options.windowMinEig ?? 2,
      windowMargin: options.windowMargin ?? 4,
      fbThreshold: options.fbThreshold ?? 1,
      errorJump: options.errorJump ?? 3,
      minJumpError: options.minJumpError ?? 8,
      constantVelocity: options.constantVelocity ?? true,
    };
    if (this.opts.windows.length === 0) throw new RangeError("windows must not be empty");
  }

  private lkFor(window: number): LucasKanade {
    let lk = this.cache.get(window);
    if (!lk) {
      lk = new LucasKanade({ window, levels: this.opts.levels, maxIterations: this.opts.maxIterations, epsilon: this.opts.epsilon, minEigThreshold: this.opts.minEigThreshold });
      this.cache.set(window, lk);
    }
    return lk;
  }

  /** Window side in use (after `start`). */
  get window(): number {
    return this.lk?.options.window ?? 0;
  }

  /**
   * Starts at (x, y) of `pyramid`; picks the smallest well-conditioned window (the largest when none is).
   * Returns whether any window was well conditioned (false: e.g. deep inside a large flat region, where LK
   * has nothing to lock on to).
   */
  start(pyramid: readonly GrayImage[], x: number, y: number): boolean {
    let chosen: LucasKanade | null = null;
    let textured = false;
    for (const w of this.opts.windows) {
      const lk = this.lkFor(w);
      chosen = lk;
      const inner = Math.max(3, w - 2 * this.opts.windowMargin);
      if (this.lkFor(inner).minEigenvalue(pyramid[0], x, y) >= this.opts.windowMinEig) {
        textured = true;
        break;
      }
    }
    this.lk = chosen;
    this.prev = pyramid;
    this.x = x;
    this.y = y;
    this.vx = 0;
    this.vy = 0;
    this.errors.length = 0;
    return textured;
  }

  step(next: readonly GrayImage[]): TrackStep {
    const lk = this.lk;
    const prev = this.prev;
    if (!lk || !prev) throw new Error("PointTracker.step before start");
    const { width, height } = next[0];
    const gx = this.opts.constantVelocity ? this.vx : 0;
    const gy = this.opts.constantVelocity ? this.vy : 0;
    const f = lk.track(prev, next, this.x, this.y, this.fwd, gx, gy);
    if (!f.ok) return { x: f.x, y: f.y, state: "lost", fbError: NaN, error: f.error };
    if (f.x < 0 || f.y < 0 || f.x >= width || f.y >= height) return { x: f.x, y: f.y, state: "outside", fbError: NaN, error: f.error };
    const b = lk.track(next, prev, f.x, f.y, this.bwd, -gx, -gy);
    const fb = b.ok ? Math.hypot(b.x - this.x, b.y - this.y) : Infinity;
    const jump = this.errors.length >= 3 && f.error > this.opts.minJumpError && f.error > this.opts.errorJump * median(this.errors);
    if (fb > this.opts.fbThreshold || jump) return { x: f.x, y: f.y, state: "occluded", fbError: fb, error: f.error };
    this.vx = f.x - this.x;
    this.vy = f.y - this.y;
    this.x = f.x;
    this.y = f.y;
    this.prev = next;
    this.errors.push(f.error);
    if (this.errors.length > 15) this.errors.shift();
    return { x: f.x, y: f.y, state: "visible", fbError: fb, error: f.error };
  }
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
