// Every bad argument gives a TypeError (wrong type) or RangeError (wrong shape, length, size or value) that
// names the argument, what was expected and what was received — and never crashes the process.
import test from "ava";

import { TimeDense, tensor, timeDense, timeDenseSync } from "../dist/esm/index.mjs";

/** @typedef {Error & { code?: string }} CodedError */

// Called with wrong arguments on purpose: these tests check the runtime errors, so the calls go around the types.
const untypedTimeDenseSync = /** @type {any} */ (timeDenseSync);
const untypedTensor = /** @type {any} */ (tensor);
const UntypedTimeDense = /** @type {any} */ (TimeDense);

const F = 4;
const U = 3;
const kernel = tensor(new Float32Array(F * U).fill(0.5), [F, U]);
const x = tensor(new Float32Array(2 * 5 * F).fill(0.25), [2, 5, F]);

/** @type {[name: string, call: () => unknown, message: RegExp][]} */
const TYPE_ERRORS = [
  ["x is a number", () => untypedTimeDenseSync(3, { kernel }), /^x: expected a Tensor .*got number 3/],
  [
    "x is a Float32Array",
    () => untypedTimeDenseSync(new Float32Array(8), { kernel }),
    /^x: expected a Tensor.*got Float32Array of length 8/,
  ],
  [
    "x.data is a Float64Array",
    () => untypedTimeDenseSync({ data: new Float64Array(8), shape: [2, F] }, { kernel }),
    /^x\.data: expected a Float32Array, got Float64Array of length 8/,
  ],
  [
    "x.data is an Int32Array",
    () => untypedTimeDenseSync({ data: new Int32Array(8), shape: [2, F] }, { kernel }),
    /^x\.data: expected a Float32Array, got Int32Array/,
  ],
  [
    "x.data is a plain array",
    () => untypedTimeDenseSync({ data: [1, 2, 3, 4], shape: [1, F] }, { kernel }),
    /^x\.data: expected a Float32Array, got an Array of length 4/,
  ],
  [
    "x.data is a string",
    () => untypedTimeDenseSync({ data: "abcd", shape: [1, F] }, { kernel }),
    /^x\.data: expected a Float32Array, got string "abcd"/,
  ],
  [
    "x has no shape",
    () => timeDenseSync({ data: new Float32Array(4) }, { kernel }),
    /^x\.shape: expected an array of non-negative integers, got undefined/,
  ],
  [
    "x.shape holds a string",
    () => untypedTimeDenseSync({ data: new Float32Array(4), shape: [1, "4"] }, { kernel }),
    /^x\.shape\[1\]: expected a non-negative integer, got string "4"/,
  ],
  ["kernel missing", () => untypedTimeDenseSync(x, {}), /^kernel: expected a Float32Array or a \[features, units\] tensor, got undefined/],
  [
    "kernel is a Float64Array",
    () => untypedTimeDenseSync(x, { kernel: new Float64Array(12) }),
    /^kernel: expected a Float32Array or a \[features, units\] tensor, got Float64Array of length 12/,
  ],
  [
    "bias is a plain array",
    () => untypedTimeDenseSync(x, { kernel, bias: [1, 2, 3] }),
    /^bias\.data: expected a Float32Array, got undefined/,
  ],
  [
    "bias is a number",
    () => untypedTimeDenseSync(x, { kernel, bias: 1 }),
    /^bias: expected a Float32Array, a tensor, or null, got number 1/,
  ],
  [
    "activation is a number",
    () => untypedTimeDenseSync(x, { kernel, activation: 1 }),
    /^activation: expected an activation name \(string\), got number 1/,
  ],
  [
    "backend is a number",
    () => untypedTimeDenseSync(x, { kernel }, { backend: 2 }),
    /^backend: expected one of auto, cuda, cpu, onnx, got number 2/,
  ],
  [
    "out is an Array",
    () => untypedTimeDenseSync(x, { kernel }, { out: new Array(30) }),
    /^out\.data: expected a Float32Array, got undefined/,
  ],
  [
    "out is a Float64Array",
    () => untypedTimeDenseSync(x, { kernel }, { out: new Float64Array(30) }),
    /^out: expected a Float32Array or a tensor, got Float64Array of length 30/,
  ],
  ["options is a string", () => untypedTimeDenseSync(x, { kernel }, "cpu"), /^options: expected an object, got string "cpu"/],
  ["tensor() of a string", () => untypedTensor("abc", [3]), /^data: expected a Float32Array or an array of numbers, got string "abc"/],
];

