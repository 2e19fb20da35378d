// The onnxruntime-node backend: every activation against the float64 reference (NaN and infinities included),
// one session per prepared weights, no synchronous path, lazy loading, and large calls run in slices so the
// event loop keeps ticking.

import { execFile } from "node:child_process";
import { createRequire } from "node:module";
import { promisify } from "node:util";
import test from "ava";

import { ACTIVATIONS, backends, TimeDense, tensor, timeDense, timeDenseSync } from "../dist/esm/index.mjs";
import { availableBackends } from "./helpers/backends.mjs";
import { check, makeCase, withTimerGaps } from "./helpers/cases.mjs";
import { firstMismatch, randomArray, randomGenerator, referenceDense } from "./helpers/reference.mjs";

/** @typedef {import("../dist/esm/index.mjs").Activation} Activation */

// onnxruntime-node is an optional dependency: where it is not installed these tests are skipped
// (optional-deps.test.mjs checks what tdfast reports then; CI's TDFAST_REQUIRE_BACKENDS=onnx makes absence a failure).
const onnxAvailable = availableBackends.includes("onnx");
const onnxTest = onnxAvailable ? test : test.skip;
const onnxSerial = onnxAvailable ? test.serial : test.serial.skip;

const require = createRequire(import.meta.url);
const { onnxSessionCount } = require("../dist/cjs/backends/onnx.js");
const run = promisify(execFile);
const ENTRY = new URL("../dist/esm/index.mjs", import.meta.url).href;

// The counting tests are serial (ava runs them before the concurrent ones), so no other test creates sessions
// meanwhile.
onnxSerial("a TimeDense creates one session and reuses it across calls and shapes", async (t) => {
  const c = makeCase(5, [3, 40], 12, 7, true);
  const before = onnxSessionCount();
  const layer = new TimeDense({ kernel: tensor(c.kernel, [12, 7]), bias: c.bias, activation: "tanh", backend: "onnx" });
  for (const leading of [[3, 40], [120], [2, 3, 20], [0, 5]]) {
    const y = await layer.apply(tensor(c.x.subarray(0, leading.reduce((a, b) => a * b, 1) * 12), [...leading, 12]));
    t.deepEqual(y.shape, [...leading, 7]);
    t.is(y.backend, "onnx");
  }
  t.is(onnxSessionCount() - before, 1);
  layer.dispose();
});

onnxSerial("a one-off timeDense called again with the same kernel object reuses its session", async (t) => {
  const c = makeCase(6, [2, 30], 9, 4, true);
  const weights = { kernel: tensor(c.kernel, [9, 4]), bias: c.bias, activation: /** @type {Activation} */ ("elu") };
  const before = onnxSessionCount();
  for (let i = 0; i < 3; i++) check(t, `call ${i}`, (await timeDense(c.input, weights, { backend: "onnx" })).data, c, 9, 4, "elu");
  t.is(onnxSessionCount() - before, 1);
  await timeDense(c.input, { ...weights, activation: "selu" }, { backend: "onnx" });
  t.is(onnxSessionCount() - before, 2, "another activation is another model");
});

onnxSerial("one-off calls reuse a session whatever wrapper objects carry the same weights; a changed kernel gets a new one", async (t) => {
  const c = makeCase(8, [3, 11], 6, 2, true);
  const before = onnxSessionCount();
  for (let i = 0; i < 20; i++) {
    // a fresh tensor wrapper around the same array, then a fresh copy of its values
    const kernel = i % 2 ? tensor(c.kernel, [6, 2]) : { data: c.kernel.slice(), shape: [6, 2] };
    check(
      t,
      `call ${i}`,
      (await timeDense(c.input, { kernel, bias: c.bias.slice(), activation: "softsign" }, { backend: "onnx" })).data,
      c,
      6,
      2,
      "softsign",
    );
  }
  t.is(onnxSessionCount() - before, 1);
  const changed = c.kernel.slice();
  changed[3] += 1;
  const y = await timeDense(c.input, { kernel: tensor(changed, [6, 2]), bias: c.bias, activation: "softsign" }, { backend: "onnx" });
  check(t, "changed kernel", y.data, { ...c, kernel: changed }, 6, 2, "softsign");
  t.is(onnxSessionCount() - before, 2);
});

