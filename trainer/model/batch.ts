// Host side of a teacher-forcing batch: packs model-ready examples into the fixed padded arrays of forward.ts
// `TrainBatch` (see its doc for the slot layout) and uploads them.
import { rotaryInvFreq, type PointTarget } from "../../lib/grounding";
import { TOKEN, objectToken } from "../../inference/builtin/contract";
import { np } from "../ml/runtime";
import { TOKEN_ATTRIBUTE_CLASSES, TOKEN_ATTRIBUTE_WIDTH } from "../data/token-labels";
import { tinyGeometry, type TinyConfig } from "./config";
import type { TrainBatch } from "./forward";

/** What the model needs of one example. */
export interface ModelExample {
  id: string;
  /** Preprocessed frames `[F, 3, S, S]` (contract preprocessing). */
  frames: Float32Array;
  nFrames: number;
  /** tokenizeQuery ids (<bos> first). */
  queryIds: number[];
  /** Points sorted by (patch, subpatch, location), no terminator. */
  targets: PointTarget[];
  /** Object id (1-based, remapped by first appearance) of each target. */
  ids: number[];
  /** Per-token attribute labels (trainer/data/token-labels) for the semantic loss; shared by a video's examples. */
  tokenLabels?: Int8Array[];
}

const NEG = -1e9;

/** Rotary cos/sin for `position` over `dim` (halves repeated), with lib/grounding's float32 angle arithmetic. */
export function rotaryRow(position: number, dim: number, theta: number, cos: Float32Array, sin: Float32Array, offset: number): void {
  const inv = rotaryInvFreq(dim, theta);
  const half = dim / 2;
  const pos = Math.fround(position);
  for (let i = 0; i < half; i++) {
    const ang = Math.fround(pos * inv[i]);
    const c = Math.fround(Math.cos(ang));
    const s = Math.fround(Math.sin(ang));
    cos[offset + i] = c;
    cos[offset + half + i] = c;
    sin[offset + i] = s;
    sin[offset + half + i] = s;
  }
}

type BatchKey = keyof TrainBatch;

export interface HostBatch {
  shapes: Partial<Record<BatchKey, number[]>>;
  arrays: Partial<Record<BatchKey, Float32Array>>;
  /** Valid targets per head. */
  counts: [number, number, number, number];
  /** Labelled tokens per semantic attribute (config semAux > 0). */
  semCounts?: number[];
}

/**
 * Packs `examples` (all with `nFrames` frames; at most `maxPointsPerExample` points each) into a batch of exactly
 * `batchSize` rows (missing rows are all-padding and carry no targets).
 */
