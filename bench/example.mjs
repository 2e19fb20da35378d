// The seed model's head on built-in data: Conv1D → LSTM → Conv1DTranspose → TimeDistributed(Dense(1, "sigmoid")).
// The layers before the head are stood in for by a deterministic 1×1000×64 feature sequence; the head runs
// through tdfast and, for comparison, through a plain JavaScript loop over timesteps.
import { backends, TimeDense, tensor } from "../dist/esm/index.mjs";
import { medianMicros } from "./measure.mjs";

const [B, T, F, U] = [1, 1000, 64, 1];

// Smooth, bounded features like an LSTM's output, and small Glorot-like weights, all reproducible.
const features = new Float32Array(B * T * F);
for (let t = 0; t < T; t++)
  for (let f = 0; f < F; f++) features[t * F + f] = Math.tanh(Math.sin(0.013 * t * (1 + f / 7)) + 0.3 * Math.cos(0.7 * f));
const kernel = new Float32Array(F * U).map((_, i) => Math.sin(i * 2.399) * Math.sqrt(6 / (F + U)));
const bias = new Float32Array([0.05]);

const x = tensor(features, [B, T, F]);
const head = new TimeDense({ kernel: tensor(kernel, [F, U]), bias, activation: "sigmoid", backend: "cpu" });

function plainLoop() {
  const y = new Float32Array(B * T * U);
  for (let t = 0; t < B * T; t++) {
    let s = bias[0];
    for (let f = 0; f < F; f++) s += features[t * F + f] * kernel[f];
    y[t] = 1 / (1 + Math.exp(-s));
  }
  return y;
}

const y = await head.apply(x);
const reference = plainLoop();
let largestDifference = 0;
for (let i = 0; i < y.data.length; i++) largestDifference = Math.max(largestDifference, Math.abs(y.data[i] - reference[i]));

// A few thousand warm-up calls: the JIT and the thread pool settle before the median is taken.
const tdfastMicros = await medianMicros(() => head.apply(x), 5000, { warmup: 2000 });
const loopMicros = await medianMicros(plainLoop, 500);

const available = Object.entries(backends())
  .filter(([name, v]) => name !== "auto" && v.available)
  .map(([name]) => name);
console.log(`tdfast example: seed model head TimeDistributed(Dense(${U}, "sigmoid")) on ${B}×${T}×${F}`);
console.log(`backends available: ${available.join(", ")}`);
console.log(`output shape [${y.shape.join(", ")}], first values: ${Array.from(y.data.subarray(0, 5), (v) => v.toFixed(5)).join(", ")}`);
console.log(`largest difference from a plain JavaScript loop: ${largestDifference.toExponential(2)}`);
console.log(
  `median time per call: tdfast ${tdfastMicros.toFixed(1)} µs, plain JavaScript loop ${loopMicros.toFixed(1)} µs (${(loopMicros / tdfastMicros).toFixed(1)}× slower)`,
);
if (largestDifference > 1e-5) {
  console.error("tdfast disagrees with the plain loop");
  process.exitCode = 1;
}
head.dispose();
