// Every error tdfast throws carries a stable code from one list, shared by TypeScript and C++; errors from
// the backends (unavailable, onnxruntime failures, the native layer's own checks) included.

import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import test from "ava";

import { TimeDense, tensor, timeDense, timeDenseSync } from "../dist/esm/index.mjs";
import { availableBackends } from "./helpers/backends.mjs";

const require = createRequire(import.meta.url);
const { ERROR_CODES } = require("../dist/cjs/errors.js");
const { nativeBinding } = require("../dist/cjs/binding.js");
const ENTRY = new URL("../dist/esm/index.mjs", import.meta.url).href;

/** @typedef {Error & { code?: string, cause?: Error }} CodedError */

test("lib/errors.ts and native/shared/error_codes.h list the same codes", (t) => {
  const header = readFileSync(new URL("../native/shared/error_codes.h", import.meta.url), "utf8");
  // (\s+: clang-format may wrap a long declaration after its "=")
  const native = [...header.matchAll(/constexpr const char\* k\w+\s*=\s*"(ERR_TDFAST_\w+)";/g)].map((match) => match[1]);
  t.true(native.length >= 9);
  t.deepEqual([...native].sort(), [...ERROR_CODES].sort());
});

// Where the optional onnxruntime-node is not installed, optional-deps.test.mjs covers auto with no backend at all.
const withOnnx = availableBackends.includes("onnx") ? test : test.skip;
const withOnnxSerial = availableBackends.includes("onnx") ? test.serial : test.serial.skip;

withOnnx("an unavailable backend throws ERR_TDFAST_BACKEND_UNAVAILABLE with the reason; auto still works", (t) => {
  // A missing binary makes cpu and cuda unavailable, deterministically on any machine.
  const script = `
    import(${JSON.stringify(ENTRY)}).then(async ({ backends, tensor, timeDense, timeDenseSync }) => {
      const x = tensor(new Float32Array(8).fill(1), [2, 4]);
      const kernel = tensor(new Float32Array(4).fill(0.5), [4, 1]);
      const errors = [];
      for (const backend of ["cpu", "cuda"]) {
        try { timeDenseSync(x, { kernel }, { backend }); } catch (error) { errors.push({ code: error.code, message: error.message }); }
      }
      try { timeDenseSync(x, { kernel }); } catch (error) { errors.push({ code: error.code, message: error.message }); }
      const y = await timeDense(x, { kernel });
      console.log(JSON.stringify({ errors, report: backends(), y: [...y.data] }));
    });
  `;
  const output = execFileSync(process.execPath, ["-e", script], {
    env: { ...process.env, TDFAST_ADDON: "/nonexistent/tdfast.node" },
    encoding: "utf8",
  });
  const { errors, report, y } = JSON.parse(output);
  t.is(errors.length, 3);
  for (const error of errors) t.is(error.code, "ERR_TDFAST_BACKEND_UNAVAILABLE", error.message);
  t.is(errors[0].message, `cpu: ${report.cpu.reason}`);
  t.regex(errors[2].message, /^no backend available \(cuda: .*; cpu: /);
  t.is(report.auto, "onnx");
  t.deepEqual(y, [2, 2]);
});

withOnnxSerial("onnxruntime-node failures reject with ERR_TDFAST_ONNX and the original error as the cause", async (t) => {
  const ort = require("onnxruntime-node");
  const create = ort.InferenceSession.create;
  const x = tensor(new Float32Array(8).fill(1), [2, 4]);
  try {
    ort.InferenceSession.create = () => Promise.reject(new Error("no memory for the session"));
    const error = /** @type {CodedError} */ (
      await t.throwsAsync(() => new TimeDense({ kernel: tensor(new Float32Array(4), [4, 1]), backend: "onnx" }).apply(x))
    );
    t.is(error.code, "ERR_TDFAST_ONNX");
    t.regex(error.message, /^onnx: could not create the onnxruntime session: no memory for the session/);
    t.is(error.cause.message, "no memory for the session");
    ort.InferenceSession.create = async (...args) => {
      const session = await create.apply(ort.InferenceSession, args);
      session.run = () => Promise.reject(new Error("Invalid argument"));
      return session;
    };
    const failing = /** @type {CodedError} */ (
      await t.throwsAsync(() => new TimeDense({ kernel: tensor(new Float32Array(8), [4, 2]), backend: "onnx" }).apply(x))
    );
    t.is(failing.code, "ERR_TDFAST_ONNX");
    t.regex(failing.message, /^onnx: onnxruntime failed: Invalid argument/);
  } finally {
    ort.InferenceSession.create = create;
  }
});

test("the native layer checks what memory safety needs on its own, with codes", (t) => {
  const { binding } = nativeBinding();
  if (!binding) return t.fail("the addon is not loaded");
  const weights = new binding.Weights(new Float32Array(8).fill(1), null, 4, 2, 0);
  const sab = new SharedArrayBuffer(64);
  const twin = structuredClone(sab);
  t.throws(() => weights.runSync(new Float32Array(sab, 0, 8), 2, new Float32Array(twin, 16, 4)), {
    instanceOf: RangeError,
    message: /^out: overlaps the memory of x/,
    code: "ERR_TDFAST_INVALID_SIZE",
  });
  t.notThrows(() => weights.runSync(new Float32Array(sab, 0, 8), 2, new Float32Array(twin, 32, 4)));
  t.throws(() => weights.runSync(new Float32Array(7), 2, new Float32Array(4)), { instanceOf: RangeError, code: "ERR_TDFAST_INVALID_SIZE" });
  // @ts-expect-error a Float64Array on purpose: the native layer must refuse it itself
  t.throws(() => weights.runSync(new Float64Array(8), 2, new Float32Array(4)), { instanceOf: TypeError, code: "ERR_TDFAST_INVALID_TYPE" });
  t.is(binding.sharesMemory(new Float32Array(sab, 0, 4), new Float32Array(twin, 12, 4)), true);
  t.is(binding.sharesMemory(new Float32Array(sab, 0, 4), new Float32Array(twin, 16, 4)), false);
  weights.dispose();
  t.throws(() => weights.runSync(new Float32Array(8), 2, new Float32Array(4)), { code: "ERR_TDFAST_DISPOSED" });
  // A build with CUDA has cuda.Buffer even without a GPU: its size check comes before any device call. Buffers
  // hold whole float16 values (2 bytes) at least; uploads and downloads check whole elements of their type.
  if (binding.cuda.Buffer)
    t.throws(() => new binding.cuda.Buffer(7), {
      instanceOf: RangeError,
      message: "byteLength: expected a multiple of 2, got 7",
      code: "ERR_TDFAST_INVALID_SIZE",
    });
});

test("argument errors from the library carry their codes too", (t) => {
  t.throws(() => timeDenseSync(tensor(new Float32Array(4), [1, 4]), { kernel: tensor(new Float32Array(4), [4, 1]) }, { backend: "onnx" }), {
    code: "ERR_TDFAST_BACKEND_UNAVAILABLE",
    // without the optional onnxruntime-node, that it is missing is said first
    message: availableBackends.includes("onnx") ? /^onnx: this backend has no synchronous path/ : /^onnx: onnxruntime-node .*not installed/,
  });
  // @ts-expect-error a number for activation on purpose: the error code is what is checked
  return timeDense(tensor(new Float32Array(4), [1, 4]), { kernel: tensor(new Float32Array(4), [4, 1]), activation: 3 }).then(
    () => t.fail(),
    (error) => t.is(error.code, "ERR_TDFAST_INVALID_TYPE"),
  );
});
