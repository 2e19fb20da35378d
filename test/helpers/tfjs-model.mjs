// The seed architecture built and saved by TF.js itself (model.save through tf.io.withSaveHandler), written to a
// folder as model.json + shards the way tfjs's file handlers lay them out. tfjs has no Conv1DTranspose layer: a
// Conv2DTranspose with a [3, 1] kernel between two Reshapes is the same op.

import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

import * as tf from "@tensorflow/tfjs";

export const T = 12;
export const C = 3;
export const HEAD_FEATURES = 5;

export async function seedModel() {
  await tf.setBackend("cpu");
  const input = tf.input({ shape: [T, C] });
  let x = tf.layers.conv1d({ filters: 4, kernelSize: 3, padding: "same", activation: "relu" }).apply(input);
  x = tf.layers.lstm({ units: 6, returnSequences: true }).apply(x);
  x = tf.layers.reshape({ targetShape: [T, 1, 6] }).apply(x);
  x = tf.layers.conv2dTranspose({ filters: HEAD_FEATURES, kernelSize: [3, 1], padding: "same" }).apply(x);
  x = tf.layers.reshape({ targetShape: [T, HEAD_FEATURES] }).apply(x);
  const head = tf.layers.timeDistributed({
    layer: tf.layers.dense({ units: 1, activation: "sigmoid", biasInitializer: "randomNormal" }),
    name: "output",
  });
  const model = tf.model({ inputs: input, outputs: /** @type {import("@tensorflow/tfjs").SymbolicTensor} */ (head.apply(x)) });
  return { tf, model, head };
}

/** tfjs's own save API; returns its artifacts (modelTopology, weightSpecs, weightData). */
export async function saveArtifacts(model) {
  /** @type {any} */
  let artifacts;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      artifacts = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" } };
    }),
  );
  return artifacts;
}

/**
 * Writes model.json and the weight data split into `shards` files, in order (or names `paths` without writing them).
 * @param {string} dir
 * @param {any} artifacts
 * @param {{ specs?: any[], data?: ArrayBuffer, shards?: number, paths?: string[] }} [options]
 */
export function writeModel(dir, artifacts, { specs = artifacts.weightSpecs, data = artifacts.weightData, shards = 2, paths } = {}) {
  mkdirSync(dir, { recursive: true });
  const bytes = new Uint8Array(data);
  const names = paths ?? Array.from({ length: shards }, (_, i) => `group1-shard${i + 1}of${shards}.bin`);
  if (!paths) {
    const step = Math.ceil(bytes.length / shards);
    names.forEach((name, i) => {
      writeFileSync(join(dir, name), bytes.subarray(i * step, (i + 1) * step));
    });
  }
  const json = {
    modelTopology: artifacts.modelTopology,
    format: artifacts.format,
    generatedBy: artifacts.generatedBy,
    convertedBy: artifacts.convertedBy,
    weightsManifest: [{ paths: names, weights: specs }],
  };
  writeFileSync(join(dir, "model.json"), JSON.stringify(json));
  return join(dir, "model.json");
}

/** IEEE binary16 bits of a number (round to nearest even), for writing float16-quantized weights. */
function toHalf(value) {
  const f32 = new Float32Array([value]);
  const bits = new Uint32Array(f32.buffer)[0];
  const sign = (bits >>> 16) & 0x8000;
  const exponent = ((bits >>> 23) & 0xff) - 127 + 15;
  let mantissa = bits & 0x7fffff;
  if (exponent >= 0x1f) return sign | 0x7c00;
  if (exponent <= 0) {
    if (exponent < -10) return sign;
    mantissa |= 0x800000;
    const shift = 14 - exponent;
    const half = mantissa >> shift;
    const rest = mantissa & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    return sign | (half + (rest > mid || (rest === mid && half & 1) ? 1 : 0));
  }
  const half = (exponent << 10) | (mantissa >> 13);
  const rest = mantissa & 0x1fff;
  return sign | (half + (rest > 0x1000 || (rest === 0x1000 && half & 1) ? 1 : 0));
}

/**
 * The weights re-encoded as the tfjs converter writes quantized weights (tfjs-converter's quantization:
 * float16 stores binary16 with { dtype: "float16" }; uint8 / uint16 store round((v - min) / scale) with
 * { dtype, min, scale }), weight dtype float32. Returns { specs, data }.
 */
export function quantize(artifacts, dtype) {
  const all = new Float32Array(artifacts.weightData);
  const chunks = [];
  const specs = [];
  let at = 0;
  for (const spec of artifacts.weightSpecs) {
    const count = spec.shape.reduce((a, b) => a * b, 1);
    const values = all.subarray(at, at + count);
    at += count;
    if (dtype === "float16") {
      const out = new Uint16Array(count);
      for (let i = 0; i < count; i++) out[i] = toHalf(values[i]);
      chunks.push(new Uint8Array(out.buffer));
      specs.push({ ...spec, quantization: { dtype: "float16", original_dtype: "float32" } });
    } else {
      const levels = dtype === "uint8" ? 255 : 65535;
      let min = Math.min(...values);
      const max = Math.max(...values);
      const scale = max > min ? (max - min) / levels : 1;
      min = Math.fround(min);
      const out = dtype === "uint8" ? new Uint8Array(count) : new Uint16Array(count);
      for (let i = 0; i < count; i++) out[i] = Math.round((values[i] - min) / scale);
      chunks.push(new Uint8Array(out.buffer));
      specs.push({ ...spec, quantization: { dtype, min, scale, original_dtype: "float32" } });
    }
  }
  const data = new Uint8Array(chunks.reduce((a, c) => a + c.length, 0));
  let offset = 0;
  for (const chunk of chunks) {
    data.set(chunk, offset);
    offset += chunk.length;
  }
  return { specs, data: data.buffer };
}
