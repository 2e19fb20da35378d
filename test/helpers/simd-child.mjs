// Run by simd.test.mjs with TDFAST_SIMD set: checks every activation over shapes that reach every kernel path
// (dot path U <= 4 with F tails, panel path with partial panels, U = 1 at every alignment of x) and prints a
// JSON summary.
import { ACTIVATIONS, tensor, timeDenseSync } from "../../dist/esm/index.mjs";
import { nativeBinding } from "../../dist/cjs/binding.js";
import { firstMismatch, randomArray, randomGenerator, referenceDense } from "./reference.mjs";

const random = randomGenerator(77);
const failures = [];
let checked = 0;
for (const [rows, F, U] of [[33, 1, 1], [101, 3, 2], [19, 17, 3], [20, 64, 4], [29, 9, 5], [13, 40, 16], [11, 33, 33], [7, 100, 70], [5, 300, 130]]) {
  for (const activation of ACTIVATIONS) {
    const x = randomArray(rows * F, random, 3);
    const kernel = randomArray(F * U, random, 2 / Math.sqrt(F));
    const bias = randomArray(U, random);
    const y = timeDenseSync(tensor(x, [rows, F]), { kernel: tensor(kernel, [F, U]), bias, activation }, { backend: "cpu" });
    const bad = firstMismatch(y.data, referenceDense(x, rows, F, kernel, bias, U, activation));
    if (bad >= 0) failures.push(`${activation} ${rows}x${F}->${U} at ${bad}`);
    checked += y.data.length;
  }
}
// U = 1 with x starting at every float offset within a 64-byte line, over row counts that end inside and on a
// 16-row step and that are split over threads.
const backing = randomArray(1600 * 64 + 16, random, 3);
for (const [rows, F] of [[1, 16], [17, 16], [33, 64], [40, 48], [47, 100], [1500, 64]]) {
  const kernel = randomArray(F, random, 2 / Math.sqrt(F));
  const bias = randomArray(1, random);
  for (let offset = 0; offset < 16; offset++) {
    const x = backing.subarray(offset, offset + rows * F);
    for (const activation of rows > 100 ? ["linear", "sigmoid", "gelu"] : ACTIVATIONS) {
      const y = timeDenseSync(tensor(x, [rows, F]), { kernel: tensor(kernel, [F, 1]), bias, activation }, { backend: "cpu" });
      const bad = firstMismatch(y.data, referenceDense(x, rows, F, kernel, bias, 1, activation));
      if (bad >= 0) failures.push(`${activation} ${rows}x${F}->1 at x offset ${offset}: row ${bad}`);
      checked += y.data.length;
    }
  }
}

console.log(JSON.stringify({ simd: nativeBinding().binding.info().simd, checked, failures }));
