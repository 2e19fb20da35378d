// Property-based checks: random shapes, activations and values — NaN, ±Infinity, huge and tiny magnitudes —
// give the float64 reference's answers (rounded to float32) on every backend, NaN and Infinity included.
import test from "ava";
import fc from "fast-check";

import { ACTIVATIONS, tensor, timeDense } from "../dist/esm/index.mjs";
import { availableBackends } from "./helpers/backends.mjs";
import { firstMismatch, referenceDense } from "./helpers/reference.mjs";

// Magnitudes stay below 1e30 so that no float32 sum of up to 64 products overflows where float64's would not;
// Infinity and NaN themselves are in the mix.
const value = fc.oneof(
  { weight: 6, arbitrary: fc.float({ min: -4, max: 4, noNaN: true }) },
  { weight: 1, arbitrary: fc.constantFrom(Number.NaN, Infinity, -Infinity) },
  { weight: 1, arbitrary: fc.constantFrom(1e30, -1e30, 3e20, -7e15, 1e-30, -1e-30, 1e-40, 0, -0) },
);
const weight = fc.float({ min: -2, max: 2, noNaN: true }).filter((w) => w !== 0);

const denseCase = fc
  .record({
    rows: fc.integer({ min: 0, max: 40 }),
    features: fc.integer({ min: 1, max: 64 }),
    units: fc.integer({ min: 1, max: 20 }),
    activation: fc.constantFrom(...ACTIVATIONS),
    withBias: fc.boolean(),
  })
  .chain((shape) =>
    fc.record({
      shape: fc.constant(shape),
      x: fc.array(value, { minLength: shape.rows * shape.features, maxLength: shape.rows * shape.features }),
      kernel: fc.array(weight, { minLength: shape.features * shape.units, maxLength: shape.features * shape.units }),
      bias: fc.array(fc.float({ min: -1, max: 1, noNaN: true }), { minLength: shape.units, maxLength: shape.units }),
    }),
  );

for (const backend of availableBackends) {
  test(`random shapes and extreme values match the reference (${backend})`, async (t) => {
    await t.notThrowsAsync(
      fc.assert(
        fc.asyncProperty(denseCase, async ({ shape, x, kernel, bias }) => {
          const { rows, features, units, activation, withBias } = shape;
          const xs = Float32Array.from(x);
          const ks = Float32Array.from(kernel);
          const bs = withBias ? Float32Array.from(bias) : null;
          const y = await timeDense(
            tensor(xs, [rows, features]),
            { kernel: tensor(ks, [features, units]), bias: bs, activation },
            { backend },
          );
          const reference = Float32Array.from(referenceDense(xs, rows, features, ks, bs, units, activation));
          const bad = firstMismatch(y.data, reference);
          if (bad >= 0)
            throw new Error(`${activation} ${rows}x${features}->${units}: index ${bad} got ${y.data[bad]}, expected ${reference[bad]}`);
        }),
        { numRuns: 300, seed: 20261126 },
      ),
    );
  });
}
