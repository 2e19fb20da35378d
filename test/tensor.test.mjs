// The host tensor API: tensor() and new Tensor() check what they are given, share (never copy) a Float32Array,
// and refuse unknown options; the library's internals stay out of the published types.

import { readFileSync } from "node:fs";
import test from "ava";

import { backends, Tensor, TimeDense, tensor } from "../dist/esm/index.mjs";

// Called with wrong arguments on purpose: these tests check the runtime errors, so the calls go around the types.
const untypedTensor = /** @type {any} */ (tensor);
const UntypedTensor = /** @type {any} */ (Tensor);

test("tensor() over a Float32Array shares it, with a frozen shape", (t) => {
  const data = Float32Array.of(1, 2, 3, 4, 5, 6);
  const x = tensor(data, [2, 3]);
  t.true(x instanceof Tensor);
  t.is(x.data, data);
  t.deepEqual(x.shape, [2, 3]);
  t.true(Object.isFrozen(x.shape));
  t.is(x.size, 6);
  t.is(x.rank, 2);
  t.is(x.dtype, "float32");
  t.is(x.device, "cpu");
  t.is(x.backend, undefined);
  data[0] = 9;
  t.is(x.data[0], 9);
});

test("tensor() of an array of numbers copies it into a Float32Array, 1-D without a shape", (t) => {
  const x = tensor([1, 2.5, -3]);
  t.true(x.data instanceof Float32Array);
  t.deepEqual([...x.data], [1, 2.5, -3]);
  t.deepEqual(x.shape, [3]);
  t.deepEqual(tensor([1, 2, 3, 4], [2, 2]).shape, [2, 2]);
  t.deepEqual(tensor([], [0, 5]).shape, [0, 5]);
});

test("tensor() and new Tensor() refuse bad data, shapes and options with coded errors", (t) => {
  const data = new Float32Array(6);
  t.throws(() => tensor(data, [4, 2]), {
    instanceOf: RangeError,
    message: /^data: shape \[4, 2\] needs 8 elements, got 6/,
    code: "ERR_TDFAST_INVALID_SIZE",
  });
  t.throws(() => untypedTensor(data, "2,3"), {
    instanceOf: TypeError,
    message: /^shape: expected an array of non-negative integers, got string/,
  });
  t.throws(() => tensor(data, [-2, -3]), { instanceOf: RangeError, message: /^shape\[0\]: expected a non-negative integer, got -2/ });
  t.throws(() => untypedTensor(new Float64Array(6), [6]), {
    instanceOf: TypeError,
    message: /^data: expected a Float32Array or an array of numbers, got Float64Array/,
  });
  t.throws(() => untypedTensor([1, "2"]), { instanceOf: TypeError, message: /^data\[1\]: expected a number, got string "2"/ });
  t.throws(() => untypedTensor(data, [6], { devcie: "cuda" }), {
    instanceOf: RangeError,
    message: /^options: unknown key "devcie"/,
    code: "ERR_TDFAST_INVALID_VALUE",
  });
  t.throws(() => untypedTensor(data, [6], { device: "gpu" }), {
    instanceOf: RangeError,
    message: /^options\.device: expected one of "cpu", "cuda", got string "gpu"/,
  });
  t.throws(() => untypedTensor(data, [6], "cuda"), { instanceOf: TypeError, message: /^options: expected an object, got string "cuda"/ });
  t.throws(() => new Tensor(data, [5]), { instanceOf: RangeError, message: /^data: shape \[5\] needs 5 elements, got 6/ });
  t.throws(() => new UntypedTensor([1, 2], [2]), { instanceOf: TypeError, message: /^data: expected a Float32Array, got an Array/ });
  // A fourth constructor argument grants nothing: the shape is still checked.
  t.throws(() => new UntypedTensor(data, [5], undefined, { device: "cuda" }), { instanceOf: RangeError });
});

test("device: cuda without a usable GPU says why, with a code", (t) => {
  const cuda = backends().cuda;
  if (cuda.available) {
    const x = tensor(Float32Array.of(1, 2), [2], { device: "cuda" });
    t.is(x.device, "cuda");
    t.throws(() => x.data, { message: /this tensor is on cuda/ });
    x.dispose();
    return;
  }
  t.throws(() => tensor(Float32Array.of(1, 2), [2], { device: "cuda" }), {
    message: `cuda: ${cuda.reason}`,
    code: "ERR_TDFAST_BACKEND_UNAVAILABLE",
  });
});

test("a host tensor's to('cpu') is itself, read() its data, dispose() a no-op", async (t) => {
  const x = tensor(Float32Array.of(1, 2, 3), [3]);
  t.is(await x.to("cpu"), x);
  t.is(await x.read(), x.data);
  x.dispose();
  t.deepEqual([...x.data], [1, 2, 3]);
  // @ts-expect-error an unknown device on purpose: the error is what is checked
  await t.throwsAsync(() => x.to("tpu"), { instanceOf: RangeError, message: /^device: expected one of "cpu", "cuda", got string "tpu"/ });
});

test("the published types leave out the library's internals", (t) => {
  const types = ["tensor", "time-dense", "index"]
    .map((name) => readFileSync(new URL(`../dist/cjs/${name}.d.ts`, import.meta.url), "utf8"))
    .join("\n");
  for (const internal of ["ofResult", "onDevice", "deviceBuffer", "TrustedInit", "holds(", "kernelBytes", "run(input"])
    t.false(types.includes(internal), `${internal} appears in the published types`);
  t.true(types.includes("applySync("), "the public API is there");
});

test("a result tensor whose construction fails (stack exhaustion) leaves no state that lets new Tensor skip its checks", (t) => {
  const layer = new TimeDense({
    kernel: { data: new Float32Array(4).fill(1), shape: [2, 2] },
    backend: backends().cpu.available ? "cpu" : "auto",
  });
  const x = { data: new Float32Array(4).fill(1), shape: [2, 2] };
  /** @type {unknown[]} */
  const wrong = [];
  // At every depth near the stack's end, a library call may overflow between setting and reading the
  // constructor's trusted state; a public construction right after must still check its arguments.
  const probe = () => {
    const mine = new Float32Array(6);
    try {
      const tensor = new Tensor(mine, [2, 3]);
      if (tensor.data !== mine) wrong.push(tensor.shape);
    } catch {
      // the stack is exhausted here too
    }
  };
  /** @param {number} depth */
  const recurse = (depth) => {
    try {
      recurse(depth + 1);
    } catch {
      // unwinding from the stack's end
    }
    probe();
    try {
      layer.applySync(x);
    } catch {
      // overflowed inside the library
    }
  };
  // Frames of varying size before the recursion move the point of overflow across the library's code.
  /** @param {number} k @param {...number} rest */
  const pad = (k, ...rest) => (k > 0 ? pad(k - 1, ...rest) : recurse(0));
  for (let i = 0; i < 2000 && wrong.length === 0; i++) pad(i % 7, ...new Array(i % 40).fill(0));
  t.deepEqual(wrong, []);
  t.throws(() => new Tensor(new Float32Array(6), [5]), { instanceOf: RangeError });
});
