// A minimal ONNX graph writer (protobufjs with a hand-written subset of onnx.proto). Tests and benchmarks generate
// their own small models with it (exact input/output contract, no downloaded weights), and the trainer's exporter
// writes MolmoPoint-Tiny's graphs with it. Field numbers are those of onnx/onnx.proto (ModelProto, GraphProto,
// NodeProto, AttributeProto, TensorProto, …).
import protobuf from "protobufjs";

const ONNX_SCHEMA = {
  nested: {
    onnx: {
      nested: {
        ModelProto: {
          fields: {
            irVersion: { type: "int64", id: 1 },
            producerName: { type: "string", id: 2 },
            graph: { type: "GraphProto", id: 7 },
            opsetImport: { rule: "repeated", type: "OperatorSetIdProto", id: 8 },
          },
        },
        OperatorSetIdProto: { fields: { domain: { type: "string", id: 1 }, version: { type: "int64", id: 2 } } },
        GraphProto: {
          fields: {
            node: { rule: "repeated", type: "NodeProto", id: 1 },
            name: { type: "string", id: 2 },
            initializer: { rule: "repeated", type: "TensorProto", id: 5 },
            input: { rule: "repeated", type: "ValueInfoProto", id: 11 },
            output: { rule: "repeated", type: "ValueInfoProto", id: 12 },
          },
        },
        NodeProto: {
          fields: {
            input: { rule: "repeated", type: "string", id: 1 },
            output: { rule: "repeated", type: "string", id: 2 },
            name: { type: "string", id: 3 },
            opType: { type: "string", id: 4 },
            attribute: { rule: "repeated", type: "AttributeProto", id: 5 },
          },
        },
        AttributeProto: {
          fields: {
            name: { type: "string", id: 1 },
            f: { type: "float", id: 2 },
            i: { type: "int64", id: 3 },
            s: { type: "bytes", id: 4 },
            floats: { rule: "repeated", type: "float", id: 7 },
            ints: { rule: "repeated", type: "int64", id: 8 },
            type: { type: "int32", id: 20 },
          },
        },
        TensorProto: {
          fields: {
            dims: { rule: "repeated", type: "int64", id: 1 },
            dataType: { type: "int32", id: 2 },
            name: { type: "string", id: 8 },
            rawData: { type: "bytes", id: 9 },
          },
        },
        ValueInfoProto: { fields: { name: { type: "string", id: 1 }, type: { type: "TypeProto", id: 2 } } },
        TypeProto: {
          fields: { tensorType: { type: "Tensor", id: 1 } },
          nested: { Tensor: { fields: { elemType: { type: "int32", id: 1 }, shape: { type: "TensorShapeProto", id: 2 } } } },
        },
        TensorShapeProto: {
          fields: { dim: { rule: "repeated", type: "Dimension", id: 1 } },
          nested: { Dimension: { fields: { dimValue: { type: "int64", id: 1 }, dimParam: { type: "string", id: 2 } } } },
        },
      },
    },
  },
};

const root = protobuf.Root.fromJSON(ONNX_SCHEMA);
const ModelProto = root.lookupType("onnx.ModelProto");

/** ONNX TensorProto.DataType values used here. */
const DTYPE = { float32: 1, int64: 7 } as const;
type DType = keyof typeof DTYPE;
/** AttributeProto.AttributeType values. */
const ATTR = { FLOAT: 1, INT: 2, STRING: 3, FLOATS: 6, INTS: 7 } as const;

/** A dimension: a fixed size or a symbolic name (dynamic axis). */
export type Dim = number | string;
export type AttrValue = number | string | number[] | { float: number } | { floats: number[] };

interface Attribute {
  name: string;
  type: number;
  f?: number;
  i?: number;
  s?: Uint8Array;
  floats?: number[];
  ints?: number[];
}

function attribute(name: string, v: AttrValue): Attribute {
  if (typeof v === "string") return { name, type: ATTR.STRING, s: new TextEncoder().encode(v) };
  if (typeof v === "number") return { name, type: ATTR.INT, i: v };
  if (Array.isArray(v)) return { name, type: ATTR.INTS, ints: v };
  if ("float" in v) return { name, type: ATTR.FLOAT, f: v.float };
  return { name, type: ATTR.FLOATS, floats: v.floats };
}