/** @type {[name: string, call: () => unknown, message: RegExp][]} */
const RANGE_ERRORS = [
  [
    "x of rank 1",
    () => timeDenseSync(tensor(new Float32Array(4), [4]), { kernel }),
    /^x\.shape: expected rank >= 2 \(\[\.\.\., features\]\), got rank 1/,
  ],
  [
    "x.shape does not match x.data",
    () => timeDenseSync({ data: new Float32Array(7), shape: [2, F] }, { kernel }),
    /^x\.data: shape \[2, 4\] needs 8 elements, got 7/,
  ],
  [
    "negative dimension",
    () => timeDenseSync({ data: new Float32Array(4), shape: [-1, F] }, { kernel }),
    /^x\.shape\[0\]: expected a non-negative integer, got -1/,
  ],
  [
    "fractional dimension",
    () => timeDenseSync({ data: new Float32Array(4), shape: [1.5, F] }, { kernel }),
    /^x\.shape\[0\]: expected a non-negative integer, got 1\.5/,
  ],
  [
    "NaN dimension",
    () => timeDenseSync({ data: new Float32Array(4), shape: [NaN, F] }, { kernel }),
    /^x\.shape\[0\]: expected a non-negative integer, got NaN/,
  ],
  [
    "enormous dimension",
    () => timeDenseSync({ data: new Float32Array(4), shape: [2 ** 60, F] }, { kernel }),
    /^x\.shape\[0\]: expected a non-negative integer, got 1152921504606847000/,
  ],
  [
    "overflowing shape product",
    () => timeDenseSync({ data: new Float32Array(4), shape: [2 ** 30, 2 ** 30, F] }, { kernel }),
    /^x\.shape: the product of \[1073741824, 1073741824, 4\] overflows/,
  ],
  [
    "features do not match the kernel",
    () => timeDenseSync(tensor(new Float32Array(10), [2, 5]), { kernel }),
    /^x\.shape: expected the last axis to be 4 \(the kernel's features\), got 5/,
  ],
  [
    "flat kernel not divisible by F",
    () => timeDenseSync(x, { kernel: new Float32Array(13) }),
    /^x\.shape: the last axis \(4 features\) does not divide the kernel's 13 values/,
  ],
  [
    "kernel shape does not match its data",
    () => timeDenseSync(x, { kernel: { data: new Float32Array(11), shape: [F, U] } }),
    /^kernel\.data: shape \[4, 3\] needs 12 elements, got 11/,
  ],
  [
    "kernel of rank 3",
    () => timeDenseSync(x, { kernel: { data: new Float32Array(12), shape: [2, 2, 3] } }),
    /^kernel\.shape: expected \[features, units\], got rank 3/,
  ],
  ["empty kernel", () => timeDenseSync(x, { kernel: new Float32Array(0) }), /^kernel: expected at least one element, got 0/],
  [
    "bias of the wrong length",
    () => timeDenseSync(x, { kernel, bias: new Float32Array(4) }),
    /^bias: expected 3 values \(the kernel's units\), got 4/,
  ],
  [
    "unknown activation",
    () => untypedTimeDenseSync(x, { kernel, activation: "softmax2" }),
    /^activation: expected one of linear, sigmoid, .*swish, got string "softmax2"/,
  ],
  [
    "unknown backend",
    () => untypedTimeDenseSync(x, { kernel }, { backend: "gpu" }),
    /^backend: expected one of auto, cuda, cpu, onnx, got string "gpu"/,
  ],
  [
    "unknown option",
    () => untypedTimeDenseSync(x, { kernel }, { outt: new Float32Array(30) }),
    /^options: unknown key "outt" \(expected one of out, backend, outputDtype\)/,
  ],
  [
    "unknown weights key",
    () => untypedTimeDenseSync(x, { kernel, activaton: "relu" }),
    /^weights: unknown key "activaton" \(expected one of kernel, bias, activation\)/,
  ],
  [
    "out of the wrong size",
    () => timeDenseSync(x, { kernel }, { out: new Float32Array(29) }),
    /^out: expected 30 elements for shape \[2, 5, 3\], got 29/,
  ],
  [
    "out tensor of the wrong shape",
    () => timeDenseSync(x, { kernel }, { out: tensor(new Float32Array(30), [10, 3]) }),
    /^out\.shape: expected \[2, 5, 3\], got \[10, 3\]/,
  ],
  ["tensor() shape mismatch", () => tensor(new Float32Array(5), [2, 3]), /^data: shape \[2, 3\] needs 6 elements, got 5/],
];

for (const [name, call, message] of TYPE_ERRORS)
  test(`TypeError: ${name}`, (t) => {
    t.throws(call, { instanceOf: TypeError, message, code: "ERR_TDFAST_INVALID_TYPE" });
  });

for (const [name, call, message] of RANGE_ERRORS)
  test(`RangeError: ${name}`, (t) => {
    const error = /** @type {CodedError} */ (t.throws(call, { instanceOf: RangeError, message }));
    t.true(["ERR_TDFAST_INVALID_SIZE", "ERR_TDFAST_INVALID_VALUE"].includes(error.code));
  });

test("an out buffer overlapping x is refused", (t) => {
  const shared = new Float32Array(100);
  const input = { data: shared.subarray(0, 40), shape: [10, F] };
  t.throws(() => timeDenseSync(input, { kernel }, { out: shared.subarray(30, 60) }), {
    instanceOf: RangeError,
    message: /^out: overlaps the memory of x/,
  });
  t.notThrows(() => timeDenseSync(input, { kernel }, { out: shared.subarray(40, 70) }));
});

test("a detached input buffer is refused with a hint", (t) => {
  const data = new Float32Array(8);
  structuredClone(data.buffer, { transfer: [data.buffer] });
  t.throws(() => timeDenseSync({ data, shape: [2, F] }, { kernel }), {
    instanceOf: RangeError,
    message: /got 0 \(its ArrayBuffer may be detached\)/,
  });
});

test("async calls reject instead of throwing", async (t) => {
  // @ts-expect-error an unknown activation on purpose: the call must reject, not throw
  const promise = timeDense(x, { kernel, activation: "nope" });
  t.true(promise instanceof Promise);
  await t.throwsAsync(promise, { instanceOf: RangeError, message: /^activation:/ });
});

test("calls after dispose() throw", async (t) => {
  const layer = new TimeDense({ kernel });
  layer.applySync(x);
  layer.dispose();
  t.throws(() => layer.applySync(x), { message: /disposed/, code: "ERR_TDFAST_DISPOSED" });
  await t.throwsAsync(layer.apply(x), { message: /disposed/ });
});

test("TimeDense constructor validates its weights once", (t) => {
  t.throws(() => new UntypedTimeDense(), {
    instanceOf: TypeError,
    message: /^TimeDense options: expected an object with a kernel, got undefined/,
  });
  t.throws(() => new TimeDense({ kernel, bias: new Float32Array(2) }), { instanceOf: RangeError, message: /^bias: expected 3 values/ });
  t.throws(() => new TimeDense({ kernel: new Float32Array(7), bias: new Float32Array(2) }), {
    instanceOf: RangeError,
    message: /^kernel: 7 values are not a whole number of rows of 2 units/,
  });
  t.throws(() => new UntypedTimeDense({ kernel, backend: "tpu" }), { instanceOf: RangeError, message: /^backend:/ });
});

test("a Proxy of a Float32Array is refused with a message that says it is a Proxy", (t) => {
  const proxy = new Proxy(new Float32Array(8), {});
  t.throws(() => timeDenseSync({ data: proxy, shape: [2, F] }, { kernel }), {
    instanceOf: TypeError,
    message:
      /^x\.data: expected a Float32Array, got a Proxy of Float32Array \(tdfast reads typed arrays natively: pass the array itself\)$/,
    code: "ERR_TDFAST_INVALID_TYPE",
  });
});

test("tensor() refuses non-numbers in an array and unknown option keys", (t) => {
  t.throws(() => untypedTensor([1, 2, "a"]), {
    instanceOf: TypeError,
    message: /^data\[2\]: expected a number, got string "a"/,
    code: "ERR_TDFAST_INVALID_TYPE",
  });
  t.throws(() => tensor([1, null]), { instanceOf: TypeError, message: /^data\[1\]: expected a number, got null/ });
  t.throws(() => untypedTensor(new Float32Array(4), [2, 2], { devcie: "cuda" }), {
    instanceOf: RangeError,
    message: /^options: unknown key "devcie" \(expected one of device, dtype\)/,
    code: "ERR_TDFAST_INVALID_VALUE",
  });
  t.deepEqual([...tensor([1, Number.NaN, -0]).data], [1, Number.NaN, -0]);
});
