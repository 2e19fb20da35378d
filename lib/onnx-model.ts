// The ONNX model of one TimeDistributed(Dense) layer, encoded with protobufjs from ONNX's own schema
// (lib/onnx.proto, copied unchanged from the onnx 1.23.1 release; the build copies it next to this file).
//
//   x [rows, F] ─ MatMul(kernel [F, U]) ─ Add(bias [U]) ─ activation ─ y [rows, U]
//
// float16 x or y: a Cast to float32 after the input, and one to float16 before the output; the op itself
// computes in float32, as tdfast's CPU kernels do (docs/benchmarks.md compares the alternatives).
//
// Each activation is the ONNX operator (or the few operators) with exactly the Keras 3 definition of
// native/shared/activation.h.

import { join } from "node:path";

import type * as protobuf from "protobufjs";

import type { CanonicalActivation } from "./activations.js";
import type { DenseSpec } from "./backends/types.js";
import { onnxFailure, withCode } from "./errors.js";
import { type DType, roundToFloat16Bits } from "./float16.js";

/** Opset 20 is the first with Gelu (exact, approximate = "none"); onnxruntime-node 1.30 implements it. */
const OPSET = 20;
export const INPUT_NAME = "x";
export const OUTPUT_NAME = "y";

interface OnnxSchema {
  readonly ModelProto: protobuf.Type;
  readonly irVersion: number;
  readonly floatType: number;
  readonly float16Type: number;
  readonly attributeType: Readonly<Record<string, number>>;
}

let schema: OnnxSchema | undefined;

// protobufjs and the schema load on first use: importing tdfast stays fast when the onnx backend is unused.
function onnxSchema(): OnnxSchema {
  if (!schema) {
    const protobufjs = require("protobufjs") as typeof protobuf;
    let root: protobuf.Root;
    try {
      root = protobufjs.loadSync(join(__dirname, "onnx.proto"));
    } catch (cause) {
      throw onnxFailure(`could not load ONNX's schema: ${cause instanceof Error ? cause.message : String(cause)}`, cause);
    }
    schema = {
      ModelProto: root.lookupType("onnx.ModelProto"),
      // IR version 9 is the one released with opset 20 (onnx 1.15); onnxruntime-node 1.30 reads both.
      irVersion: root.lookupEnum("onnx.Version").values.IR_VERSION_2023_5_5!,
      floatType: root.lookupEnum("onnx.TensorProto.DataType").values.FLOAT!,
      float16Type: root.lookupEnum("onnx.TensorProto.DataType").values.FLOAT16!,
      attributeType: root.lookupEnum("onnx.AttributeProto.AttributeType").values,
    };
  }
  return schema;
}

type Attribute = { name: string; type: number; f?: number; i?: number; s?: Uint8Array };
type Node = { opType: string; input: string[]; output: string[]; attribute: Attribute[] };

const node = (opType: string, input: string[], output: string, attribute: Attribute[] = []): Node => ({
  opType,
  input,
  output: [output],
  attribute,
});

/**
 * sigmoid(z) = Softsign(Exp(Clip(z, max = 30))): e^z / (1 + e^z), relatively accurate down to the smallest
 * float32 results (onnxruntime's own Sigmoid is a fast approximation: 0 from about z = -18, up to 20 % high
 * between -9 and -18). The clip keeps e^z finite (Softsign(inf) would be NaN); sigmoid(30) is 1 in float32.
 * Of the exact forms measured, this one costs about what onnxruntime's Sigmoid does; 1 / (1 + Exp(-z)) cost
 * half as much again, through its broadcast Add of 1 (docs/benchmarks.md).
 */
function accurateSigmoid(input: string, output: string): Node[] {
  return [
    node("Clip", [input, "", "sigmoid_clip"], `${output}_clipped`),
    node("Exp", [`${output}_clipped`], `${output}_exp`),
    node("Softsign", [`${output}_exp`], output),
  ];
}

/** The nodes computing `output` = activation(`input`); none for linear, whose input is already the output. */
function activationNodes(activation: CanonicalActivation, input: string, output: string, { attributeType }: OnnxSchema): Node[] {
  const float = (name: string, f: number): Attribute => ({ name, type: attributeType.FLOAT!, f });
  const int = (name: string, i: number): Attribute => ({ name, type: attributeType.INT!, i });
  const string = (name: string, s: string): Attribute => ({ name, type: attributeType.STRING!, s: Buffer.from(s, "utf8") });
  switch (activation) {
    case "linear":
      return [];
    // Not onnxruntime's Sigmoid: sigmoid outputs are probabilities, whose logarithm users take, so the
    // negative tail must keep its relative accuracy (see accurateSigmoid).
    case "sigmoid":
      return accurateSigmoid(input, output);
    // relu6(x + 3) / 6 = clip(x / 6 + 0.5, 0, 1)
    case "hard_sigmoid":
      return [node("HardSigmoid", [input], output, [float("alpha", 1 / 6), float("beta", 0.5)])];
    case "tanh":
      return [node("Tanh", [input], output)];
    case "relu":
      return [node("Relu", [input], output)];
    case "relu6":
      return [node("Clip", [input, "zero", "six"], output)];
    case "leaky_relu":
      return [node("LeakyRelu", [input], output, [float("alpha", 0.2)])];
    case "elu":
      return [node("Elu", [input], output, [float("alpha", 1)])];
    case "selu":
      return [node("Selu", [input], output, [float("alpha", 1.6732632423543772), float("gamma", 1.0507009873554805)])];
    case "gelu":
      return [node("Gelu", [input], output, [string("approximate", "none")])];
    case "silu":
      return [...accurateSigmoid(input, "sigmoid"), node("Mul", [input, "sigmoid"], output)];
    case "softplus":
      return [node("Softplus", [input], output)];
    case "softsign":
      return [node("Softsign", [input], output)];
    case "exponential":
      return [node("Exp", [input], output)];
    case "mish":
      return [node("Mish", [input], output)];
    case "softmax":
      return [node("Softmax", [input], output, [int("axis", -1)])];
    case "log_softmax":
      return [node("LogSoftmax", [input], output, [int("axis", -1)])];
  }
}

