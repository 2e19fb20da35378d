// Random test cases and their check against the float64 reference, shared by the suites.
import { tensor } from "../../dist/esm/index.mjs";
import { firstMismatch, randomArray, randomGenerator, referenceDense } from "./reference.mjs";

/** x of shape [...leading, features] and weights scaled so pre-activations are O(1); never zeros. */
export function makeCase(seed, leading, features, units, withBias = true) {
  const random = randomGenerator(seed);
  const rows = leading.reduce((a, b) => a * b, 1);
  const x = randomArray(rows * features, random, 2);
  const kernel = randomArray(features * units, random, 3 / Math.sqrt(features));
  const bias = withBias ? randomArray(units, random, 0.5) : null;
  return { rows, x, kernel, bias, input: tensor(x, [...leading, features]) };
}

/** Asserts `got` equals the reference for case `c` within 1e-5 + 1e-4·|ref|, naming the first mismatch. */
export function check(t, label, got, c, features, units, activation) {
  const ref = referenceDense(c.x, c.rows, features, c.kernel, c.bias, units, activation);
  const bad = firstMismatch(got, ref);
  t.is(bad, -1, bad < 0 ? label : `${label}: index ${bad} got ${got[bad]} expected ${ref[bad]}`);
}

/** Runs `call` with a 1 ms interval ticking; returns its result, its duration and the largest gap between ticks. */
export async function withTimerGaps(call) {
  let largestGap = 0;
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    largestGap = Math.max(largestGap, now - last);
    last = now;
  }, 1);
  const start = performance.now();
  last = start;
  try {
    const result = await call();
    const duration = performance.now() - start;
    largestGap = Math.max(largestGap, performance.now() - last);
    return { result, duration, largestGap };
  } finally {
    clearInterval(timer);
  }
}