function valueInfo(name: string, dtype: DType, dims: Dim[]) {
  return {
    name,
    type: {
      tensorType: {
        elemType: DTYPE[dtype],
        shape: { dim: dims.map((d) => (typeof d === "number" ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

/** Opset and IR version of a written model. Opset 20 (IR 9) adds e.g. `Gelu`; the default stays opset 17 / IR 8. */
export interface GraphBuilderOptions {
  opset?: number;
  irVersion?: number;
  producerName?: string;
}

/** Builds one ONNX graph node by node; `toBytes()` gives a model onnxruntime loads (IR 8, opset 17 by default). */
export class GraphBuilder {
  private readonly nodes: object[] = [];
  private readonly inits: object[] = [];
  private readonly inputs: object[] = [];
  private readonly outputs: object[] = [];
  private counter = 0;

  private readonly opset: number;
  private readonly irVersion: number;
  private readonly producerName: string;

  constructor(
    private readonly name: string,
    opts: GraphBuilderOptions = {},
  ) {
    this.opset = opts.opset ?? 17;
    this.irVersion = opts.irVersion ?? (this.opset >= 19 ? 9 : 8);
    this.producerName = opts.producerName ?? "groundtrack-tiny-models";
  }

  input(name: string, dims: Dim[], dtype: DType = "float32"): string {
    this.inputs.push(valueInfo(name, dtype, dims));
    return name;
  }

  /** Declares a graph output and makes `value` produce it (through an Identity node). */
  output(name: string, value: string, dims: Dim[], dtype: DType = "float32"): void {
    this.node("Identity", [value], {}, name);
    this.outputs.push(valueInfo(name, dtype, dims));
  }

  /** A float32 constant (initializer). */
  constFloat(values: ArrayLike<number>, dims: number[]): string {
    const name = `c${this.counter++}`;
    const data = Float32Array.from(values);
    if (data.length !== dims.reduce((a, b) => a * b, 1)) throw new Error(`constant ${name}: ${data.length} values for dims ${dims}`);
    this.inits.push({ name, dataType: DTYPE.float32, dims, rawData: new Uint8Array(data.buffer) });
    return name;
  }

  /** An int64 constant (shapes, axes, slice bounds). */
  constInt(values: number[], dims: number[] = [values.length]): string {
    const name = `c${this.counter++}`;
    const data = BigInt64Array.from(values.map((v) => BigInt(v)));
    this.inits.push({ name, dataType: DTYPE.int64, dims, rawData: new Uint8Array(data.buffer) });
    return name;
  }

  scalar(v: number): string {
    return this.constFloat([v], []);
  }

  /** Adds a node; returns its (first) output name. */
  node(op: string, inputs: string[], attrs: Record<string, AttrValue> = {}, output?: string): string {
    const out = output ?? `t${this.counter++}`;
    this.nodes.push({ opType: op, name: `${op}_${this.counter++}`, input: inputs, output: [out], attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)) });
    return out;
  }

  // Small helpers for the ops used most.
  add(a: string, b: string): string { return this.node("Add", [a, b]); }
  sub(a: string, b: string): string { return this.node("Sub", [a, b]); }
  mul(a: string, b: string): string { return this.node("Mul", [a, b]); }
  div(a: string, b: string): string { return this.node("Div", [a, b]); }
  reshape(x: string, shape: number[]): string { return this.node("Reshape", [x, this.constInt(shape)]); }
  reduceSum(x: string, axes: number[], keepdims = 0): string { return this.node("ReduceSum", [x, this.constInt(axes)], { keepdims }); }
  reduceMean(x: string, axes: number[], keepdims = 0): string { return this.node("ReduceMean", [x], { axes, keepdims }); }
  slice(x: string, axis: number, start: number, end: number): string {
    return this.node("Slice", [x, this.constInt([start]), this.constInt([end]), this.constInt([axis])]);
  }
  avgPool(x: string, k: number): string { return k === 1 ? x : this.node("AveragePool", [x], { kernel_shape: [k, k], strides: [k, k] }); }
  /** 1×1 convolution with a [out, in] weight matrix given row-major. */
  conv1x1(x: string, weight: ArrayLike<number>, outCh: number, inCh: number): string {
    return this.node("Conv", [x, this.constFloat(weight, [outCh, inCh, 1, 1])], { kernel_shape: [1, 1] });
  }
  matmul(a: string, b: string): string { return this.node("MatMul", [a, b]); }
  transpose(x: string, perm: number[]): string { return this.node("Transpose", [x], { perm }); }
  concat(xs: string[], axis: number): string { return xs.length === 1 ? xs[0] : this.node("Concat", xs, { axis }); }
  /** Gather along `axis` with an int64 index tensor (a graph value or a constant from `constInt`). */
  gather(x: string, indices: string, axis = 0): string { return this.node("Gather", [x, indices], { axis }); }
  unsqueeze(x: string, axes: number[]): string { return this.node("Unsqueeze", [x, this.constInt(axes)]); }
  /** Slice along `axis` with bounds given as 1-element int64 graph values (dynamic sizes). */
  sliceDynamic(x: string, axis: number, start: string, end: string): string {
    return this.node("Slice", [x, start, end, this.constInt([axis])]);
  }
  /** `[start:end]` of the shape of `x` as a 1-D int64 value (dimensions known only at run time). */
  shape(x: string, start: number, end: number): string { return this.node("Shape", [x], { start, end }); }

  toBytes(): Uint8Array {
    const model = {
      irVersion: this.irVersion,
      producerName: this.producerName,
      opsetImport: [{ domain: "", version: this.opset }],
      graph: { name: this.name, node: this.nodes, initializer: this.inits, input: this.inputs, output: this.outputs },
    };
    const err = ModelProto.verify(model);
    if (err) throw new Error(`ONNX model ${this.name}: ${err}`);
    return ModelProto.encode(ModelProto.fromObject(model)).finish();
  }
}