/** Element types of a model's input, output and arithmetic; float32 throughout by default. */
export interface ModelTypes {
  readonly input?: DType;
  readonly output?: DType;
  /**
   * "float16": weights and arithmetic in float16 too (for comparisons in bench/ only: onnxruntime's CPU kernels
   * then round every intermediate result to float16).
   */
  readonly compute?: DType;
}

function floatTensor(name: string, dims: number[], values: Float32Array, onnx: OnnxSchema, dtype: DType = "float32") {
  // raw_data is little-endian by ONNX's definition, as on every platform onnxruntime-node ships for.
  if (dtype === "float16") {
    const bits = new Uint16Array(values.length);
    for (let i = 0; i < values.length; i++) bits[i] = roundToFloat16Bits(values[i]!);
    return { name, dims, dataType: onnx.float16Type, rawData: new Uint8Array(bits.buffer) };
  }
  return { name, dims, dataType: onnx.floatType, rawData: new Uint8Array(values.buffer, values.byteOffset, values.byteLength) };
}

/** The serialized ModelProto for these weights (the kernel and bias bytes are copied into it once). */
export function buildDenseModel(spec: DenseSpec, types: ModelTypes = {}): Uint8Array {
  const onnx = onnxSchema();
  const { features, units, activation } = spec;
  const compute = types.compute ?? "float32";
  const inputType = types.input ?? compute;
  const outputType = types.output ?? compute;
  const elemType = (dtype: DType) => (dtype === "float16" ? onnx.float16Type : onnx.floatType);
  const cast = (input: string, output: string, to: DType): Node =>
    node("Cast", [input], output, [{ name: "to", type: onnx.attributeType.INT!, i: elemType(to) }]);
  const nodes: Node[] = [];
  let x = INPUT_NAME;
  if (inputType !== compute) {
    x = "x_cast";
    nodes.push(cast(INPUT_NAME, x, compute));
  }
  const y = outputType !== compute ? "y_uncast" : OUTPUT_NAME;
  const initializers = [floatTensor("kernel", [features, units], spec.kernel, onnx, compute)];
  const preActivation = activation === "linear" ? y : "dense";
  if (spec.bias) {
    initializers.push(floatTensor("bias", [units], spec.bias, onnx, compute));
    nodes.push(node("MatMul", [x, "kernel"], "matmul"), node("Add", ["matmul", "bias"], preActivation));
  } else {
    nodes.push(node("MatMul", [x, "kernel"], preActivation));
  }
  if (activation === "relu6")
    initializers.push(
      floatTensor("zero", [], Float32Array.of(0), onnx, compute),
      floatTensor("six", [], Float32Array.of(6), onnx, compute),
    );
  if (activation === "sigmoid" || activation === "silu")
    initializers.push(floatTensor("sigmoid_clip", [], Float32Array.of(compute === "float16" ? 11 : 30), onnx, compute));
  nodes.push(...activationNodes(activation, preActivation, y, onnx));
  if (y !== OUTPUT_NAME) nodes.push(cast(y, OUTPUT_NAME, outputType));

  const floatMatrix = (columns: number, dtype: DType) => ({
    tensorType: { elemType: elemType(dtype), shape: { dim: [{ dimParam: "rows" }, { dimValue: columns }] } },
  });
  const model = {
    irVersion: onnx.irVersion,
    opsetImport: [{ domain: "", version: OPSET }],
    producerName: "tdfast",
    graph: {
      name: "time_dense",
      node: nodes,
      initializer: initializers,
      input: [{ name: INPUT_NAME, type: floatMatrix(features, inputType) }],
      output: [{ name: OUTPUT_NAME, type: floatMatrix(units, outputType) }],
    },
  };
  const problem = onnx.ModelProto.verify(model);
  if (problem) throw withCode(new Error(`onnx: internal error building the model: ${problem}`), "ERR_TDFAST_INTERNAL");
  return onnx.ModelProto.encode(model).finish();
}
