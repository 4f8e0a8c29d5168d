// Parameter names and shapes of MolmoPoint-Tiny (ARCHITECTURE.md: these are the safetensors keys) and their
// deterministic initialisation: N(0, 0.02) weights, zero biases, LayerNorm ones/zeros, no-more-points key 0.
import { seededRandom } from "../../lib/random";
import type { HostTensor } from "../ml/safetensors";
import { TOKEN_ATTRIBUTE_WIDTH } from "../data/token-labels";
import { tinyGeometry, type TinyConfig } from "./config";

export type ParamShapes = Map<string, number[]>;
/** Host copy of every parameter (name → shape + float32 data), in `paramShapes` order. */
export type HostParams = Map<string, HostTensor>;

/** Every parameter with its shape, in a fixed order. */
export function paramShapes(c: TinyConfig, vocabSize: number): ParamShapes {
  const g = tinyGeometry(c);
  const d = c.dModel;
  const m = new Map<string, number[]>();
  const lin = (name: string, i: number, o: number) => {
    m.set(`${name}.W`, [i, o]);
    m.set(`${name}.b`, [o]);
  };
  const ln = (name: string, n: number) => {
    m.set(`${name}.g`, [n]);
    m.set(`${name}.b`, [n]);
  };
  const block = (p: string) => {
    ln(`${p}.ln1`, d);
    for (const k of ["q", "k", "v", "o"]) {
      m.set(`${p}.attn.W${k}`, [d, d]);
      m.set(`${p}.attn.b${k}`, [d]);
    }
    ln(`${p}.ln2`, d);
    m.set(`${p}.mlp.W1`, [d, c.mlpRatio * d]);
    m.set(`${p}.mlp.b1`, [c.mlpRatio * d]);
    m.set(`${p}.mlp.W2`, [c.mlpRatio * d, d]);
    m.set(`${p}.mlp.b2`, [d]);
  };
  if (c.patchStem > 0) lin("vit.stem", g.patchPixels, c.patchStem);
  lin("vit.patch", c.patchStem > 0 ? c.patchStem : g.patchPixels, c.dVit);
  m.set("vit.pos", [g.grid * g.grid, c.dVit]);
  lin("conn", g.cells * c.dVit, d);
  m.set("vis.frame", [c.maxFrames, d]);
  m.set("vis.tok", [g.tokensPerFrame, d]);
  for (let i = 0; i < c.visionLayers; i++) block(`vis.L${i}`);
  ln("vis.lnf", d);
  lin("patchk", d, c.patchDim);
  m.set("nomore", [1, c.patchDim]);
  lin("subk", c.dVit, c.patchDim);
  lin("subemb", c.dVit, d);
  m.set("dec.emb", [vocabSize, d]);
  for (let j = 0; j < c.decoderLayers; j++) {
    block(`dec.L${j}`);
    if (c.prefixKeyBias) m.set(`dec.L${j}.imgk`, [d]);
  }
  ln("dec.lnf", d);
  lin("head.pq", d, c.patchDim);
  lin("head.sq", d, c.patchDim);
  lin("head.loc", d, 9);
  lin("head.id", d, c.maxObjects);
  if (c.bindAux > 0) {
    lin("aux.bind", d, c.patchDim);
    m.set("aux.bind.c", [1]);
  }
  if (c.semAux > 0) lin("aux.sem", d, TOKEN_ATTRIBUTE_WIDTH);
  return m;
}

/** How a parameter starts: LN gains 1, biases / LN shifts / the no-more-points key 0, everything else N(0, 0.02). */
function initKind(name: string): "one" | "zero" | "normal" {
  if (name === "nomore" || name.endsWith(".imgk") || name === "aux.bind.c") return "zero";
  const last = name.slice(name.lastIndexOf(".") + 1);
  const isLn = /\.(ln1|ln2|lnf)\.[gb]$/.test(name);
  if (isLn) return last === "g" ? "one" : "zero";
  if (/^b[0-9qkvo]?$/.test(last)) return "zero";
  return "normal";
}

/** Deterministic initial parameters for `seed` (lib/random mulberry32 + Box–Muller). */
export function initParams(c: TinyConfig, vocabSize: number, seed: number): HostParams {
  const rnd = seededRandom(seed);
  let spare: number | null = null;
  const normal = () => {
    if (spare !== null) {
      const s = spare;
      spare = null;
      return s;
    }
    const u = Math.max(rnd(), 1e-12);
    const v = rnd();
    const r = Math.sqrt(-2 * Math.log(u));
    spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  };
  const out: HostParams = new Map();
  for (const [name, shape] of paramShapes(c, vocabSize)) {
    const n = shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(n);
    const kind = initKind(name);
    if (kind === "one") data.fill(1);
    else if (kind === "normal") {
      // fan-in: a matrix [in, out] (or [in·…, out]) draws N(0, 1/in); embedding / position tables stay at 0.02.
      const table = /^(dec\.emb|vis\.frame|vis\.tok|vit\.pos)$/.test(name);
      const std = c.init === "fan-in" && !table && shape.length === 2 ? 1 / Math.sqrt(shape[0]) : 0.02;
      for (let i = 0; i < n; i++) data[i] = std * normal();
    }
    out.set(name, { shape, data });
  }
  return out;
}

/** Total number of scalars. */
export function countParams(p: HostParams): number {
  let n = 0;
  for (const t of p.values()) n += t.data.length;
  return n;
}
