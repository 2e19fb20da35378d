// The async path: the event loop keeps ticking during a long call, overlapping calls stay correct, and the
// addon loads and computes in several worker_threads at once.

import { Worker } from "node:worker_threads";
import test from "ava";

import { TimeDense, tensor, timeDense } from "../dist/esm/index.mjs";
import { availableBackends } from "./helpers/backends.mjs";
import { withTimerGaps } from "./helpers/cases.mjs";
import { firstMismatch, randomArray, randomGenerator, referenceDense } from "./helpers/reference.mjs";

for (const backend of availableBackends) {
  test.serial(`the event loop keeps ticking during a large async call (${backend})`, async (t) => {
    // softmax over 512 units: about 0.5 GFLOP per 1000 rows. Rows grow until one call lasts at least 20 ms
    // on this backend (a GPU needs many more than a CPU), so that a stalled loop would show.
    const random = randomGenerator(3);
    const [F, U] = [512, 512];
    const layer = new TimeDense({ kernel: tensor(randomArray(F * U, random, 0.05), [F, U]), activation: "softmax", backend });
    const source = randomArray(20000 * F, random);
    await layer.apply(tensor(source.subarray(0, 64 * F), [64, F])); // warm-up: sessions, pools
    for (let copies = 1; ; copies *= 4) {
      const rows = 20000 * copies;
      const data = new Float32Array(rows * F);
      for (let c = 0; c < copies; c++) data.set(source, c * source.length);
      const { result: y, duration, largestGap } = await withTimerGaps(() => layer.apply(tensor(data, [rows, F])));
      t.is(y.data.length, rows * U);
      if (duration < 20 && copies < 64) continue;
      t.log(`${backend}: ${rows} rows, call ${duration.toFixed(1)} ms, largest timer gap ${largestGap.toFixed(1)} ms`);
      t.true(duration >= 20, `the call must be long enough to measure (${duration.toFixed(1)} ms)`);
      t.true(largestGap < duration / 4, `gap ${largestGap.toFixed(1)} ms vs call ${duration.toFixed(1)} ms`);
      break;
    }
    layer.dispose();
  });

  test(`hundreds of overlapping async calls with different shapes are all correct (${backend})`, async (t) => {
    const random = randomGenerator(17);
    const cases = [];
    for (let i = 0; i < 300; i++) {
      const F = 1 + (i % 13) * 5;
      const U = 1 + (i % 7) * 3;
      const rows = 1 + ((i * 7919) % (i % 10 === 0 ? 30000 : 300));
      const x = randomArray(rows * F, random);
      const kernel = randomArray(F * U, random, 1 / Math.sqrt(F));
      const bias = randomArray(U, random);
      const activation = /** @type {const} */ (["sigmoid", "relu", "softmax", "tanh"])[i % 4];
      cases.push({ rows, F, U, x, kernel, bias, activation });
    }
    const results = await Promise.all(
      cases.map((c) =>
        timeDense(
          tensor(c.x, [c.rows, c.F]),
          { kernel: tensor(c.kernel, [c.F, c.U]), bias: c.bias, activation: c.activation },
          { backend },
        ),
      ),
    );
    results.forEach((y, i) => {
      const c = cases[i];
      const bad = firstMismatch(y.data, referenceDense(c.x, c.rows, c.F, c.kernel, c.bias, c.U, c.activation));
      t.is(bad, -1, `case ${i}`);
    });
  });
}

const WORKER_SOURCE = `
  const { parentPort, workerData } = require("node:worker_threads");
  import(workerData.entry).then(async ({ TimeDense, tensor }) => {
    const { x, kernel, rows, F, U } = workerData;
    const layer = new TimeDense({ kernel: tensor(kernel, [F, U]), activation: "gelu" });
    let y;
    for (let i = 0; i < 20; i++) y = i % 2 ? layer.applySync(tensor(x, [rows, F])) : await layer.apply(tensor(x, [rows, F]));
    parentPort.postMessage(y.data);
  }).catch((error) => parentPort.postMessage(String(error && error.stack)));
`;

test("several worker_threads load the addon and compute at the same time", async (t) => {
  const random = randomGenerator(23);
  const jobs = [0, 1, 2, 3].map((i) => {
    const [rows, F, U] = [2000 + i * 1000, 32 + i, 1 + i * 5];
    return { rows, F, U, x: randomArray(rows * F, random), kernel: randomArray(F * U, random, 0.2) };
  });
  const entry = new URL("../dist/esm/index.mjs", import.meta.url).href;
  const outputs = await Promise.all(
    jobs.map(
      (job) =>
        new Promise((resolve, reject) => {
          const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { ...job, entry } });
          worker.once("message", resolve);
          worker.once("error", reject);
        }),
    ),
  );
  outputs.forEach((output, i) => {
    t.true(output instanceof Float32Array, String(output));
    const job = jobs[i];
    t.is(firstMismatch(output, referenceDense(job.x, job.rows, job.F, job.kernel, null, job.U, "gelu")), -1, `worker ${i}`);
  });
});
