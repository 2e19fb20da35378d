// Every kind of memory a Float32Array can sit on works on every available backend, or is refused up front
// with a coded error naming the argument: SharedArrayBuffer, shared WebAssembly.Memory, another realm's
// arrays, resizable ArrayBuffers (refused by async calls), and out aliasing x through two SharedArrayBuffer
// objects over one memory.

import vm from "node:vm";
import test from "ava";

import { TimeDense, tensor, timeDense, timeDenseSync } from "../dist/esm/index.mjs";
import { availableBackends, syncBackends } from "./helpers/backends.mjs";
import { check, makeCase } from "./helpers/cases.mjs";

// Resizable ArrayBuffers and growable SharedArrayBuffers are ES2024: the ES2023 lib the type check uses does
// not declare the constructors' options, so they are called through these (the same constructors).
const ResizableArrayBuffer = /** @type {new (byteLength: number, options: { maxByteLength: number }) => ArrayBuffer} */ (ArrayBuffer);
const GrowableSharedArrayBuffer = /** @type {new (byteLength: number, options: { maxByteLength: number }) => SharedArrayBuffer} */ (
  SharedArrayBuffer
);

const [F, U] = [24, 5];
const c = makeCase(41, [3, 7], F, U);
const kernel = tensor(c.kernel, [F, U]);

/** A Float32Array with the case's x values, on the memory `make(bytes)` returns. */
function onMemory(make) {
  const data = new Float32Array(make(c.x.byteLength), 0, c.x.length);
  data.set(c.x);
  return data;
}

const MEMORIES = {
  SharedArrayBuffer: (bytes) => new SharedArrayBuffer(bytes),
  "shared WebAssembly.Memory": (bytes) => new WebAssembly.Memory({ initial: Math.ceil(bytes / 65536), maximum: 64, shared: true }).buffer,
  "WebAssembly.Memory": (bytes) => new WebAssembly.Memory({ initial: Math.ceil(bytes / 65536) }).buffer,
  "growable SharedArrayBuffer": (bytes) => new GrowableSharedArrayBuffer(bytes, { maxByteLength: bytes * 4 }),
};

for (const backend of availableBackends) {
  for (const [name, make] of Object.entries(MEMORIES)) {
    test(`x and out on a ${name} (${backend})`, async (t) => {
      const data = onMemory(make);
      const out = new Float32Array(make(c.rows * U * 4), 0, c.rows * U);
      const y = await timeDense({ data, shape: [3, 7, F] }, { kernel, bias: c.bias, activation: "sigmoid" }, { backend, out });
      t.is(y.data, out);
      check(t, name, out, c, F, U, "sigmoid");
    });
  }

  test(`a Float32Array from another realm (${backend})`, async (t) => {
    const foreign = vm.runInNewContext("new Float32Array(n)", { n: c.x.length });
    foreign.set(c.x);
    const foreignOut = vm.runInNewContext("new Float32Array(n)", { n: c.rows * U });
    const y = await timeDense(
      { data: foreign, shape: [3, 7, F] },
      { kernel, bias: c.bias, activation: "tanh" },
      { backend, out: foreignOut },
    );
    check(t, "another realm", y.data, c, F, U, "tanh");
    const ownOut = await timeDense({ data: foreign, shape: [3, 7, F] }, { kernel, bias: c.bias, activation: "tanh" }, { backend });
    check(t, "another realm, fresh out", ownOut.data, c, F, U, "tanh");
  });

  test(`out aliasing x through two SharedArrayBuffer objects is refused (${backend})`, async (t) => {
    const rows = 8;
    const sab = new SharedArrayBuffer(rows * F * 4);
    const twin = structuredClone(sab); // a second object over the same memory
    const x = { data: new Float32Array(sab), shape: [rows, F] };
    const layer = new TimeDense({ kernel, backend });
    for (const out of [new Float32Array(twin, 0, rows * U), new Float32Array(twin, (rows * F - rows * U) * 4, rows * U)])
      await t.throwsAsync(() => layer.apply(x, { out }), {
        instanceOf: RangeError,
        message: /^out: overlaps the memory of x/,
        code: "ERR_TDFAST_INVALID_SIZE",
      });
    // Separate memory is fine, SharedArrayBuffer or not.
    await t.notThrowsAsync(() => layer.apply(x, { out: new Float32Array(new SharedArrayBuffer(rows * U * 4)) }));
  });

  test(`a shared WebAssembly.Memory before and after grow() aliases (${backend})`, async (t) => {
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 4, shared: true });
    const before = memory.buffer;
    memory.grow(1);
    const after = memory.buffer;
    t.not(before, after);
    const rows = 100;
    const layer = new TimeDense({ kernel, backend });
    await t.throwsAsync(
      () => layer.apply({ data: new Float32Array(before, 0, rows * F), shape: [rows, F] }, { out: new Float32Array(after, 400, rows * U) }),
      {
        message: /^out: overlaps the memory of x/,
      },
    );
  });

  test(`async calls refuse resizable ArrayBuffers for x and out (${backend})`, async (t) => {
    const resizable = new ResizableArrayBuffer(c.x.byteLength, { maxByteLength: c.x.byteLength * 2 });
    const data = new Float32Array(resizable);
    data.set(c.x);
    const fixedOut = new Float32Array(c.rows * U);
    const resizableOut = new Float32Array(new ResizableArrayBuffer(c.rows * U * 4, { maxByteLength: c.rows * U * 8 }));
    const message = /a Float32Array over a fixed-length ArrayBuffer in an async call/;
    await t.throwsAsync(() => timeDense({ data, shape: [3, 7, F] }, { kernel }, { backend }), {
      instanceOf: RangeError,
      message,
      code: "ERR_TDFAST_INVALID_VALUE",
    });
    await t.throwsAsync(() => timeDense(c.input, { kernel }, { backend, out: resizableOut }), {
      instanceOf: RangeError,
      message: /^out: /,
      code: "ERR_TDFAST_INVALID_VALUE",
    });
    await t.notThrowsAsync(() => timeDense(c.input, { kernel }, { backend, out: fixedOut }));
  });
}

