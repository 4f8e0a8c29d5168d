// Child process of data-parallel training (shard-workers.ts): computes the loss parts and gradients of one batch
// shard with its own single-threaded jax-js. It holds no state between steps: every request brings the parameters
// and the shard, so the training process alone owns the weights, the Adam moments and the checkpoints.
import { initJax, jax, np, type Tensor } from "../ml/runtime";
import type { TensorTree } from "../ml/adam";
import { toDevice, type HostBatch } from "./batch";
import { lossAndGrad, type Params, type TrainBatch } from "./forward";
import type { ShardReply, ShardRequest } from "./shard-workers";

type GradFn = (p: TensorTree, batch: TrainBatch) => [Tensor, Tensor, TensorTree];

let grad: GradFn | null = null;

function send(msg: ShardReply): void {
  process.send?.(msg);
}

async function gradients(req: Extract<ShardRequest, { kind: "grad" }>): Promise<void> {
  if (!grad) throw new Error("shard worker: gradient request before init");
  const params: TensorTree = {};
  for (const [name, shape, data] of req.params) params[name] = np.array(data, { shape });
  const [loss, parts, grads] = grad(params, toDevice(req.batch as HostBatch));
  loss.dispose();
  const out: Float32Array[] = [];
  for (const [name] of req.params) out.push((await grads[name]!.data()) as Float32Array);
  send({ kind: "grad", id: req.id, parts: (await parts.data()) as Float32Array, grads: out });
}

process.on("message", (msg: ShardRequest) => {
  void (async () => {
    try {
      if (msg.kind === "init") {
        await initJax({ quiet: true });
        const c = msg.config;
        // The same loss as the single-process step (train.ts); the Adam update happens in the training process.
        grad = jax.jit((p: TensorTree, batch: TrainBatch) => {
          const [[l, parts], g] = lossAndGrad(p as Params, c, batch);
          return [l, parts, g as TensorTree] as [Tensor, Tensor, TensorTree];
        }) as unknown as GradFn;
        send({ kind: "ready" });
      } else if (msg.kind === "grad") {
        await gradients(msg);
      }
    } catch (e) {
      send({ kind: "error", id: msg.kind === "grad" ? msg.id : -1, message: e instanceof Error ? (e.stack ?? e.message) : String(e) });
    }
  })();
});
process.on("disconnect", () => process.exit(0));
