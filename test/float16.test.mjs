// float16 x and results: the test helper's own float16 reference against known bit patterns; every SIMD variant
// of the cpu backend (child processes with TDFAST_SIMD set, helpers/float16-child.mjs); the API's dtypes, out
// buffers, errors and float16 weights; the onnx backend with float16, including an onnxruntime-node float16
// tensor fed straight in; cuda's float16 where a GPU is present (test/cuda.test.mjs has the full check).

import { execFileSync } from "node:child_process";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import test from "ava";

import { ACTIVATIONS, TimeDense, tensor, timeDense, timeDenseSync } from "../dist/esm/index.mjs";
import { availableBackends, unavailableBackends } from "./helpers/backends.mjs";
import { decodeHalf, firstRoundingMismatch, halfBits, isNanHalf, randomHalves, roundHalf } from "./helpers/float16.mjs";
import { firstMismatch, randomArray, randomGenerator, referenceDense } from "./helpers/reference.mjs";
import { SIMD_BASELINE, SIMD_VARIANTS } from "./helpers/simd-variants.mjs";

const require = createRequire(import.meta.url);
const child = fileURLToPath(new URL("./helpers/float16-child.mjs", import.meta.url));
const HAS_FLOAT16_ARRAY = typeof (/** @type {any} */ (globalThis).Float16Array) === "function";
const Float16ArrayClass = /** @type {any} */ (globalThis).Float16Array;
// Called with wrong arguments on purpose: these tests check the runtime errors, so the calls go around the types.
const untypedTensor = /** @type {any} */ (tensor);
const untypedTimeDenseSync = /** @type {any} */ (timeDenseSync);
const hasCpu = availableBackends.includes("cpu");
const cpuTest = hasCpu ? test : test.skip;

test("the test's float16 reference decodes and rounds known bit patterns", (t) => {
  const decoded = [
    [0x0000, 0],
    [0x8000, -0],
    [0x0001, 2 ** -24],
    [0x03ff, 1023 * 2 ** -24],
    [0x0400, 2 ** -14],
    [0x3555, 0.333251953125],
    [0x3c00, 1],
    [0x3c01, 1 + 2 ** -10],
    [0xc000, -2],
    [0x7bff, 65504],
    [0x7c00, Infinity],
    [0xfc00, -Infinity],
  ];
  for (const [bits, value] of decoded) t.is(decodeHalf(bits), value, `decode 0x${bits.toString(16)}`);
  t.true(Number.isNaN(decodeHalf(0x7e00)) && Number.isNaN(decodeHalf(0xfc01)));
  const rounded = [
    [1, 0x3c00],
    [-0, 0x8000],
    [0.1, 0x2e66],
    [1 / 3, 0x3555],
    [1 + 2 ** -11, 0x3c00], // a tie: to the even pattern below
    [1 + 3 * 2 ** -11, 0x3c02], // a tie: to the even pattern above
    [65504, 0x7bff],
    [65519.99, 0x7bff],
    [65520, 0x7c00], // halfway to 65536: overflows to infinity
    [-1e6, 0xfc00],
    [2 ** -24, 0x0001],
    [2 ** -25, 0x0000], // a tie between 0 and the smallest subnormal: to 0
    [3 * 2 ** -26, 0x0001],
    [2 ** -14 - 2 ** -25, 0x0400], // a tie between the largest subnormal and the smallest normal
    [Infinity, 0x7c00],
  ];
  for (const [value, bits] of rounded) t.is(roundHalf(value), bits, `round ${value}`);
  t.true(isNanHalf(roundHalf(Number.NaN)));
  // Every finite half rounds to itself.
  for (let bits = 0; bits < 0x10000; bits++) {
    if ((bits & 0x7c00) === 0x7c00) continue;
    if (roundHalf(decodeHalf(bits)) !== bits) t.fail(`0x${bits.toString(16)} does not round to itself`);
  }
});

if (!hasCpu) test.skip(`the float16 SIMD kernels (cpu backend unavailable: ${unavailableBackends.join("; ")})`, () => {});
for (const simd of hasCpu ? SIMD_VARIANTS : []) {
  test(`float16 x and results on the ${simd} kernels match the reference and round to nearest even`, (t) => {
    const output = execFileSync(process.execPath, [child], { env: { ...process.env, TDFAST_SIMD: simd }, encoding: "utf8" });
    const result = JSON.parse(output);
    if (result.simd !== simd) {
      t.log(`this CPU cannot run ${simd}; it ran ${result.simd}`);
      t.false(SIMD_BASELINE.includes(simd), `${simd} runs on every CPU of this architecture`);
    }
    t.deepEqual(result.failures, []);
    t.true(result.checked > 100000);
  });
}