onnxSerial("the event loop keeps ticking during a large onnx call (64x4096x128 -> 1 sigmoid)", async (t) => {
  const random = randomGenerator(8);
  const [rows, F, U] = [64 * 4096, 128, 1];
  const kernel = randomArray(F * U, random, 0.1);
  const x = randomArray(rows * F, random);
  const layer = new TimeDense({ kernel: tensor(kernel, [F, U]), activation: "sigmoid", backend: "onnx" });
  await layer.apply(tensor(x, [64, 4096, F])); // warm-up: session creation, ORT's arena and threads
  // Sliced calls measured here: gap ~2 ms for a ~11 ms call; one unsliced run's gap is the whole call. The
  // best of a few attempts is compared, so that one descheduling by a busy machine does not fail the test.
  const attempts = [];
  let y;
  for (let attempt = 0; attempt < 5; attempt++) {
    const { result, duration, largestGap } = await withTimerGaps(() => layer.apply(tensor(x, [64, 4096, F])));
    y = result;
    attempts.push({ duration, largestGap });
    if (largestGap < duration / 2) break;
  }
  t.log(attempts.map(({ duration, largestGap }) => `call ${duration.toFixed(1)} ms, largest gap ${largestGap.toFixed(1)} ms`).join("; "));
  t.true(
    attempts.some(({ duration, largestGap }) => largestGap < duration / 2),
    "the largest event-loop gap stays under half the call's duration",
  );
  t.deepEqual(y.shape, [64, 4096, 1]);
  const sample = 2000; // rows spread over the whole output, covering every slice
  const stride = Math.floor(rows / sample);
  const xs = new Float32Array(sample * F);
  const ys = new Float32Array(sample);
  for (let i = 0; i < sample; i++) {
    xs.set(x.subarray(i * stride * F, (i * stride + 1) * F), i * F);
    ys[i] = y.data[i * stride];
  }
  t.is(firstMismatch(ys, referenceDense(xs, sample, F, kernel, null, U, "sigmoid")), -1);
  layer.dispose();
});

// [leading shape, F, U]: F = 1, F = 4096; U = 1, 7, 130; ranks 2, 3, 4; zero rows.
/** @type {[leading: number[], F: number, U: number][]} */
const SHAPES = [
  [[37], 1, 1],
  [[3, 5], 3, 7],
  [[2, 3, 4], 17, 7],
  [[1, 1000], 64, 1],
  [[4], 4096, 1],
  [[2], 4096, 130],
  [[5, 7], 33, 130],
  [[2, 1, 3, 2], 1, 130],
  [[0], 5, 7],
  [[2, 0, 4], 6, 2],
];

onnxTest("every activation on every shape matches the float64 reference", async (t) => {
  let seed = 100;
  for (const [leading, F, U] of SHAPES) {
    for (const activation of ACTIVATIONS) {
      const c = makeCase(seed++, leading, F, U, seed % 3 !== 0);
      const y = await timeDense(c.input, { kernel: tensor(c.kernel, [F, U]), bias: c.bias, activation }, { backend: "onnx" });
      t.deepEqual(y.shape, [...leading, U]);
      t.is(y.backend, "onnx");
      check(t, `${activation} [${leading}]x${F}->${U}`, y.data, c, F, U, activation);
    }
  }
});

