// The ONNX graph writer moved to lib/onnx/graph-builder.ts (the trainer's exporter uses it too); this path stays
// for the tests and tiny-model generators that import it.
export * from "../../../lib/onnx/graph-builder";
