// The core correctness checks, written without a test framework so that they run on every Node.js version the
// package supports (ava 7 needs Node 20.19+) and under emulation: every activation on odd sizes against the
// float64 reference, sync and async, float16 x and results (as a Float16Array too where the runtime has one:
// Node 24), NaN rows, concurrent calls, errors, and a worker thread. Exit status 1 on any failure.
// scripts/node-matrix.mjs runs it under Node 18, 20, 22 and 24 on the prebuilt binary.
//   TDFAST_ADDON=prebuilds/linux-x64/tdfast.node node test/compat/core-checks.mjs
import assert from "node:assert/strict";
import { Worker } from "node:worker_threads";

import { ACTIVATIONS, backends, TimeDense, tensor, timeDense, timeDenseSync } from "../../dist/esm/index.mjs";
import { decodeHalf, firstRoundingMismatch, halfBits, isNanHalf, randomHalves } from "../helpers/float16.mjs";
import { firstMismatch, randomArray, randomGenerator, referenceDense } from "../helpers/reference.mjs";

/** @typedef {import("../../dist/esm/index.mjs").BackendName} BackendName */
const backend = /** @type {BackendName} */ (process.env.TDFAST_CHECK_BACKEND ?? "cpu");
let passed = 0;
const failures = [];

async function check(name, body) {
  try {
    await body();
    passed++;
  } catch (error) {
    failures.push(`${name}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

function makeCase(seed, rows, features, units, withBias) {
  const random = randomGenerator(seed);
  return {
    x: randomArray(rows * features, random, 2),
    kernel: randomArray(features * units, random, 3 / Math.sqrt(features)),
    bias: withBias ? randomArray(units, random, 0.5) : null,
  };
}

function assertMatches(got, x, rows, features, kernel, bias, units, activation, label) {
  const ref = referenceDense(x, rows, features, kernel, bias, units, activation);
  const bad = firstMismatch(got, ref);
  assert.equal(bad, -1, bad < 0 ? label : `${label}: index ${bad} got ${got[bad]} expected ${ref[bad]}`);
}

const report = backends();
if (!report[backend].available) {
  console.error(`core-checks: backend ${backend} is unavailable: ${report[backend].reason}`);
  process.exit(1);
}

const SHAPES = [
  [1, 1, 1],
  [7, 3, 1],
  [1000, 64, 1],
  [33, 17, 2],
  [129, 5, 5],
  [64, 64, 16],
  [31, 40, 33],
];
let seed = 1;
for (const activation of ACTIVATIONS) {
  for (const [rows, features, units] of SHAPES) {
    const withBias = seed % 2 === 0;
    const c = makeCase(seed++, rows, features, units, withBias);
    const label = `${activation} ${rows}x${features}->${units}${withBias ? " +bias" : ""}`;
    await check(`sync ${label}`, () => {
      const y = timeDenseSync(
        tensor(c.x, [rows, features]),
        { kernel: tensor(c.kernel, [features, units]), bias: c.bias, activation },
        { backend },
      );
      assert.deepEqual(y.shape, [rows, units]);
      assertMatches(y.data, c.x, rows, features, c.kernel, c.bias, units, activation, label);
    });
    await check(`async ${label}`, async () => {
      const layer = new TimeDense({ kernel: tensor(c.kernel, [features, units]), bias: c.bias, activation, backend });
      const y = await layer.apply(tensor(c.x, [1, rows, features]));
      assert.deepEqual(y.shape, [1, rows, units]);
      assertMatches(y.data, c.x, rows, features, c.kernel, c.bias, units, activation, label);
      layer.dispose();
    });
  }
}

// float16: x as bits with dtype "float16", and as a Float16Array where the runtime has one (Node 24), with
// float32 results against the float64 reference of the same halves and float16 results against their rounding.
const Float16ArrayClass = /** @type {any} */ (globalThis).Float16Array;
/** @typedef {import("../../dist/esm/index.mjs").TensorLike} TensorLike */
/** @type {(bits: Uint16Array, shape: number[]) => Array<[string, TensorLike]>} */
const float16Inputs = (bits, shape) => {
  /** @type {Array<[string, TensorLike]>} */
  const inputs = [["bits", tensor(bits, shape, { dtype: "float16" })]];
  if (Float16ArrayClass) inputs.push(["Float16Array", tensor(new Float16ArrayClass(bits.buffer, bits.byteOffset, bits.length), shape)]);
  return inputs;
};
const FLOAT16_SHAPES = [
  [37, 19, 1], // the dot path, U = 1
  [33, 17, 3], // the dot path, U = 2..4
  [29, 12, 9], // AVX-512's quad kernel (F a multiple of 4, U = 5..16), elsewhere the panel kernel
  [31, 40, 33], // the panel kernel
];
for (const activation of ACTIVATIONS) {
  for (const [rows, features, units] of FLOAT16_SHAPES) {
    const random = randomGenerator(seed++);
    const bits = randomHalves(rows * features, random, 3);
    for (let i = 0; i < bits.length; i += 11) bits[i] = (i % 2 ? 0x8000 : 0) | (i % 1024); // subnormal halves
    const kernel = randomArray(features * units, random, 2 / Math.sqrt(features));
    const bias = randomArray(units, random, 0.5);
    const widened = Float64Array.from(bits, decodeHalf);
    const reference = referenceDense(widened, rows, features, kernel, bias, units, activation);
    const layer = new TimeDense({ kernel: tensor(kernel, [features, units]), bias, activation, backend });
    for (const [kind, x] of float16Inputs(bits, [rows, features])) {
      const label = `float16 x (${kind}) ${activation} ${rows}x${features}->${units}`;
      await check(label, async () => {
        const y32 = await layer.apply(x);
        assert.equal(y32.dtype, "float32");
        const bad = firstMismatch(y32.data, reference);
        assert.equal(bad, -1, bad < 0 ? label : `${label}: index ${bad} got ${y32.data[bad]} expected ${reference[bad]}`);
        const y16 = layer.applySync(x, { outputDtype: "float16" });
        assert.equal(y16.dtype, "float16");
        assert.equal(y16.data.constructor, Float16ArrayClass ?? Uint16Array, "float16 results are a Float16Array where there is one");
        const badRounding = firstRoundingMismatch(y16.data, y32.data);
        assert.equal(badRounding, -1, `${label}: float16 result ${badRounding} is not the float32 result rounded`);
      });
    }
    layer.dispose();
  }
}

await check("float16 x: infinite and NaN halves stay in their rows", () => {
  const rows = 6;
  for (const [features, units] of [
    [8, 1],
    [8, 4],
    [16, 16],
  ]) {
    const bits = randomHalves(rows * features, randomGenerator(17), 2);
    bits[1 * features + 3] = 0x7c00; // +inf
    bits[3 * features + 5] = 0x7e01; // a NaN
    const kernel = randomArray(features * units, randomGenerator(18), 1);
    for (const [kind, x] of float16Inputs(bits, [rows, features])) {
      const y = timeDenseSync(x, { kernel: tensor(kernel, [features, units]), activation: "linear" }, { backend, outputDtype: "float16" });
      const out = halfBits(y.data);
      for (let row = 0; row < rows; row++)
        for (let u = 0; u < units; u++) {
          const value = out[row * units + u];
          const where = `${kind} F=${features} U=${units} row ${row} unit ${u}`;
          if (row === 3) assert.ok(isNanHalf(value), `${where}: expected NaN`);
          else if (row !== 1) assert.ok((value & 0x7c00) !== 0x7c00, `${where}: expected a finite value`);
          else assert.ok((value & 0x7c00) === 0x7c00, `${where}: expected inf or NaN`); // inf·w: ±inf, or NaN via inf − inf
        }
    }
  }
});

await check("a NaN stays in its row", () => {
  for (const [features, units] of [
    [3, 1],
    [8, 4],
    [16, 16],
  ]) {
    const c = makeCase(99, 5, features, units, true);
    c.x[2 * features + 1] = Number.NaN;
    for (const activation of /** @type {const} */ (["linear", "sigmoid", "softmax"])) {
      const y = timeDenseSync(
        tensor(c.x, [5, features]),
        { kernel: tensor(c.kernel, [features, units]), bias: c.bias, activation },
        { backend },
      );
      for (let row = 0; row < 5; row++)
        for (let u = 0; u < units; u++)
          assert.equal(Number.isNaN(y.data[row * units + u]), row === 2, `${activation} F=${features} U=${units} row ${row} unit ${u}`);
    }
  }
});

await check("concurrent async calls into caller-provided outputs", async () => {
  const features = 24;
  const units = 3;
  const c = makeCase(7, 2000, features, units, true);
  const layer = new TimeDense({ kernel: tensor(c.kernel, [features, units]), bias: c.bias, activation: "tanh", backend });
  const outs = Array.from({ length: 16 }, () => new Float32Array(2000 * units));
  const results = await Promise.all(outs.map((out) => layer.apply(tensor(c.x, [2000, features]), { out })));
  for (const [i, y] of results.entries()) {
    assert.equal(y.data, outs[i], "the result is the out buffer");
    assertMatches(y.data, c.x, 2000, features, c.kernel, c.bias, units, "tanh", `call ${i}`);
  }
  layer.dispose();
  await assert.rejects(layer.apply(tensor(c.x, [2000, features])), { code: "ERR_TDFAST_DISPOSED" });
});

await check("errors have their class and code", async () => {
  const x = tensor(new Float32Array(6), [2, 3]);
  const kernel = tensor(new Float32Array(6), [3, 2]);
  // @ts-expect-error a wrong activation on purpose
  assert.throws(() => timeDenseSync(x, { kernel, activation: "nope" }, { backend }), {
    name: "RangeError",
    code: "ERR_TDFAST_INVALID_VALUE",
  });
  // @ts-expect-error a wrong kernel on purpose
  assert.throws(() => timeDenseSync(x, { kernel: "kernel" }, { backend }), { name: "TypeError", code: "ERR_TDFAST_INVALID_TYPE" });
  assert.throws(() => timeDenseSync(tensor(new Float32Array(8), [2, 4]), { kernel }, { backend }), {
    name: "RangeError",
    code: "ERR_TDFAST_INVALID_SIZE",
  });
  assert.throws(() => timeDenseSync(x, { kernel }, { backend, out: new Float32Array(3) }), {
    name: "RangeError",
    code: "ERR_TDFAST_INVALID_SIZE",
  });
  await assert.rejects(timeDense(x, { kernel, bias: new Float32Array(3) }, { backend }), {
    name: "RangeError",
    code: "ERR_TDFAST_INVALID_SIZE",
  });
  // @ts-expect-error a wrong backend on purpose
  assert.throws(() => timeDenseSync(x, { kernel }, { backend: "gpu" }), { code: "ERR_TDFAST_INVALID_VALUE" });
});

await check("a worker thread loads the addon and computes", async () => {
  const source = `
    const { parentPort } = require("node:worker_threads");
    import(${JSON.stringify(new URL("../../dist/esm/index.mjs", import.meta.url).href)}).then(async ({ tensor, timeDense }) => {
      const y = await timeDense(tensor(Float32Array.of(1, 2, 3, 4), [2, 2]), { kernel: Float32Array.of(1, 1), bias: Float32Array.of(1) }, { backend: ${JSON.stringify(backend)} });
      parentPort.postMessage([...y.data]);
    });
  `;
  const worker = new Worker(source, { eval: true });
  const values = await new Promise((resolve, reject) => {
    worker.once("message", resolve);
    worker.once("error", reject);
  });
  assert.deepEqual(values, [4, 8]);
  await worker.terminate();
});

const info = (await import("../../dist/cjs/binding.js")).default?.nativeBinding?.().binding?.info?.();
console.log(
  `core-checks: Node ${process.version} ${process.arch}, backend ${backend}${info ? `, simd ${info.simd}` : ""}: ${passed} passed, ${failures.length} failed`,
);
for (const failure of failures) console.log(`  FAIL ${failure}`);
process.exit(failures.length > 0 ? 1 : 0);