for (const backend of syncBackends) {
  test(`sync calls accept resizable ArrayBuffers: nothing can resize them during the call (${backend})`, (t) => {
    const data = new Float32Array(new ResizableArrayBuffer(c.x.byteLength, { maxByteLength: c.x.byteLength * 2 }));
    data.set(c.x);
    const y = timeDenseSync({ data, shape: [3, 7, F] }, { kernel, bias: c.bias, activation: "relu" }, { backend });
    check(t, "resizable", y.data, c, F, U, "relu");
  });
}

// onnxruntime-node is optional: without it these two are skipped (CI requires it with TDFAST_REQUIRE_BACKENDS).
const withOnnx = availableBackends.includes("onnx") ? test : test.skip;

withOnnx("the onnx backend marks no buffer; one transferred during its call rejects the call with a code", async (t) => {
  const rows = 4000;
  const layer = new TimeDense({ kernel, backend: "onnx" });
  await layer.apply({ data: new Float32Array(rows * F), shape: [rows, F] }); // session ready
  for (const target of ["x", "out"]) {
    const data = new Float32Array(rows * F).fill(0.5);
    const out = new Float32Array(rows * U);
    const pending = layer.apply({ data, shape: [rows, F] }, { out });
    const buffer = target === "x" ? data.buffer : out.buffer;
    structuredClone(buffer, { transfer: [buffer] }); // not refused: the onnx backend computes on this thread
    t.is(buffer.byteLength, 0);
    await t.throwsAsync(pending, {
      instanceOf: RangeError,
      message: `${target}: its ArrayBuffer was detached while the call ran`,
      code: "ERR_TDFAST_INVALID_VALUE",
    });
  }
});

test("the cpu backend marks x and out untransferable only once a call runs on after returning", async (t) => {
  if (!availableBackends.includes("cpu")) return t.fail("the cpu backend is not available");
  const layer = new TimeDense({ kernel, backend: "cpu" });
  const small = new Float32Array(8 * F);
  await layer.apply({ data: small, shape: [8, F] }); // computed before returning: nothing to protect
  structuredClone(small.buffer, { transfer: [small.buffer] });
  t.is(small.byteLength, 0, "a small call's buffer stays transferable");
  const rows = 40000;
  const large = new Float32Array(rows * F);
  await layer.apply({ data: large, shape: [rows, F] });
  let outcome;
  try {
    structuredClone(large.buffer, { transfer: [large.buffer] });
    outcome = large.byteLength === 0 ? "detached" : "copied";
  } catch (error) {
    outcome = /** @type {Error} */ (error).name;
  }
  t.true(["copied", "DataCloneError"].includes(outcome), `a large call's buffer is marked (${outcome})`);
});

withOnnx("an onnx call whose out (computed in scratch memory) is detached at any point rejects with a code", async (t) => {
  const layer = new TimeDense({ kernel, backend: "onnx" });
  await layer.apply({ data: new Float32Array(4 * F), shape: [4, F] }); // session ready
  const outcomes = new Set();
  for (let depth = 0; depth < 30; depth++) {
    const out = vm.runInNewContext("new Float32Array(n)", { n: 4 * U }); // another realm: copied back after the run
    const pending = layer.apply({ data: new Float32Array(4 * F).fill(1), shape: [4, F] }, { out });
    let later = Promise.resolve();
    for (let i = 0; i < depth; i++) later = later.then(() => undefined);
    later.then(() => structuredClone(out.buffer, { transfer: [out.buffer] }));
    try {
      await pending;
      outcomes.add("resolved before the transfer");
    } catch (error) {
      const { code, message } = /** @type {{ code?: string, message: string }} */ (error);
      outcomes.add(`${code} ${message}`);
    }
  }
  for (const outcome of outcomes)
    t.true(
      outcome === "resolved before the transfer" ||
        outcome === "ERR_TDFAST_INVALID_VALUE out: its ArrayBuffer was detached while the call ran",
      outcome,
    );
});