export function packBatch(
  examples: ReadonlyArray<ModelExample | undefined>,
  c: TinyConfig,
  vocabSize: number,
  opts: { batchSize: number; nFrames: number; maxPointsPerExample: number; rowsPerVideo?: number },
): HostBatch {
  const g = tinyGeometry(c);
  const { batchSize: B, nFrames: F } = opts;
  // Rows u·R … u·R+R−1 share video u (their examples' frames must be the same array): the vision encoder then runs
  // once per video and its outputs are repeated per row (forward.ts), instead of once per example.
  const R = opts.rowsPerVideo ?? 1;
  if (!Number.isInteger(R) || R < 1 || B % R !== 0) throw new RangeError(`rowsPerVideo ${R} must divide the batch size ${B}`);
  if (examples.length > B) throw new RangeError(`${examples.length} examples exceed the batch size ${B}`);
  const S = c.cropSize;
  const N = F * g.tokensPerFrame;
  const C = g.cells;
  const D = c.patchDim;
  const Q = c.maxQueryTokens;
  const Pm = opts.maxPointsPerExample + 1;
  const L = Q + 4 * Pm;
  const V = vocabSize;
  const frame = 3 * S * S;
  const a = {
    frames: new Float32Array((B / R) * F * frame),
    tokens: new Float32Array(B * L * V),
    attnBias: new Float32Array(B * L * (N + L)),
    pointSel: new Float32Array(B * Pm * N),
    cellSel: new Float32Array(B * Pm * C),
    qCos: new Float32Array(B * Pm * D),
    qSin: new Float32Array(B * Pm * D),
    kCos: new Float32Array(N * D),
    kSin: new Float32Array(N * D),
    patchBias: new Float32Array(B * Pm * (N + 1)),
    patchLabels: new Float32Array(B * Pm * (N + 1)),
    locLabels: new Float32Array(B * Pm * 9),
    idLabels: new Float32Array(B * Pm * c.maxObjects),
    counts: new Float32Array(4),
  };
  // Semantic labels (config semAux): per video row and token, one one-hot block per attribute (zero: no label).
  const A = TOKEN_ATTRIBUTE_WIDTH;
  const sem = c.semAux > 0 ? { labels: new Float32Array((B / R) * N * A), counts: new Float32Array(TOKEN_ATTRIBUTE_CLASSES.length) } : null;
  for (let n = 0; n < N; n++) rotaryRow(n, D, c.theta, a.kCos, a.kSin, n * D);
  const counts: [number, number, number, number] = [0, 0, 0, 0];
  for (let b = 0; b < B; b++) {
    const ex = examples[b];
    const valid = new Uint8Array(L); // key validity of decoder slots
    if (ex) {
      if (ex.nFrames !== F) throw new RangeError(`example ${ex.id} has ${ex.nFrames} frames, the batch ${F}`);
      if (ex.frames.length !== F * frame) throw new RangeError(`example ${ex.id}: frames hold ${ex.frames.length} values, expected ${F}×3×${S}×${S}`);
      const n = ex.targets.length;
      if (n > opts.maxPointsPerExample) throw new RangeError(`example ${ex.id} has ${n} points, more than the batch's ${opts.maxPointsPerExample}`);
      if (ex.queryIds.length > Q || ex.queryIds.length < 1) throw new RangeError(`example ${ex.id}: ${ex.queryIds.length} query tokens (1…${Q} allowed)`);
      const first = examples.slice(b - (b % R), b).find((e) => e !== undefined);
      if (first && first.frames !== ex.frames) throw new RangeError(`example ${ex.id} shares batch video ${Math.floor(b / R)} with ${first.id} but has other frames`);
      if (!first) {
        a.frames.set(ex.frames, Math.floor(b / R) * F * frame);
        if (sem && ex.tokenLabels) {
          const row = Math.floor(b / R) * N * A;
          let offset = 0;
          TOKEN_ATTRIBUTE_CLASSES.forEach((K, g) => {
            const labels = (ex.tokenLabels as Int8Array[])[g];
            if (labels.length !== N) throw new RangeError(`example ${ex.id}: ${labels.length} token labels for ${N} tokens`);
            for (let n = 0; n < N; n++) {
              const v = labels[n];
              if (v < 0) continue;
              if (v >= K) throw new RangeError(`example ${ex.id}: token label ${v} outside ${K} classes`);
              sem.labels[row + n * A + offset + v] = 1;
              sem.counts[g]++;
            }
            offset += K;
          });
        }
      }
      const tok = (slot: number, id: number) => {
        if (!Number.isInteger(id) || id < 0 || id >= V) throw new RangeError(`example ${ex.id}: token id ${id} outside the vocabulary (${V})`);
        a.tokens[(b * L + slot) * V + id] = 1;
        valid[slot] = 1;
      };
      ex.queryIds.forEach((id, i) => tok(i, id));
      for (let k = 0; k <= n; k++) {
        const base = Q + 4 * k;
        tok(base, k === 0 ? TOKEN.bos : objectToken(ex.ids[k - 1]));
        const prev = k === 0 ? null : ex.targets[k - 1];
        rotaryRow(prev ? prev.patch : 0, D, c.theta, a.qCos, a.qSin, (b * Pm + k) * D);
        const pb = (b * Pm + k) * (N + 1);
        if (prev) a.patchBias.fill(NEG, pb, pb + prev.patch);
        if (k === n) {
          a.patchLabels[pb + N] = 1;
          counts[0]++;
          break;
        }
        const t = ex.targets[k];
        if (t.patch < 0 || t.patch >= N || t.subpatch < 0 || t.subpatch >= C || t.location < 0 || t.location > 8) throw new RangeError(`example ${ex.id}: point ${k} target ${JSON.stringify(t)} outside the grid`);
        const id = ex.ids[k];
        if (!Number.isInteger(id) || id < 1 || id > c.maxObjects) throw new RangeError(`example ${ex.id}: object id ${id} outside 1…${c.maxObjects}`);
        if (prev && t.patch < prev.patch) throw new RangeError(`example ${ex.id}: targets are not sorted by patch at point ${k}`);
        tok(base + 1, TOKEN.patch);
        tok(base + 2, TOKEN.subpatch);
        tok(base + 3, TOKEN.location);
        a.patchLabels[pb + t.patch] = 1;
        a.pointSel[(b * Pm + k) * N + t.patch] = 1;
        a.cellSel[(b * Pm + k) * C + t.subpatch] = 1;
        a.locLabels[(b * Pm + k) * 9 + t.location] = 1;
        a.idLabels[(b * Pm + k) * c.maxObjects + id - 1] = 1;
        counts[0]++;
        counts[1]++;
        counts[2]++;
        counts[3]++;
      }
    }
    // Image prefix always visible; decoder slots causal over valid slots.
    for (let i = 0; i < L; i++) {
      const row = (b * L + i) * (N + L) + N;
      for (let j = 0; j < L; j++) if (!(valid[j] && j <= i)) a.attnBias[row + j] = NEG;
    }
  }
  counts.forEach((v, i) => (a.counts[i] = Math.max(1, v)));
  const shapes = {
    frames: [B / R, F, 3, S, S],
    tokens: [B, L, V],
    attnBias: [B, 1, L, N + L],
    pointSel: [B, Pm, N],
    cellSel: [B, Pm, C],
    qCos: [B, Pm, D],
    qSin: [B, Pm, D],
    kCos: [N, D],
    kSin: [N, D],
    patchBias: [B, Pm, N + 1],
    patchLabels: [B, Pm, N + 1],
    locLabels: [B, Pm, 9],
    idLabels: [B, Pm, c.maxObjects],
    counts: [4],
  };
  if (!sem) return { shapes, arrays: a, counts };
  const semCounts = [...sem.counts];
  sem.counts.forEach((v, i) => (sem.counts[i] = Math.max(1, v)));
  return {
    shapes: { ...shapes, semLabels: [B / R, N, A], semCounts: [TOKEN_ATTRIBUTE_CLASSES.length] },
    arrays: { ...a, semLabels: sem.labels, semCounts: sem.counts },
    counts,
    semCounts,
  };
}

