// The CUDA backend on a real GPU: device tensors, the pinned host pipeline, memory release and errors.
// The op's correctness for every activation and shape is checked for cuda by time-dense.test.mjs, which runs
// on every available backend. Without a GPU these tests are skipped with the reason.
import test from "ava";
import { nativeBinding } from "../dist/cjs/binding.js";
import { backends, TimeDense, tensor, timeDense, timeDenseSync } from "../dist/esm/index.mjs";
import { makeCase as makeCaseShaped } from "./helpers/cases.mjs";
import { firstMismatch, referenceDense } from "./helpers/reference.mjs";

/** @typedef {import("../dist/esm/index.mjs").Activation} Activation */
/** @typedef {import("../dist/esm/index.mjs").BackendName} BackendName */
/** @typedef {Error & { code?: string }} CodedError */

const cuda = backends().cuda;
const gpuTest = cuda.available ? test.serial : test.skip;
if (!cuda.available) console.log(`[tdfast tests] cuda tests skipped: ${cuda.reason}`);

function makeCase(seed, rows, F, U) {
  return { ...makeCaseShaped(seed, [rows], F, U), F, U };
}

test("backends() names the GPU or says why cuda is unavailable", (t) => {
  if (cuda.available) {
    t.regex(cuda.device.name, /\S/);
    t.regex(cuda.device.computeCapability, /^\d+\.\d+$/);
    t.true(cuda.device.totalMemory > 0);
    t.log(
      `cuda: ${cuda.device.name}, compute capability ${cuda.device.computeCapability}, ${(cuda.device.totalMemory / 2 ** 30).toFixed(1)} GiB`,
    );
  } else {
    t.regex(cuda.reason, /addon built without CUDA|no CUDA driver found|no CUDA device|driver too old|compute capability/);
    t.throws(() => timeDenseSync(tensor(new Float32Array(4), [2, 2]), { kernel: new Float32Array(2) }, { backend: "cuda" }), {
      message: new RegExp(`^cuda: ${cuda.reason}`),
    });
  }
});

gpuTest("device tensors in give device tensors out, ranks 2 to 4", async (t) => {
  /** @type {[leading: number[], F: number, U: number, activation: Activation][]} */
  const cases = [
    [[1000], 64, 1, "sigmoid"],
    [[4, 250], 3, 130, "softmax"],
    [[2, 3, 50], 4096, 7, "gelu"],
    [[0, 5], 8, 2, "relu"],
  ];
  for (const [leading, F, U, activation] of cases) {
    const rows = leading.reduce((a, b) => a * b, 1);
    const c = makeCase(rows + F, rows, F, U);
    const x = await tensor(c.x, [...leading, F]).to("cuda");
    t.is(x.device, "cuda");
    t.throws(() => x.data, { message: /this tensor is on cuda/ });
    const layer = new TimeDense({ kernel: tensor(c.kernel, [F, U]), bias: c.bias, activation, backend: "cuda" });
    const y = await layer.apply(x);
    t.is(y.device, "cuda");
    t.deepEqual(y.shape, [...leading, U]);
    const values = await y.read();
    t.is(firstMismatch(values, referenceDense(c.x, rows, F, c.kernel, c.bias, U, activation)), -1, `${activation} [${leading}]x${F}->${U}`);
    const ySync = layer.applySync(x);
    t.deepEqual(await ySync.read(), values);
    const host = await y.to("cpu");
    t.is(host.device, "cpu");
    t.deepEqual(host.data, values);
    for (const tensorOnDevice of [x, y, ySync]) tensorOnDevice.dispose();
    layer.dispose();
  }
});

gpuTest("tensor(..., { device: 'cuda' }) uploads at once; auto picks cuda for device and host tensors", async (t) => {
  const c = makeCase(5, 300, 32, 4);
  const x = tensor(c.x, [300, 32], { device: "cuda" });
  t.is(backends().auto, "cuda");
  const y = await timeDense(x, { kernel: tensor(c.kernel, [32, 4]), bias: c.bias, activation: "tanh" });
  t.is(y.backend, "cuda");
  t.is(firstMismatch(await y.read(), referenceDense(c.x, 300, 32, c.kernel, c.bias, 4, "tanh")), -1);
  const yHost = await timeDense(tensor(c.x, [300, 32]), { kernel: tensor(c.kernel, [32, 4]), bias: c.bias, activation: "tanh" });
  t.is(yHost.device, "cpu");
  t.is(yHost.backend, "cuda");
  t.throws(() => timeDenseSync(x, { kernel: tensor(c.kernel, [32, 4]) }, { backend: "cpu" }), { message: /x is a cuda tensor/ });
  x.dispose();
  y.dispose();
  t.throws(() => timeDenseSync(x, { kernel: tensor(c.kernel, [32, 4]) }), { message: /disposed/ });
});

gpuTest("host tensors through the pinned pipeline, large enough to take several chunks", async (t) => {
  const c = makeCase(9, 3_000_000, 16, 1);
  const layer = new TimeDense({ kernel: tensor(c.kernel, [16, 1]), bias: c.bias, activation: "sigmoid", backend: "cuda" });
  const y = await layer.apply(tensor(c.x, [3_000_000, 16]));
  const ref = referenceDense(c.x.subarray(0, 16 * 1000), 1000, 16, c.kernel, c.bias, 1, "sigmoid");
  t.is(firstMismatch(y.data.subarray(0, 1000), ref), -1);
  const tailRows = 1000;
  const tail = referenceDense(c.x.subarray((3_000_000 - tailRows) * 16), tailRows, 16, c.kernel, c.bias, 1, "sigmoid");
  t.is(firstMismatch(y.data.subarray(3_000_000 - tailRows), tail), -1);
  layer.dispose();
});

gpuTest("dispose() returns device memory", async (t) => {
  const { memInfo } = nativeBinding().binding.cuda;
  const before = memInfo().free;
  const big = tensor(new Float32Array(256 * 2 ** 20).fill(1.5), [2 ** 20, 256], { device: "cuda" }); // 1 GiB
  const during = memInfo().free;
  t.true(before - during >= 2 ** 30 - 64 * 2 ** 20, `allocated ${(before - during) / 2 ** 20} MiB`);
  big.dispose();
  const after = memInfo().free;
  t.true(Math.abs(before - after) < 64 * 2 ** 20, `before ${before}, after ${after}`);
});

gpuTest("an out-of-memory request is a JavaScript error and everything keeps working", async (t) => {
  const DeviceBuffer = nativeBinding().binding.cuda.Buffer;
  const error = /** @type {CodedError} */ (t.throws(() => new DeviceBuffer(2 ** 42))); // 4 TiB
  t.is(error.code, "ERR_TDFAST_CUDA");
  t.regex(error.message, /cudaErrorMemoryAllocation/);
  const c = makeCase(13, 100, 8, 3);
  for (const backend of /** @type {BackendName[]} */ (["cuda", "cpu"])) {
    const y = await timeDense(tensor(c.x, [100, 8]), { kernel: tensor(c.kernel, [8, 3]), bias: c.bias, activation: "relu" }, { backend });
    t.is(firstMismatch(y.data, referenceDense(c.x, 100, 8, c.kernel, c.bias, 3, "relu")), -1, backend);
  }
});
