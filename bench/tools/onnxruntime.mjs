// onnxruntime-node used directly, as a user would by hand: an ONNX model of MatMul → Add → activation over the
// 3-D input (MatMul broadcasts over batch and time), encoded with protobufjs from ONNX's own schema, run with
// default session options. `session.run` is what is timed. This is the baseline every ratio is taken against.

import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

const require = createRequire(import.meta.url);

// ONNX's schema as shipped in this repository (lib/ holds it for the onnx backend; the build copies it to dist/).
const SCHEMA_CANDIDATES = ["../../lib/onnx.proto", "../../dist/cjs/onnx.proto"].map((path) =>
  fileURLToPath(new URL(path, import.meta.url)),
);

const OPSET = 17; // Softmax over axis -1 as Keras defines it since opset 13; 17 is widely supported.
const IR_VERSION = 8; // the IR version that goes with opset 17

/** The node that applies each activation (the bench's shapes only need these). */
const ACTIVATION_OPS = { sigmoid: "Sigmoid", relu: "Relu", tanh: "Tanh", softmax: "Softmax", linear: "Identity" };

function loadSchema() {
  const path = SCHEMA_CANDIDATES.find((candidate) => existsSync(candidate));
  if (!path) throw new Error("ONNX schema not found (lib/onnx.proto)");
  const protobuf = require("protobufjs");
  const root = protobuf.loadSync(path);
  return {
    ModelProto: root.lookupType("onnx.ModelProto"),
    FLOAT: root.lookupEnum("onnx.TensorProto.DataType").values.FLOAT,
    INT: root.lookupEnum("onnx.AttributeProto.AttributeType").values.INT,
  };
}

/** The serialized model: y[b, t, :] = act(x[b, t, :] @ kernel + bias), batch and time left dynamic. */
export function buildDenseModel({ features, units, activation }, kernel, bias) {
  const { ModelProto, FLOAT, INT } = loadSchema();
  const op = ACTIVATION_OPS[activation];
  if (!op) throw new Error(`no ONNX op mapped for activation ${activation}`);
  const floatTensor = (name, dims, values) => ({
    name,
    dims,
    dataType: FLOAT,
    rawData: new Uint8Array(values.buffer, values.byteOffset, values.byteLength), // little-endian float32
  });
  const valueInfo = (name, lastDim) => ({
    name,
    type: {
      tensorType: { elemType: FLOAT, shape: { dim: [{ dimParam: "batch" }, { dimParam: "time" }, { dimValue: lastDim }] } },
    },
  });
  const activationAttributes = op === "Softmax" ? [{ name: "axis", type: INT, i: -1 }] : [];
  const model = {
    irVersion: IR_VERSION,
    producerName: "tdfast-bench",
    opsetImport: [{ domain: "", version: OPSET }],
    graph: {
      name: "time_distributed_dense",
      node: [
        { opType: "MatMul", input: ["x", "kernel"], output: ["xw"] },
        { opType: "Add", input: ["xw", "bias"], output: ["z"] },
        { opType: op, input: ["z"], output: ["y"], attribute: activationAttributes },
      ],
      initializer: [floatTensor("kernel", [features, units], kernel), floatTensor("bias", [units], bias)],
      input: [valueInfo("x", features)],
      output: [valueInfo("y", units)],
    },
  };
  return ModelProto.encode(ModelProto.fromObject(model)).finish();
}

export const onnxruntimeTool = () => ({
  id: "onnxruntime",
  label: "onnxruntime-node direct",
  family: "onnxruntime",
  async init() {
    try {
      this.ort = require("onnxruntime-node");
      loadSchema();
      // The cast keeps the type check (which has no resolveJsonModule) from resolving this JSON file: it is any.
      const version = require(/** @type {string} */ ("onnxruntime-node/package.json")).version;
      return { available: true, detail: `onnxruntime-node ${version}, default session options` };
    } catch (error) {
      return { available: false, reason: error.message.split("\n")[0] };
    }
  },
  async setup(shape, { x, kernel, bias }) {
    const { ort } = this;
    const session = await ort.InferenceSession.create(buildDenseModel(shape, kernel, bias));
    const input = new ort.Tensor("float32", x, [shape.batch, shape.time, shape.features]);
    return {
      run: async () => (await session.run({ x: input })).y.data,
      dispose: () => session.release(),
    };
  },
});