/**
 * One batch packed as `shards` batches of batchSize/shards consecutive rows each, for data-parallel training. Each
 * shard's loss normalisers (the per-head target counts and the semantic label counts) are the whole batch's, so the
 * shards' losses, and their gradients, sum to the whole batch's. The training-only binding loss (bindAux)
 * normalises per batch in the model itself and cannot be sharded this way.
 */
export function packShards(
  examples: ReadonlyArray<ModelExample | undefined>,
  c: TinyConfig,
  vocabSize: number,
  opts: { batchSize: number; nFrames: number; maxPointsPerExample: number; rowsPerVideo?: number },
  shards: number,
): HostBatch[] {
  const B = opts.batchSize;
  const R = opts.rowsPerVideo ?? 1;
  if (!Number.isInteger(shards) || shards < 1 || B % shards !== 0 || (B / shards) % R !== 0) throw new RangeError(`${shards} shards must divide the batch size ${B} into whole video units of ${R} rows`);
  if (c.bindAux > 0 && shards > 1) throw new RangeError("the binding loss (bindAux > 0) normalises per batch and cannot be split across shards");
  const per = B / shards;
  const parts = Array.from({ length: shards }, (_, k) => packBatch(examples.slice(k * per, (k + 1) * per), c, vocabSize, { ...opts, batchSize: per }));
  const total = (get: (h: HostBatch) => ArrayLike<number> | undefined) => {
    const sums: number[] = [];
    for (const h of parts) Array.from(get(h) ?? []).forEach((v, i) => (sums[i] = (sums[i] ?? 0) + v));
    return Float32Array.from(sums, (v) => Math.max(1, v));
  };
  const counts = total((h) => h.counts);
  const semCounts = c.semAux > 0 ? total((h) => h.semCounts) : null;
  for (const h of parts) {
    h.arrays.counts = Float32Array.from(counts);
    if (semCounts) h.arrays.semCounts = Float32Array.from(semCounts);
  }
  return parts;
}

/** Uploads a host batch as jax arrays. */
export function toDevice(h: HostBatch): TrainBatch {
  const out = {} as Record<keyof TrainBatch, ReturnType<typeof np.array>>;
  for (const k of Object.keys(h.arrays) as BatchKey[]) out[k] = np.array(h.arrays[k] as Float32Array, { shape: h.shapes[k] as number[] });
  return out as TrainBatch;
}
