// Run by simd.test.mjs with TDFAST_SIMD set: checks every activation over shapes that reach every kernel path
// (dot path U <= 4 with F tails, panel path with partial panels, U = 1 at every alignment of x) and prints a
// JSON summary.

import { nativeBinding } from "../../dist/cjs/binding.js";
import { ACTIVATIONS, tensor, timeDenseSync } from "../../dist/esm/index.mjs";
import { OFFSET_CASES, PATH_CASES } from "./kernel-cases.mjs";
import { firstMismatch, randomArray, randomGenerator, referenceDense } from "./reference.mjs";

const random = randomGenerator(77);
const failures = [];
let checked = 0;

/** Computes rows×F → U on the cpu backend and records a failure (prefixed by `label`) at its first mismatch. */
function checkCpu(label, x, rows, F, kernel, bias, U, activation) {
  const y = timeDenseSync(tensor(x, [rows, F]), { kernel: tensor(kernel, [F, U]), bias, activation }, { backend: "cpu" });
  const bad = firstMismatch(y.data, referenceDense(x, rows, F, kernel, bias, U, activation));
  if (bad >= 0) failures.push(`${activation} ${rows}x${F}->${U}${label} at ${bad}: got ${y.data[bad]}`);
  checked += y.data.length;
}

for (const [rows, F, U] of PATH_CASES) {
  for (const activation of ACTIVATIONS) {
    const x = randomArray(rows * F, random, 3);
    const kernel = randomArray(F * U, random, 2 / Math.sqrt(F));
    checkCpu("", x, rows, F, kernel, randomArray(U, random), U, activation);
  }
}
// U = 1 with x starting at every float offset within a 64-byte line, over row counts that end inside and on a
// 16-row step and that are split over threads.
const backing = randomArray(1600 * 64 + 16, random, 3); // holds the largest case below
for (const [rows, F] of OFFSET_CASES) {
  const kernel = randomArray(F, random, 2 / Math.sqrt(F));
  const bias = randomArray(1, random);
  for (let offset = 0; offset < 16; offset++) {
    const x = backing.subarray(offset, offset + rows * F);
    for (const activation of rows > 100 ? ["linear", "sigmoid", "gelu"] : ACTIVATIONS)
      checkCpu(` at x offset ${offset}`, x, rows, F, kernel, bias, 1, activation);
  }
}

// Non-finite values at the first and last feature of a row, at every offset of x: the AVX-512 kernel for offset
// rows splits registers between neighbouring rows, and a neighbour's NaN or inf must not reach this row; the
// quad kernel (U = 5..16) multiplies them by the zero weights of units past U, which must not reach a result.
for (const [F, U] of [
  [16, 1],
  [64, 1],
  [40, 9],
  [64, 16],
]) {
  const rows = 40;
  const kernel = randomArray(F * U, random, 2 / Math.sqrt(F));
  const bias = randomArray(U, random);
  for (let offset = 0; offset < 16; offset += U === 1 ? 1 : 3) {
    const x = backing.slice(0, rows * F + 16).subarray(offset, offset + rows * F); // a copy to write into
    x[5 * F] = Number.NaN;
    x[9 * F + F - 1] = Number.POSITIVE_INFINITY;
    x[20 * F] = Number.NEGATIVE_INFINITY;
    x[20 * F + F - 1] = Number.NaN;
    for (const activation of ["linear", "sigmoid"])
      checkCpu(` with non-finite x at offset ${offset}`, x, rows, F, kernel, bias, U, activation);
  }
}

console.log(JSON.stringify({ simd: nativeBinding().binding.info().simd, checked, failures }));
