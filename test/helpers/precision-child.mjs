// Run by precision.test.mjs (TDFAST_SIMD set for the cpu variants; backend in argv[2]): the ranges where a
// float32 formula can keep its absolute error small and still be wrong in relative terms — a sigmoid's or
// silu's negative tail (probabilities whose logarithm users take), tanh near 0, and log_softmax / softmax of
// large logits. Each is checked against the float64 reference with a relative tolerance (1e-4) and an
// absolute floor far below the suite's 1e-5. Prints a JSON summary.

import { nativeBinding } from "../../dist/cjs/binding.js";
import { timeDense } from "../../dist/esm/index.mjs";
import { firstMismatch, randomGenerator, referenceDense } from "./reference.mjs";

const backend = /** @type {import("../../dist/esm/index.mjs").BackendName} */ (process.argv[2]);
const random = randomGenerator(1129);
const failures = [];
let checked = 0;

// Relative 1e-4; the floor is the smallest normal float32, so only subnormal results may be off absolutely.
const TIGHT = { absolute: 1.2e-38, relative: 1e-4 };

/** @param {{ absolute?: number, relative?: number }} [tolerance] `{}`: firstMismatch's defaults, the suite's tolerance */
async function check(label, x, rows, F, kernel, bias, U, activation, tolerance = TIGHT) {
  const y = await timeDense({ data: x, shape: [rows, F] }, { kernel: { data: kernel, shape: [F, U] }, bias, activation }, { backend });
  const reference = referenceDense(x, rows, F, kernel, bias, U, activation);
  const bad = firstMismatch(y.data, reference, tolerance);
  if (bad >= 0)
    failures.push(`${activation} ${label}: at ${bad} (pre-activation ${x[bad]}) got ${y.data[bad]}, expected ${reference[bad]}`);
  checked += y.data.length;
}

// F = 1 and kernel [1]: the pre-activation is x itself, exactly, so the reference sees what the kernel sees.
const one = Float32Array.of(1);
const between = (count, low, high) => Float32Array.from({ length: count }, () => low + (high - low) * random());

// Tails: sigmoid from -80 (1.8e-35, still a normal float) to -9, silu likewise, plus a few positive values.
for (const activation of ["sigmoid", "silu"]) {
  await check("negative tail", between(1000, -80, -9), 1000, 1, one, null, 1, activation);
  await check("around 0", between(200, -9, 9), 200, 1, one, null, 1, activation);
}

// tanh near 0: every decade from 1e-38 to 1, both signs, and the polynomial's edge at 0.625.
const tiny = [];
for (let e = -38; e <= 0; e += 0.25) tiny.push(10 ** e, -(10 ** e));
tiny.push(4.6e-8, 1e-7, 0.6249, 0.625, 0.6251, 0.9, 3, -3, 9.5, -9.5);
await check("near 0", Float32Array.from(tiny), tiny.length, 1, one, null, 1, "tanh");

// Large logits: row r of x is a power of two, the kernel holds logits spaced by 0.25..8 around 1e4 and 1e6
// (exact in float32), so every product is exact and only the activation's own rounding shows. Outputs are of
// order 1 (log_softmax) or spread over [0, 1] (softmax): the suite's tolerance applies.
for (const scale of [1e4, 1e6]) {
  for (const U of [3, 8, 19]) {
    const kernel = Float32Array.from({ length: U }, (_, u) => scale + u * (scale >= 1e6 ? 2 : 0.25));
    const x = Float32Array.of(1, 2, 0.5, -1, 4, -0.25);
    for (const activation of ["log_softmax", "softmax"])
      await check(`logits ~${scale} x${U}`, x, x.length, 1, kernel, null, U, activation, {});
  }
}

console.log(JSON.stringify({ backend, simd: backend === "cpu" ? nativeBinding().binding.info().simd : null, checked, failures }));
