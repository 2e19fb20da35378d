// Correctness of timeDense / timeDenseSync / TimeDense against the float64 reference, on every available backend.
import test from "ava";

import { ACTIVATIONS, TimeDense, tensor, timeDense, timeDenseSync } from "../dist/esm/index.mjs";
import { availableBackends, syncBackends, unavailableBackends } from "./helpers/backends.mjs";
import { check, makeCase } from "./helpers/cases.mjs";
import { randomArray, randomGenerator } from "./helpers/reference.mjs";

/** @typedef {import("../dist/esm/index.mjs").Activation} Activation */

if (unavailableBackends.length) console.log(`[tdfast tests] skipped backends: ${unavailableBackends.join("; ")}`);

// [leading shape, F, U]: F = 1, odd F, F = 4096; U = 1, 2, 7, 130; tiny and large row counts; ranks 2, 3, 4.
/** @type {[leading: number[], F: number, U: number][]} */
const SHAPES = [
  [[1, 1000], 64, 1],
  [[37], 1, 1],
  [[3, 5], 3, 2],
  [[2, 3, 4], 17, 7],
  [[4], 4096, 1],
  [[2], 4096, 130],
  [[5, 7], 33, 130],
  [[1, 9], 9, 16],
  [[70001], 8, 1],
  [[2, 3, 11], 24, 5],
];

for (const backend of availableBackends) {
  test(`every activation on every shape, async (${backend})`, async (t) => {
    let seed = 1;
    for (const [leading, F, U] of SHAPES) {
      for (const activation of ACTIVATIONS) {
        const c = makeCase(seed++, leading, F, U, seed % 3 !== 0);
        const kernel = tensor(c.kernel, [F, U]);
        const y = await timeDense(c.input, { kernel, bias: c.bias, activation }, { backend });
        t.deepEqual(y.shape, [...leading, U]);
        t.is(y.backend, backend);
        check(t, `${backend} ${activation} [${leading}]x${F}->${U}`, y.data, c, F, U, activation);
      }
    }
  });

  test(`a TimeDense layer reuses its weights across calls and shapes (${backend})`, async (t) => {
    const c = makeCase(99, [4, 50], 20, 3);
    const layer = new TimeDense({ kernel: tensor(c.kernel, [20, 3]), bias: c.bias, activation: "swish", backend });
    t.is(layer.activation, "silu");
    for (const leading of [[4, 50], [200], [2, 2, 50]]) {
      const y = await layer.apply(tensor(c.x, [...leading, 20]));
      t.deepEqual(y.shape, [...leading, 3]);
      check(t, `${backend} layer [${leading}]`, y.data, c, 20, 3, "silu");
    }
    layer.dispose();
  });

  test(`zero-sized leading axes give an empty result of the right shape (${backend})`, async (t) => {
    const kernel = tensor(randomArray(6, randomGenerator(5)), [3, 2]);
    for (const leading of [[0], [2, 0], [0, 4, 5]]) {
      const y = await timeDense(tensor(new Float32Array(0), [...leading, 3]), { kernel, activation: "softmax" }, { backend });
      t.deepEqual(y.shape, [...leading, 2]);
      t.is(y.data.length, 0);
    }
  });

  test(`the out option writes into the caller's buffer (${backend})`, async (t) => {
    const c = makeCase(7, [6, 10], 12, 4);
    const out = new Float32Array(240).fill(Number.NaN);
    const kernel = tensor(c.kernel, [12, 4]);
    const y = await timeDense(c.input, { kernel, bias: c.bias, activation: "tanh" }, { out, backend });
    t.is(y.data, out);
    check(t, `${backend} out`, out, c, 12, 4, "tanh");
    const outTensor = tensor(new Float32Array(240), [6, 10, 4]);
    const y2 = await timeDense(c.input, { kernel, bias: c.bias, activation: "tanh" }, { out: outTensor, backend });
    t.is(y2.data, outTensor.data);
    check(t, `${backend} out tensor`, outTensor.data, c, 12, 4, "tanh");
  });

  test(`a NaN in one row stays in that row (${backend})`, async (t) => {
    for (const [U, activation] of /** @type {[U: number, activation: Activation][]} */ ([
      [1, "sigmoid"],
      [3, "relu"],
      [7, "softmax"],
      [130, "log_softmax"],
      [2, "relu6"],
    ])) {
      const c = makeCase(11 + U, [20], 16, U);
      c.x[5 * 16 + 3] = Number.NaN;
      const y = await timeDense(c.input, { kernel: tensor(c.kernel, [16, U]), bias: c.bias, activation }, { backend });
      for (let m = 0; m < 20; m++)
        for (let u = 0; u < U; u++) t.is(Number.isNaN(y.data[m * U + u]), m === 5, `${activation} row ${m} unit ${u}`);
      check(t, `${backend} NaN ${activation}`, y.data, c, 16, U, activation);
    }
  });

  test(`inputs from plain objects and onnxruntime-style { data, dims } (${backend})`, async (t) => {
    const c = makeCase(21, [3, 4], 5, 2);
    const kernel = { data: c.kernel, dims: [5, 2] };
    const a = await timeDense({ data: c.x, shape: [3, 4, 5] }, { kernel, bias: c.bias }, { backend });
    const b = await timeDense({ data: c.x, dims: [12, 5] }, { kernel: c.kernel, bias: c.bias }, { backend });
    t.deepEqual(a.shape, [3, 4, 2]);
    t.deepEqual(b.shape, [12, 2]);
    t.deepEqual(a.data, b.data);
    check(t, `${backend} plain object`, a.data, c, 5, 2, "linear");
  });
}

