// Node flags of the processes that run models: the server (scripts/start.mjs), `npm run worker`, and
// `groundtrack sam2|query` (cli/bin.mjs). package.json's "worker" and "bench:sam2" scripts spell them out too.
//
// --single-threaded-gc: onnxruntime already keeps every core busy during a SAM2 propagation, and V8's parallel and
// concurrent GC threads then compete with it. Measured on 2 cores (bench:sam2, SAM2-shape models, 48 frames,
// pipelined, two runs each way): loop / onnxruntime wall ratio 1.16 / 1.16 in memory and 1.30 / 1.25 from the video
// with V8's default GC, 1.00 / 0.94 and 1.09 / 1.00 with this flag; GC pauses fell from 10–18 to ~2 ms per frame.
// The server also trains (the /models page): a jax-js training step took the same time either way (0.66–0.72 s,
// bench:train-step's child, two runs each). V8 cannot switch the flag on at run time (v8.setFlagsFromString aborts
// in the next collection), hence flags.
export const INFERENCE_NODE_FLAGS = ["--single-threaded-gc"];

/** Whether this process was started with the flags. */
export function hasInferenceNodeFlags(execArgv = process.execArgv) {
  return INFERENCE_NODE_FLAGS.every((f) => execArgv.includes(f));
}