test("tensor() takes float16 bits with dtype float16 and refuses a Uint16Array without it", (t) => {
  const bits = Uint16Array.of(0x3c00, 0x4000, 0xc200, 0x0001);
  const x = tensor(bits, [2, 2], { dtype: "float16" });
  t.is(x.dtype, "float16");
  t.is(x.data, bits);
  t.throws(() => untypedTensor(bits, [2, 2]), { code: "ERR_TDFAST_INVALID_TYPE", message: /dtype: "float16"/ });
  t.throws(() => untypedTensor(new Float32Array(4), [2, 2], { dtype: "float16" }), { code: "ERR_TDFAST_INVALID_VALUE" });
  t.throws(() => untypedTensor(bits, [2, 2], { dtype: "int16" }), { code: "ERR_TDFAST_INVALID_VALUE" });
  // Numbers are rounded to float16 once.
  const rounded = tensor([1, 0.1, 65520, -(2 ** -25)], [4], { dtype: "float16" });
  t.deepEqual([...halfBits(rounded.data)], [0x3c00, 0x2e66, 0x7c00, 0x8000]);
  t.is(rounded.data instanceof Uint16Array, !HAS_FLOAT16_ARRAY);
});

cpuTest("a Uint16Array x without dtype float16 is refused, as are mismatched dtypes", (t) => {
  const kernel = Float32Array.of(1, 2);
  t.throws(() => untypedTimeDenseSync({ data: new Uint16Array(4), shape: [2, 2] }, { kernel }), {
    code: "ERR_TDFAST_INVALID_TYPE",
    message: /^x\.data: expected a Float32Array, or float16 values .*got Uint16Array of length 4/,
  });
  t.throws(() => untypedTimeDenseSync({ data: new Float32Array(4), shape: [2, 2], dtype: "float16" }, { kernel }), {
    code: "ERR_TDFAST_INVALID_TYPE",
  });
  t.throws(() => timeDenseSync(tensor(new Float32Array(4), [2, 2]), { kernel }, { outputDtype: /** @type {any} */ ("int8") }), {
    code: "ERR_TDFAST_INVALID_VALUE",
  });
});

cpuTest("float16 x from a plain object (dtype, or onnxruntime-node's type) and float16 out buffers", (t) => {
  const random = randomGenerator(3);
  const [rows, F, U] = [6, 5, 3];
  const bits = randomHalves(rows * F, random, 2);
  const kernel = randomArray(F * U, random);
  const widened = Float64Array.from(bits, decodeHalf);
  const reference = referenceDense(widened, rows, F, kernel, null, U, "tanh");
  const weights = { kernel: tensor(kernel, [F, U]), activation: /** @type {const} */ ("tanh") };
  for (const x of [
    { data: bits, shape: [rows, F], dtype: "float16" },
    { data: bits, dims: [rows, F], type: "float16" },
  ]) {
    const y = timeDenseSync(x, weights, { backend: "cpu" });
    t.is(firstMismatch(y.data, reference), -1);
  }
  const x = tensor(bits, [rows, F], { dtype: "float16" });
  const y32 = timeDenseSync(x, weights, { backend: "cpu" });
  // A Uint16Array out needs outputDtype "float16"; a float16 tensor out says so itself.
  const out = new Uint16Array(rows * U);
  const y16 = timeDenseSync(x, weights, { backend: "cpu", out, outputDtype: "float16" });
  t.is(y16.data, out);
  t.is(y16.dtype, "float16");
  t.is(firstRoundingMismatch(out, y32.data), -1);
  const outTensor = tensor(new Uint16Array(rows * U), [rows, U], { dtype: "float16" });
  // (typed as float32: the result's dtype follows the out tensor here, which the overloads cannot see)
  t.is(/** @type {unknown} */ (timeDenseSync(x, weights, { backend: "cpu", out: outTensor }).data), outTensor.data);
  t.deepEqual([...halfBits(outTensor.data)], [...out]);
  t.throws(() => timeDenseSync(x, weights, /** @type {any} */ ({ backend: "cpu", out: new Uint16Array(rows * U) })), {
    code: "ERR_TDFAST_INVALID_TYPE",
  });
  t.throws(() => timeDenseSync(x, weights, { backend: "cpu", out: new Float32Array(rows * U), outputDtype: "float16" }), {
    code: "ERR_TDFAST_INVALID_VALUE",
  });
  t.throws(() => timeDenseSync(x, weights, { backend: "cpu", out: new Uint16Array(rows * U + 1), outputDtype: "float16" }), {
    code: "ERR_TDFAST_INVALID_SIZE",
  });
  // out over x's memory is refused (2-byte elements counted as such).
  const shared = new Uint16Array(rows * F + rows * U);
  shared.set(bits);
  const overlapping = tensor(shared.subarray(0, rows * F), [rows, F], { dtype: "float16" });
  t.throws(
    () =>
      timeDenseSync(overlapping, weights, {
        backend: "cpu",
        out: shared.subarray(rows * F - 1, rows * F - 1 + rows * U),
        outputDtype: "float16",
      }),
    { code: "ERR_TDFAST_INVALID_SIZE", message: /overlaps/ },
  );
  t.notThrows(() => timeDenseSync(overlapping, weights, { backend: "cpu", out: shared.subarray(rows * F), outputDtype: "float16" }));
});

