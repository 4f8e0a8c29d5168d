// One optimizer for both models of the ablation: a jitted step = value-and-gradient of a model's loss on a batch,
// then trainer/ml's Adam (global-norm clipping, bias correction folded into the step size). Any loss with the shape
// `(params, batch) → scalar` trains through it, so MolmoPoint-Tiny and the text baseline get the very same update.
import { ADAM_DEFAULTS, adamInit, adamStepSize, adamUpdate, type AdamOptions } from "../ml/adam";
import { jax, np, type Tensor } from "../ml/runtime";
import type { HostParams } from "./params";
import type { Params } from "./forward";
import { refParams } from "./text-baseline";

export type LossFn<B> = (params: Params, batch: B) => Tensor;

export interface Trainer<B> {
  /** One update on `batch` (consumed) at learning rate `lr` (default the trainer's); returns the loss before it. */
  step(batch: B, lr?: number): Promise<number>;
  /** Current parameters (owned by the trainer: use them, do not dispose them). */
  readonly params: Params;
  /** Updates done so far. */
  readonly steps: number;
  /** Host copy of the parameters (shapes from `shapes`). */
  hostParams(): Promise<HostParams>;
  dispose(): void;
}

export interface TrainerOptions {
  lr: number;
  adam?: AdamOptions;
}

/** A trainer over `initial` parameters (uploaded here) minimising `loss`. */
export function createTrainer<B>(initial: HostParams, loss: LossFn<B>, opts: TrainerOptions): Trainer<B> {
  const adam = opts.adam ?? ADAM_DEFAULTS;
  let params: Params = {};
  for (const [k, t] of initial) params[k] = np.array(t.data, { shape: t.shape });
  let { m, v } = adamInit(params);
  const compiled = jax.jit((p: Params, mm: Params, vv: Params, lrT: Tensor, batch: B) => {
    const [value, grads] = jax.valueAndGrad((q: Params) => loss(q, batch))(refParams(p));
    const next = adamUpdate(p, grads as Params, mm, vv, lrT, adam);
    return { loss: value, params: next.params, m: next.m, v: next.v };
  });
  let steps = 0;
  return {
    get params() {
      return params;
    },
    get steps() {
      return steps;
    },
    async step(batch: B, lr?: number): Promise<number> {
      steps++;
      const lrT = np.array(new Float32Array([adamStepSize(lr ?? opts.lr, steps, adam)]), { shape: [] });
      const out = compiled(params, m, v, lrT, batch as never) as unknown as { loss: Tensor; params: Params; m: Params; v: Params };
      params = out.params;
      m = out.m;
      v = out.v;
      const d = await out.loss.data();
      return d[0];
    },
    async hostParams(): Promise<HostParams> {
      const out: HostParams = new Map();
      for (const [k, t] of Object.entries(params)) {
        const data = await t.ref.data();
        out.set(k, { shape: [...t.shape], data: data instanceof Float32Array ? data : Float32Array.from(data as ArrayLike<number>) });
      }
      return out;
    },
    dispose() {
      for (const t of [...Object.values(params), ...Object.values(m), ...Object.values(v)]) t.dispose();
      params = {};
      m = {};
      v = {};
    },
  };
}