for (const backend of syncBackends) {
  test(`sync results equal async results, without and with bias (${backend})`, async (t) => {
    let seed = 500;
    for (const [leading, F, U] of SHAPES) {
      for (const activation of /** @type {Activation[]} */ (["linear", "sigmoid", "gelu", "softmax", "mish"])) {
        for (const withBias of [false, true]) {
          const c = makeCase(seed++, leading, F, U, withBias);
          const weights = { kernel: tensor(c.kernel, [F, U]), bias: c.bias, activation };
          const sync = timeDenseSync(c.input, weights, { backend });
          const asyncResult = await timeDense(c.input, weights, { backend });
          t.deepEqual(sync.shape, [...leading, U]);
          check(t, `${backend} sync ${activation} [${leading}]x${F}->${U}`, sync.data, c, F, U, activation);
          t.deepEqual(sync.data, asyncResult.data);
        }
      }
    }
  });

  test(`applySync and a flat kernel with F taken from the input (${backend})`, (t) => {
    const c = makeCase(31, [9, 4], 6, 3);
    const layer = new TimeDense({ kernel: c.kernel, activation: "elu", backend });
    t.is(layer.units, undefined);
    const y = layer.applySync(c.input);
    t.is(layer.units, 3);
    t.is(layer.features, 6);
    check(t, `${backend} flat kernel`, y.data, { ...c, bias: null }, 6, 3, "elu");
    t.throws(() => layer.applySync(tensor(new Float32Array(4), [2, 2])), {
      instanceOf: RangeError,
      message: /x\.shape: expected the last axis to be 6/,
    });
  });
}

test("a one-off call sees a kernel changed in place since the last call", (t) => {
  const c = makeCase(41, [10], 4, 2);
  const weights = { kernel: tensor(c.kernel, [4, 2]), activation: /** @type {Activation} */ ("linear") };
  const before = timeDenseSync(c.input, weights);
  c.kernel[0] += 1;
  const after = timeDenseSync(c.input, weights);
  t.notDeepEqual(before.data, after.data);
  check(t, "mutated kernel", after.data, { ...c, bias: null }, 4, 2, "linear");
});

// Small results are views into shared slabs (lib/output.ts): they must never overlap, and handing one result's
// buffer to another thread must not take the others' memory with it.
test("small results share slabs without overlapping, and survive a neighbour's transfer", async (t) => {
  const { MessageChannel } = await import("node:worker_threads");
  const c = makeCase(51, [200], 8, 5); // 1000 floats: a pooled size
  const layer = new TimeDense({ kernel: tensor(c.kernel, [8, 5]), bias: c.bias, activation: "tanh", backend: "cpu" });
  const results = Array.from({ length: 40 }, () => layer.applySync(c.input));
  const sharing = results.filter((r, i) => i > 0 && r.data.buffer === results[i - 1].data.buffer).length;
  t.true(sharing >= 30, `consecutive small results come from one slab (${sharing} of 39 pairs did)`);
  const ranges = results.map((r) => [r.data.buffer, r.data.byteOffset, r.data.byteOffset + r.data.byteLength]);
  for (let i = 0; i < ranges.length; i++)
    for (let j = i + 1; j < ranges.length; j++)
      if (ranges[i][0] === ranges[j][0])
        t.true(ranges[i][2] <= ranges[j][1] || ranges[j][2] <= ranges[i][1], `results ${i} and ${j} overlap`);
  results[1].data.fill(7);
  check(t, "a neighbour written over", results[0].data, c, 8, 5, "tanh");
  check(t, "a neighbour written over", results[2].data, c, 8, 5, "tanh");

  const { port1, port2 } = new MessageChannel();
  const received = new Promise((resolve) => port2.once("message", resolve));
  try {
    port1.postMessage(results[3].data, [/** @type {ArrayBuffer} */ (results[3].data.buffer)]);
  } catch (error) {
    t.log(`transfer refused: ${error.message}`); // newer Node versions throw for an untransferable buffer
  }
  for (const i of [0, 2, 3, 4]) check(t, `result ${i} after a transfer`, results[i].data, c, 8, 5, "tanh");
  if (Number(process.versions.node.split(".")[0]) < 21) t.is((await received).length, 1000);
  port1.close();
  port2.close();
});
