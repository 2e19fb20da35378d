// The CUDA backend on a real GPU: device tensors, the pinned host pipeline, memory release and errors.
// The op's correctness for every activation and shape is checked for cuda by time-dense.test.mjs, which runs
// on every available backend. Without a GPU these tests are skipped with the reason.
import test from "ava";
import { nativeBinding } from "../dist/cjs/binding.js";
import { ACTIVATIONS, backends, TimeDense, tensor, timeDense, timeDenseSync } from "../dist/esm/index.mjs";
import { makeCase as makeCaseShaped } from "./helpers/cases.mjs";
import { decodeHalf, firstRoundingMismatch, halfBits, randomHalves } from "./helpers/float16.mjs";
import { firstMismatch, randomArray, randomGenerator, referenceDense } from "./helpers/reference.mjs";

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

// float16 x and results, as the cpu's float16-child.mjs checks them: float32 results from float16 x within the
// suite's tolerance of the float64 reference computed from the same halves, float16 results the float32 results
// of the same call path rounded to nearest even, bit for bit. Host tensors (the pinned pipeline) and device
// tensors; every activation; shapes that take the small-units kernel with 16-byte and single loads, the tiled
// kernel with 8-byte and single loads, and softmax split over unit tiles (U > 256, through float32 scratch).
gpuTest("float16 x and results on cuda, host and device tensors, every activation", async (t) => {
  const random = randomGenerator(1618);
  const failures = [];
  let checked = 0;
  const compare = (name, y32, y16, reference) => {
    if (reference) {
      const bad = firstMismatch(y32, reference);
      if (bad >= 0) failures.push(`${name} (float32 results) at ${bad}: got ${y32[bad]}, expected ${reference[bad]}`);
    }
    const badRounding = firstRoundingMismatch(y16, y32);
    if (badRounding >= 0)
      failures.push(`${name} (float16 results) at ${badRounding}: bits ${halfBits(y16)[badRounding]} for ${y32[badRounding]}`);
    checked += y32.length;
  };
  for (const [rows, F, U] of [
    [1000, 64, 1],
    [37, 1, 1],
    [1001, 3, 1],
    [257, 8, 2],
    [513, 12, 5],
    [1000, 64, 16],
    [333, 130, 130],
    [77, 33, 300],
  ]) {
    for (const activation of ACTIVATIONS) {
      const bits = randomHalves(rows * F, random, 3);
      for (let i = 0; i < bits.length; i += 7) bits[i] = (i % 2 ? 0x8000 : 0) | (i % 1024); // subnormals and zeros
      if (bits.length > 20) [bits[5], bits[bits.length >> 1], bits[bits.length - 3]] = [0x7c00, 0xfc00, 0x7e00]; // inf, -inf, NaN
      const kernel = randomArray(F * U, random, 2 / Math.sqrt(F));
      const bias = randomArray(U, random);
      const reference = referenceDense(Float64Array.from(bits, decodeHalf), rows, F, kernel, bias, U, activation);
      const layer = new TimeDense({ kernel: tensor(kernel, [F, U]), bias, activation, backend: "cuda" });
      const x = tensor(bits, [rows, F], { dtype: "float16" });
      const name = `${activation} ${rows}x${F}->${U}`;
      const host32 = await layer.apply(x);
      const host16 = layer.applySync(x, { outputDtype: "float16" });
      if (host32.dtype !== "float32" || host16.dtype !== "float16") failures.push(`${name}: dtypes ${host32.dtype}, ${host16.dtype}`);
      compare(`${name} host`, host32.data, host16.data, reference);
      const onDevice = await x.to("cuda");
      const device32 = await layer.apply(onDevice);
      const device16 = layer.applySync(onDevice, { outputDtype: "float16" });
      if (device16.dtype !== "float16" || device16.device !== "cuda")
        failures.push(`${name}: device result ${device16.dtype} on ${device16.device}`);
      compare(`${name} device`, await device32.read(), await device16.read(), reference);
      onDevice.dispose();
      device32.dispose();
      device16.dispose();
      layer.dispose();
    }
  }
  // float32 x with float16 results, host and device.
  const [rows, F, U] = [999, 40, 20];
  const x = tensor(randomArray(rows * F, random, 3), [rows, F]);
  const weights = { kernel: tensor(randomArray(F * U, random, 1 / Math.sqrt(F)), [F, U]), activation: /** @type {const} */ ("tanh") };
  const y32 = timeDenseSync(x, weights, { backend: "cuda" });
  compare("float32 x host", y32.data, timeDenseSync(x, weights, { backend: "cuda", outputDtype: "float16" }).data, null);
  const xd = await x.to("cuda");
  const yd16 = await timeDense(xd, weights, { outputDtype: "float16" });
  compare("float32 x device", await (await timeDense(xd, weights)).read(), await yd16.read(), null);
  // A float16 device tensor comes back to the host as float16, with the same bits.
  const back = await yd16.to("cpu");
  t.is(back.dtype, "float16");
  t.deepEqual([...halfBits(back.data)], [...halfBits(await yd16.read())]);
  t.deepEqual(failures, []);
  t.true(checked > 100000, `${checked} values checked`);
});

gpuTest("float16 host tensors through the pinned pipeline, several chunks; float16 upload and download", async (t) => {
  const random = randomGenerator(1619);
  const [rows, F] = [600_001, 32]; // about 123,000 rows per 8 MB staging chunk
  const bits = randomHalves(rows * F, random, 2);
  const kernel = randomArray(F, random, 1 / Math.sqrt(F));
  const layer = new TimeDense({ kernel: tensor(kernel, [F, 1]), activation: "sigmoid", backend: "cuda" });
  const y = await layer.apply(tensor(bits, [rows, F], { dtype: "float16" }));
  for (const start of [0, 300_000, rows - 1000]) {
    const slice = Float64Array.from(bits.subarray(start * F, (start + 1000) * F), decodeHalf);
    t.is(
      firstMismatch(y.data.subarray(start, start + 1000), referenceDense(slice, 1000, F, kernel, null, 1, "sigmoid")),
      -1,
      `rows from ${start}`,
    );
  }
  // An odd number of float16 values: a device buffer of 2·n bytes.
  const odd = tensor(bits.subarray(0, 7), [7, 1], { dtype: "float16", device: "cuda" });
  t.deepEqual([...halfBits(await odd.read())], [...bits.subarray(0, 7)]);
  const DeviceBuffer = nativeBinding().binding.cuda.Buffer;
  const buffer = new DeviceBuffer(14);
  t.throws(() => buffer.uploadSync(new Float32Array(3)), { message: /does not hold whole float32 values/ });
  t.throws(() => buffer.uploadSync(new Uint16Array(6), 1), { message: /expected 7 elements/ });
  buffer.dispose();
  layer.dispose();
});