onnxTest("a call spanning several slices matches the reference in every row", async (t) => {
  // 6000 rows of 256 -> 96 are over twice the first slice's work, so at least two session runs write `out`.
  const [leading, F, U] = [[2, 3000], 256, 96];
  let seed = 300;
  for (const activation of /** @type {Activation[]} */ (["linear", "gelu", "softmax", "log_softmax"])) {
    const c = makeCase(seed++, leading, F, U, activation !== "linear");
    const out = new Float32Array(c.rows * U).fill(NaN);
    const layer = new TimeDense({ kernel: tensor(c.kernel, [F, U]), bias: c.bias, activation, backend: "onnx" });
    const y = await layer.apply(c.input, { out });
    t.is(y.data, out);
    check(t, activation, out, c, F, U, activation);
    layer.dispose();
  }
});

onnxTest("NaN and infinities behave as in the float64 reference", async (t) => {
  const specials = Float32Array.of(NaN, Infinity, -Infinity, 0, -0, 1e-8, -1e-8, 3, -3, 6, 7, 20, -20, 88, -88);
  const kernel = tensor(Float32Array.of(1), [1, 1]);
  for (const activation of ACTIVATIONS) {
    const y = await timeDense(tensor(specials, [specials.length, 1]), { kernel, activation }, { backend: "onnx" });
    const ref = referenceDense(specials, specials.length, 1, Float32Array.of(1), null, 1, activation);
    const bad = firstMismatch(y.data, ref);
    t.is(bad, -1, bad < 0 ? activation : `${activation}(${specials[bad]}): got ${y.data[bad]}, expected ${ref[bad]}`);
  }
});

onnxTest("onnx has no synchronous path; sync auto calls use a synchronous backend", (t) => {
  const kernel = tensor(Float32Array.of(1, 2), [1, 2]);
  const x = tensor(Float32Array.of(0.5, -1), [2, 1]);
  t.throws(() => timeDenseSync(x, { kernel }, { backend: "onnx" }), { message: /onnx: .*no synchronous path/ });
  const layer = new TimeDense({ kernel, backend: "onnx" });
  t.throws(() => layer.applySync(x), { message: /onnx: .*no synchronous path/ });
  layer.dispose();
  const report = backends();
  if (report.cpu.available || report.cuda.available) t.not(timeDenseSync(x, { kernel }).backend, "onnx");
});

onnxTest("backends() reports onnx available, and auto picks it unless CUDA is available", (t) => {
  const report = backends();
  t.deepEqual(report.onnx, { available: true });
  t.is(report.auto, report.cuda.available ? "cuda" : "onnx");
});

onnxTest("disposing a layer while its session is being created or a call is in flight lets the call finish", async (t) => {
  const c = makeCase(7, [50], 16, 5, true);
  const layer = new TimeDense({ kernel: tensor(c.kernel, [16, 5]), bias: c.bias, activation: "softplus", backend: "onnx" });
  const pending = layer.apply(c.input);
  layer.dispose();
  check(t, "in flight", (await pending).data, c, 16, 5, "softplus");
  await t.throwsAsync(() => layer.apply(c.input), { code: "ERR_TDFAST_DISPOSED" });
});

onnxTest("importing tdfast loads neither onnxruntime-node nor protobufjs; first use does, and the process still exits", async (t) => {
  const script = `
    import { createRequire } from "node:module";
    const loaded = () => Object.keys(createRequire(import.meta.url).cache).filter((path) => /onnxruntime-node|protobufjs/.test(path)).length > 0;
    const { timeDense, tensor } = await import(${JSON.stringify(ENTRY)});
    const atImport = loaded();
    const y = await timeDense(tensor(Float32Array.of(1, 2), [2, 1]), { kernel: Float32Array.of(3) }, { backend: "onnx" });
    console.log(JSON.stringify({ atImport, afterUse: loaded(), y: Array.from(y.data) }));
  `;
  const { stdout } = await run(process.execPath, ["--input-type=module", "-e", script], { timeout: 30_000 });
  t.deepEqual(JSON.parse(stdout), { atImport: false, afterUse: true, y: [3, 6] });
});