cpuTest("outputDtype as a layer option, overridden per call; float16 weights are widened once", async (t) => {
  const random = randomGenerator(5);
  const [rows, F, U] = [9, 7, 4];
  const x = tensor(randomArray(rows * F, random), [rows, F]);
  const kernelBits = randomHalves(F * U, random, 1);
  const biasBits = randomHalves(U, random, 1);
  const kernel = Float32Array.from(kernelBits, decodeHalf);
  const bias = Float32Array.from(biasBits, decodeHalf);
  const layer = new TimeDense({
    kernel: tensor(kernelBits, [F, U], { dtype: "float16" }),
    bias: tensor(biasBits, [U], { dtype: "float16" }),
    activation: "selu",
    outputDtype: "float16",
    backend: "cpu",
  });
  t.is(layer.outputDtype, "float16");
  const y32 = await layer.apply(x, { outputDtype: "float32" });
  t.is(y32.dtype, "float32");
  t.is(firstMismatch(y32.data, referenceDense(x.data, rows, F, kernel, bias, U, "selu")), -1);
  const y16 = await layer.apply(x);
  t.is(y16.dtype, "float16");
  t.is(firstRoundingMismatch(y16.data, y32.data), -1);
  kernelBits.fill(0); // the layer holds its own float32 copy
  t.deepEqual([...halfBits(layer.applySync(x).data)], [...halfBits(y16.data)]);
  t.throws(() => new TimeDense({ kernel, outputDtype: /** @type {any} */ ("float64") }), { code: "ERR_TDFAST_INVALID_VALUE" });
});

test("float16 on cuda where it is available, else a coded error; auto picks a backend that has float16", async (t) => {
  const bits = Uint16Array.of(0x3c00, 0x4000);
  const x = tensor(bits, [1, 2], { dtype: "float16" });
  const kernel = Float32Array.of(1, 1);
  if (!availableBackends.includes("cuda")) {
    t.throws(() => tensor(bits, [1, 2], { dtype: "float16", device: "cuda" }), { code: "ERR_TDFAST_BACKEND_UNAVAILABLE" });
    await t.throwsAsync(timeDense(x, { kernel }, { backend: "cuda" }), { code: "ERR_TDFAST_BACKEND_UNAVAILABLE" });
  } else {
    const onDevice = tensor(bits, [1, 2], { dtype: "float16", device: "cuda" });
    t.is(onDevice.dtype, "float16");
    const y = await timeDense(onDevice, { kernel }, { outputDtype: "float16" });
    t.is(y.device, "cuda");
    t.deepEqual([...halfBits(await y.read())], [0x4200]); // 1 + 2 = 3
  }
  if (availableBackends.length === 0) return;
  const y = await timeDense(x, { kernel }, { outputDtype: "float16" });
  t.true(availableBackends.includes(/** @type {any} */ (y.backend)));
  t.deepEqual([...halfBits(y.data)], [0x4200]);
});

const onnxTest = availableBackends.includes("onnx") ? test : test.skip;

onnxTest("the onnx backend computes float16 x and results, every activation", async (t) => {
  const random = randomGenerator(11);
  const [rows, F, U] = [13, 21, 6];
  for (const activation of ACTIVATIONS) {
    const bits = randomHalves(rows * F, random, 2);
    const kernel = randomArray(F * U, random, 1 / Math.sqrt(F));
    const bias = randomArray(U, random);
    const reference = referenceDense(Float64Array.from(bits, decodeHalf), rows, F, kernel, bias, U, activation);
    const x = tensor(bits, [rows, F], { dtype: "float16" });
    const weights = { kernel: tensor(kernel, [F, U]), bias, activation };
    const y32 = await timeDense(x, weights, { backend: "onnx" });
    t.is(y32.backend, "onnx");
    t.is(firstMismatch(y32.data, reference), -1, `${activation} float16 x`);
    const y16 = await timeDense(x, weights, { backend: "onnx", outputDtype: "float16" });
    t.is(y16.dtype, "float16");
    // onnxruntime's Cast rounds float32 to float16 itself: within half a float16 ulp of the reference
    const got = Float64Array.from(halfBits(y16.data), decodeHalf);
    t.is(firstMismatch(got, reference, { absolute: 2 ** -24, relative: 2 ** -11 + 1e-4 }), -1, `${activation} float16 out`);
  }
});

