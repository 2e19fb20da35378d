// TensorFlow.js 4.22 with the same weights (setWeights), two ways:
//  - tf.layers.timeDistributed(dense): what a Keras port writes; tfjs loops over the timesteps one by one.
//  - tf.layers.dense applied to the 3-D input: the usual workaround (dense reshapes to 2-D and back).
// Backends: WebAssembly (SIMD, single-threaded in Node; its .wasm ships in the npm package) and pure JavaScript
// (cpu) — what installs from the npm registry alone, since tfjs-node downloads libtensorflow from Google at
// install time. Each tool runs on whichever of the two is faster for it, found by timing both on the smallest
// shape at start-up: wasm wins the batched matmul, while its per-timestep slices make timeDistributed
// far slower than on cpu (and grow with batch × time). `--tfjs-backend=wasm|cpu` forces one for both.
// Timed: layer.apply(x) and reading the result back into a Float32Array (dataSync), as every other tool returns.

import { makeInputs, SHAPES } from "../shapes.mjs";

const CANDIDATE_BACKENDS = ["wasm", "cpu"];
const PROBE_CALLS = 3;

let tf;
let loadError;
const backendErrors = new Map();

async function loadTfjs() {
  if (tf || loadError) return;
  try {
    tf = await import("@tensorflow/tfjs");
    // As a deployment would: skips debug-only checks, and the banner advising tfjs-node (not installable here).
    tf.enableProdMode();
    await import("@tensorflow/tfjs-backend-wasm");
  } catch (error) {
    loadError = error.message.split("\n")[0];
  }
}

/** Makes `name` the active tfjs backend; false (with the reason kept) when it cannot initialize. */
async function useBackend(name) {
  if (backendErrors.has(name)) return false;
  if (tf.getBackend() === name) return true;
  try {
    if (!(await tf.setBackend(name))) throw new Error(`tfjs backend ${name} failed to initialize`);
    await tf.ready();
    return true;
  } catch (error) {
    backendErrors.set(name, error.message.split("\n")[0]);
    return false;
  }
}

/** Builds the layer on the active backend with the given weights; run() computes y as a Float32Array. */
function buildLayer({ batch, time, features, units, activation }, { x, kernel, bias }, wrapInTimeDistributed) {
  const dense = tf.layers.dense({ units, activation });
  const layer = wrapInTimeDistributed ? tf.layers.timeDistributed({ layer: dense }) : dense;
  layer.build([batch, time, features]);
  const weights = [tf.tensor2d(kernel, [features, units]), tf.tensor1d(bias)];
  dense.setWeights(weights);
  for (const w of weights) w.dispose();
  const input = tf.tensor3d(x, [batch, time, features]);
  return {
    run: () => {
      const y = tf.tidy(() => layer.apply(input));
      const values = y.dataSync();
      y.dispose();
      return values;
    },
    dispose: () => {
      input.dispose();
      // layer.dispose() refuses layers that were only applied eagerly; free the weights themselves.
      for (const weight of dense.weights) weight.dispose();
    },
  };
}

/** Median seconds of a few calls on the smallest shape (after one warm-up call). */
function probeSeconds(wrapInTimeDistributed) {
  const layer = buildLayer(SHAPES[0], makeInputs(SHAPES[0]), wrapInTimeDistributed);
  try {
    layer.run();
    const samples = [];
    for (let i = 0; i < PROBE_CALLS; i++) {
      const start = performance.now();
      layer.run();
      samples.push((performance.now() - start) / 1e3);
    }
    return samples.sort((a, b) => a - b)[PROBE_CALLS >> 1];
  } finally {
    layer.dispose();
  }
}

/**
 * @param {{
 *   id: string, label: string, wrapInTimeDistributed: boolean,
 *   relativeCost?: (shape: (typeof SHAPES)[number], backend: string) => number,
 * }} spec relativeCost (optional) depends on the tfjs backend the tool runs on
 */
function tfjsTool({ id, label, wrapInTimeDistributed, relativeCost }) {
  return {
    id,
    label,
    family: "tfjs",
    async init({ tfjsBackend }) {
      await loadTfjs();
      if (loadError) return { available: false, reason: loadError };
      const candidates = tfjsBackend === "fastest" ? CANDIDATE_BACKENDS : [tfjsBackend];
      const probes = [];
      for (const name of candidates)
        if (await useBackend(name)) probes.push({ name, seconds: candidates.length > 1 ? probeSeconds(wrapInTimeDistributed) : undefined });
      if (!probes.length) return { available: false, reason: candidates.map((name) => `${name}: ${backendErrors.get(name)}`).join("; ") };
      const fastest = probes.reduce((best, probe) => (probe.seconds < best.seconds ? probe : best));
      this.backend = fastest.name;
      this.label = `${label} [${this.backend}]`;
      const probeText =
        probes.length > 1
          ? ` (faster on ${SHAPES[0].key}: ${probes.map((p) => `${p.name} ${(p.seconds * 1e3).toPrecision(3)} ms`).join(", ")})`
          : "";
      return { available: true, detail: `@tensorflow/tfjs ${tf.version_core}, backend ${this.backend}${probeText}` };
    },
    relativeCost(shape) {
      return relativeCost?.(shape, this.backend);
    },
    async setup(shape, inputs) {
      const backend = this.backend;
      if (!(await useBackend(backend))) throw new Error(backendErrors.get(backend));
      const layer = buildLayer(shape, inputs, wrapInTimeDistributed);
      return {
        // The benchmark interleaves tools, so the other tfjs tool may have made its backend the active one;
        // computing on tensors of another backend would silently copy them across on every call.
        run: async () => {
          if (tf.getBackend() !== backend) await useBackend(backend);
          return layer.run();
        },
        dispose: layer.dispose,
      };
    },
  };
}

export const tfjsTools = () => [
  tfjsTool({
    id: "tfjs-time-distributed",
    label: "tfjs timeDistributed(dense)",
    wrapInTimeDistributed: true,
    // One small op sequence per timestep: on cpu the cost follows the timesteps; on wasm each step also costs
    // in proportion to the whole input (measured: 0.2 s at 1×1000×64, 590 s at 64×4096×128).
    relativeCost: (s, backend) => (backend === "wasm" ? s.time * s.rows * s.features : s.time),
  }),
  tfjsTool({ id: "tfjs-dense-3d", label: "tfjs dense on 3-D x", wrapInTimeDistributed: false }),
];
