// Run by float16.test.mjs with TDFAST_SIMD set: float16 x and float16 results on the cpu backend, over the
// shapes of simd-child.mjs (every kernel path), x at every 2-byte offset within a 64-byte line, subnormal,
// infinite and NaN halves, and the float32-staged path of wide float16 results. float16 x gives float32
// results within the suite's tolerance of the float64 reference computed from the same halves; float16
// results are those float32 results rounded to nearest even, bit for bit (helpers/float16.mjs's rounding).
// Prints a JSON summary.

import { nativeBinding } from "../../dist/cjs/binding.js";
import { ACTIVATIONS, tensor, timeDense, timeDenseSync } from "../../dist/esm/index.mjs";
import { decodeHalf, firstRoundingMismatch, halfBits, randomHalves } from "./float16.mjs";
import { OFFSET_CASES, PATH_CASES } from "./kernel-cases.mjs";
import { firstMismatch, randomArray, randomGenerator, referenceDense } from "./reference.mjs";

const random = randomGenerator(1616);
const failures = [];
let checked = 0;
const cpu = { backend: /** @type {const} */ ("cpu") };

/**
 * rows×F float16 bits → U on the cpu backend, synchronously (or through the async API): float32 results against
 * the reference, float16 results against their rounding.
 */
async function check(label, bits, rows, F, kernel, bias, U, activation, { async = false, reference = true } = {}) {
  const name = `${activation} ${rows}x${F}->${U}${label}`;
  const x = tensor(bits, [rows, F], { dtype: "float16" });
  const weights = { kernel: tensor(kernel, [F, U]), bias, activation };
  const run = (outputDtype) =>
    async ? timeDense(x, weights, { ...cpu, outputDtype }) : Promise.resolve(timeDenseSync(x, weights, { ...cpu, outputDtype }));
  const y32 = await run("float32");
  const y16 = await run("float16");
  const dtypes = /** @type {string[]} */ ([y32.dtype, y16.dtype]);
  if (dtypes[0] !== "float32" || dtypes[1] !== "float16") failures.push(`${name}: dtypes ${y32.dtype}, ${y16.dtype}`);
  if (reference) {
    const widened = Float64Array.from(bits, decodeHalf);
    const bad = firstMismatch(y32.data, referenceDense(widened, rows, F, kernel, bias, U, activation));
    if (bad >= 0) failures.push(`${name} (float16 x) at ${bad}: got ${y32.data[bad]}`);
  }
  const badRounding = firstRoundingMismatch(y16.data, y32.data);
  if (badRounding >= 0)
    failures.push(`${name} (float16 out) at ${badRounding}: got bits ${halfBits(y16.data)[badRounding]} for ${y32.data[badRounding]}`);
  checked += y32.data.length;
}

for (const [rows, F, U] of [
  ...PATH_CASES,
  [3, 7, 600], // wider than the kernels' float16 staging: staged whole in float32
  // the panel path's rows widened one block ahead (F up to 256), over many blocks and threads, and just past it
  [1000, 64, 16],
  [301, 256, 40],
  [70, 257, 9],
]) {
  for (const activation of ACTIVATIONS) {
    const bits = randomHalves(rows * F, random, 3);
    // subnormal halves (and zeros of both signs) among the values
    for (let i = 0; i < bits.length; i += 7) bits[i] = (i % 2 ? 0x8000 : 0) | (i % 1024);
    const kernel = randomArray(F * U, random, 2 / Math.sqrt(F));
    await check("", bits, rows, F, kernel, randomArray(U, random), U, activation);
  }
}

// float32 x with float16 results: the same rounding of the float32 results.
for (const [rows, F, U] of [
  [37, 19, 1],
  [9, 300, 7],
]) {
  const x = tensor(randomArray(rows * F, random, 3), [rows, F]);
  const kernel = tensor(randomArray(F * U, random, 1 / Math.sqrt(F)), [F, U]);
  const y32 = timeDenseSync(x, { kernel }, cpu);
  const y16 = timeDenseSync(x, { kernel }, { ...cpu, outputDtype: "float16" });
  const bad = firstRoundingMismatch(y16.data, y32.data);
  if (bad >= 0) failures.push(`float32 x ${rows}x${F}->${U} (float16 out) at ${bad}`);
  checked += y16.data.length;
}

// U = 1 with x starting at every 2-byte offset within a 64-byte line (32 of them), over row counts that end
// inside and on a step and that are split over threads.
const backing = randomHalves(1500 * 64 + 32, random, 3);
for (const [rows, F] of OFFSET_CASES) {
  const kernel = randomArray(F, random, 2 / Math.sqrt(F));
  const bias = randomArray(1, random);
  for (let offset = 0; offset < 32; offset++) {
    const bits = backing.subarray(offset, offset + rows * F);
    for (const activation of rows > 100 ? ["linear", "sigmoid", "gelu"] : ["linear", "sigmoid", "relu", "softmax"])
      await check(` at x offset ${offset}`, bits, rows, F, kernel, bias, 1, activation);
  }
}

// Infinite and NaN halves at the first and last feature of rows, at every offset: a neighbour's inf or NaN must
// not reach this row, and the results are inf or NaN exactly where the reference's are.
for (const [F, U] of [
  [16, 1],
  [64, 1],
  [24, 3],
  [40, 9],
]) {
  const rows = 40;
  const kernel = randomArray(F * U, random, 2 / Math.sqrt(F));
  const bias = randomArray(U, random);
  for (let offset = 0; offset < 32; offset += U === 1 ? 1 : 5) {
    const bits = backing.slice(0, rows * F + 32).subarray(offset, offset + rows * F);
    bits[5 * F] = 0x7e00; // NaN
    bits[9 * F + F - 1] = 0x7c00; // +inf
    bits[20 * F] = 0xfc00; // -inf
    bits[20 * F + F - 1] = 0xfe01; // NaN with a sign and a payload
    bits[30 * F + 2] = 0x7bff; // 65504, the largest half: with weights of ~1 its sums overflow float16 only
    for (const activation of ["linear", "sigmoid", "relu"])
      await check(` with non-finite x at offset ${offset}`, bits, rows, F, kernel, bias, U, activation);
  }
}

// Results beyond float16's range: +-inf, not NaN or the largest half. Sums near the rounding boundaries: the
// float32 results of x = 1 and kernel values chosen between halves.
{
  const F = 1;
  const U = 8;
  const kernel = Float32Array.of(65504, 65519.99, 65520, -70000, 2 ** -25, 3 * 2 ** -26, 1 + 2 ** -11, 1 + 3 * 2 ** -11);
  await check(" at the rounding boundaries", Uint16Array.of(0x3c00, 0xbc00), 2, F, kernel, null, U, "linear");
}

// Large calls: threaded, and through the async API on a libuv thread.
{
  const rows = 3000;
  const F = 700;
  const bits = randomHalves(rows * F, random, 2);
  const kernel = randomArray(F, random, 1 / Math.sqrt(F));
  await check(" (async, threaded)", bits, rows, F, kernel, null, 1, "sigmoid", { async: true });
  const U = 24;
  const wide = randomArray(F * U, random, 1 / Math.sqrt(F));
  await check(" (async, threaded)", bits.subarray(0, 400 * F), 400, F, wide, null, U, "relu", { async: true });
}

console.log(JSON.stringify({ simd: nativeBinding().binding.info().simd, checked, failures }));
