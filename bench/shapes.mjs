// The benchmark's shapes and the random inputs every tool receives for each of them.

/** B×T×F → U with an activation; the first is the smallest (quick mode runs it alone, estimates scale from it). */
export const SHAPES = [
  { batch: 1, time: 1000, features: 64, units: 1, activation: "sigmoid" },
  { batch: 32, time: 1000, features: 64, units: 1, activation: "sigmoid" },
  { batch: 64, time: 4096, features: 128, units: 1, activation: "sigmoid" },
  { batch: 32, time: 1000, features: 64, units: 16, activation: "relu" },
  { batch: 8, time: 512, features: 256, units: 64, activation: "softmax" },
].map(describe);

/** The large memory-bound shape: compared with the memory bandwidth, and used for the event-loop gap. */
export const LARGE_SHAPE = SHAPES[2];

function describe(shape) {
  const rows = shape.batch * shape.time;
  const { features: F, units: U } = shape;
  return {
    ...shape,
    key: `${shape.batch}×${shape.time}×${F}→${U} ${shape.activation}`,
    rows,
    // What must cross memory at least once: x read, y written, kernel and bias read (float32).
    bytesMoved: (rows * F + rows * U + F * U + U) * 4,
    // One multiply and one add per input feature per output unit per row.
    flops: 2 * rows * F * U,
  };
}

/**
 * mulberry32: a small seeded generator of numbers in [0, 1), so every run (and every tool) sees the same inputs
 * and timeInterleaved (measure.mjs) the same turn orders.
 */
export function seededRandom(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** x uniform in [-1, 1), a Glorot-uniform kernel and a small bias, like a trained layer's. */
export function makeInputs(shape, seed = 1234) {
  const random = seededRandom(seed);
  const uniform = (count, scale) => {
    const values = new Float32Array(count);
    for (let i = 0; i < count; i++) values[i] = (random() * 2 - 1) * scale;
    return values;
  };
  const { rows, features: F, units: U } = shape;
  return {
    x: uniform(rows * F, 1),
    kernel: uniform(F * U, Math.sqrt(6 / (F + U))),
    bias: uniform(U, 0.1),
  };
}