onnxTest("an onnxruntime-node float16 output goes straight in, on every available backend", async (t) => {
  const ort = require("onnxruntime-node");
  const random = randomGenerator(13);
  const [rows, F] = [8, 16];
  const bits = randomHalves(rows * F, random, 1);
  // An identity model's float16 output, as a user's model would hand it over.
  const produced = new ort.Tensor("float16", bits, [rows, F]);
  t.is(produced.type, "float16");
  const kernel = randomArray(F, random);
  const reference = referenceDense(Float64Array.from(bits, decodeHalf), rows, F, kernel, null, 1, "sigmoid");
  for (const backend of availableBackends.filter((name) => name !== "cuda")) {
    const y = await timeDense(produced, { kernel, activation: "sigmoid" }, { backend });
    t.is(firstMismatch(y.data, reference), -1, backend);
  }
});

const float16ArrayTest = HAS_FLOAT16_ARRAY && hasCpu ? test : test.skip;

float16ArrayTest("Float16Array in and out (Node 24)", async (t) => {
  const random = randomGenerator(17);
  const [rows, F, U] = [10, 33, 2];
  const x = new Float16ArrayClass(rows * F);
  for (let i = 0; i < x.length; i++) x[i] = random() * 4 - 2;
  const kernel = new Float16ArrayClass(F * U);
  for (let i = 0; i < kernel.length; i++) kernel[i] = random() - 0.5;
  const reference = referenceDense(Float64Array.from(x), rows, F, Float64Array.from(kernel), null, U, "relu");
  const input = tensor(/** @type {import("../dist/esm/index.mjs").Float16ArrayLike} */ (x), [rows, F]);
  t.is(input.dtype, "float16");
  for (const backend of availableBackends.filter((name) => name !== "cuda")) {
    const y32 = await timeDense(
      { data: x, shape: [rows, F] },
      { kernel: { data: kernel, shape: [F, U] }, activation: "relu" },
      { backend },
    );
    t.is(firstMismatch(y32.data, reference), -1, backend);
    const y16 = await timeDense(
      input,
      { kernel: { data: kernel, shape: [F, U] }, activation: "relu" },
      { backend, outputDtype: "float16" },
    );
    t.true(y16.data instanceof Float16ArrayClass, backend);
    if (backend === "cpu") t.is(firstRoundingMismatch(y16.data, y32.data), -1);
    const out = new Float16ArrayClass(rows * U);
    await timeDense(input, { kernel: { data: kernel, shape: [F, U] }, activation: "relu" }, { backend, out });
    t.deepEqual([...halfBits(out)], [...halfBits(y16.data)], backend);
  }
});

cpuTest("float16 out aliasing float16 x through two SharedArrayBuffer objects is refused; disjoint parts are fine", (t) => {
  const [rows, F, U] = [8, 6, 3];
  const sab = new SharedArrayBuffer((rows * F + rows * U) * 2);
  const twin = structuredClone(sab); // a second object over the same memory: only the addresses tell
  const x = tensor(new Uint16Array(sab, 0, rows * F), [rows, F], { dtype: "float16" });
  const kernel = tensor(new Float32Array(F * U).fill(0.5), [F, U]);
  for (const start of [0, rows * F - rows * U, rows * F - 1])
    t.throws(
      () => timeDenseSync(x, { kernel }, { backend: "cpu", out: new Uint16Array(twin, start * 2, rows * U), outputDtype: "float16" }),
      {
        code: "ERR_TDFAST_INVALID_SIZE",
        message: /^out: overlaps the memory of x/,
      },
    );
  new Uint16Array(sab, 0, rows * F).fill(0x3c00); // x = 1
  const out = new Uint16Array(twin, rows * F * 2, rows * U);
  timeDenseSync(x, { kernel }, { backend: "cpu", out, outputDtype: "float16" });
  t.deepEqual([...out], new Array(rows * U).fill(0x4200)); // 6 × 0.5 = 3
});
