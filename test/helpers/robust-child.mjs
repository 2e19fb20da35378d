// Scenarios that could take the whole process down, each run in a child process by robustness.test.mjs:
// `node robust-child.mjs <scenario>`. A scenario prints one JSON line and exits 0 when it survives.
import { readFileSync } from "node:fs";
import { Worker } from "node:worker_threads";

const entry = new URL("../../dist/esm/index.mjs", import.meta.url).href;
const scenario = process.argv[2];
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const threads = () => Number(/^Threads:\s+(\d+)/m.exec(readFileSync("/proc/self/status", "utf8"))[1]);

// A worker that computes large async calls back to back on `backend` and posts "busy" once the first is in
// flight; with `exitInside`, it calls process.exit() while its second call is in flight instead.
const COMPUTING_WORKER = `
  const { parentPort, workerData } = require("node:worker_threads");
  import(workerData.entry).then(async ({ TimeDense, backends }) => {
    const [rows, F, U] = [8192, 256, 64];
    const layer = new TimeDense({ kernel: { data: new Float32Array(F * U).fill(0.01), shape: [F, U] }, activation: "softmax", backend: workerData.backend });
    const x = { data: new Float32Array(rows * F).fill(0.5), shape: [rows, F] };
    parentPort.postMessage({ auto: backends().auto });
    await layer.apply(x);
    const pending = layer.apply(x);
    if (workerData.exitInside) process.exit(0);
    parentPort.postMessage("busy");
    await pending;
    for (;;) await layer.apply(x);
  });
`;

/** The `auto` backend each computing worker reported from inside. @type {WeakMap<Worker, string | null>} */
const reportedAuto = new WeakMap();

function startComputing(backend, exitInside = false) {
  const worker = new Worker(COMPUTING_WORKER, { eval: true, workerData: { entry, backend, exitInside } });
  const busy = new Promise((resolve, reject) => {
    worker.on("message", (message) => {
      if (message === "busy") resolve();
      else reportedAuto.set(worker, message.auto);
    });
    worker.on("error", reject);
    worker.on("exit", () => resolve());
  });
  const exited = new Promise((resolve) => worker.on("exit", resolve));
  return { worker, busy, exited };
}

const scenarios = {
  // worker.terminate() while async calls are in flight, several workers at once, several rounds.
  async terminate() {
    const autos = new Set();
    for (let round = 0; round < 4; round++) {
      const workers = [0, 1, 2].map(() => startComputing(round % 2 ? "auto" : "cpu"));
      await Promise.all(workers.map((w) => w.busy));
      for (const [i, w] of workers.entries()) {
        if (reportedAuto.get(w.worker)) autos.add(reportedAuto.get(w.worker));
        await sleep(i * 3);
        await w.worker.terminate();
      }
    }
    return { autos: [...autos] };
  },
  // process.exit() inside a worker while its call is in flight.
  async exitInWorker() {
    const codes = [];
    for (let i = 0; i < 6; i++) codes.push(await startComputing("cpu", true).exited);
    return { codes };
  },
  // process.exit() on the main thread while workers compute: the process must exit with that code.
  async exitInMain() {
    const workers = [0, 1, 2].map(() => startComputing("cpu"));
    await Promise.all(workers.map((w) => w.busy));
    await sleep(5);
    process.exit(7);
  },
  // Workers that use the thread pool and end normally, while this thread never loads tdfast: the addon is
  // unloaded after each, and its pool must have ended with it (no crash, no leaked threads).
  async poolUnload() {
    const source = `
      const { parentPort, workerData } = require("node:worker_threads");
      import(workerData.entry).then(async ({ TimeDense }) => {
        const [rows, F] = [20000, 64];
        const layer = new TimeDense({ kernel: { data: new Float32Array(F).fill(0.1), shape: [F, 1] }, activation: "sigmoid", backend: "cpu" });
        const x = { data: new Float32Array(rows * F).fill(1), shape: [rows, F] };
        const a = layer.applySync(x).data[0];
        const b = (await layer.apply({ data: new Float32Array(rows * 16 * F).fill(1), shape: [rows * 16, F] })).data[0];
        parentPort.postMessage([a, b]);
      });
    `;
    const counts = [];
    let values;
    for (let i = 0; i < 40; i++) {
      const worker = new Worker(source, { eval: true, workerData: { entry } });
      worker.on("message", (message) => (values = message));
      await new Promise((resolve, reject) => {
        worker.on("exit", resolve);
        worker.on("error", reject);
      });
      if (i === 4 || i === 39) counts.push(threads());
    }
    return { threadsAfter5: counts[0], threadsAfter40: counts[1], values };
  },
  // An async call's buffers cannot be detached while it runs: transferring them is refused or copies.
  async transferDuringCall() {
    const { TimeDense, timeDenseSync } = await import(entry);
    const [rows, F, U] = [20000, 128, 8];
    const kernel = { data: Float32Array.from({ length: F * U }, (_, i) => Math.sin(i)), shape: [F, U] };
    const layer = new TimeDense({ kernel, activation: "tanh", backend: "cpu" });
    const outcomes = [];
    for (const target of ["x", "out"]) {
      for (let i = 0; i < 4; i++) {
        const data = Float32Array.from({ length: rows * F }, (_, j) => Math.cos(j % 977));
        const expected = timeDenseSync({ data, shape: [rows, F] }, { kernel, activation: "tanh" }, { backend: "cpu" }).data.slice();
        const out = new Float32Array(rows * U);
        const pending = layer.apply({ data, shape: [rows, F] }, { out });
        const buffer = target === "x" ? data.buffer : out.buffer;
        try {
          structuredClone(buffer, { transfer: [buffer] });
          outcomes.push(buffer.byteLength === 0 ? "detached" : "copied");
        } catch (error) {
          outcomes.push(error.name);
        }
        globalThis.gc();
        const y = await pending;
        if (y.data !== out || out.some((v, j) => Math.abs(v - expected[j]) > 1e-6))
          throw new Error(`wrong result after transferring ${target}`);
      }
    }
    return { outcomes: [...new Set(outcomes)] };
  },
  // A native allocation that fails (under a lowered address-space limit) throws; the process goes on. The
  // kernel (600 MB in JavaScript) is packed natively into panels of 16 units, 1.9 GB, which the limit refuses:
  // F is not a multiple of 4, because the quad layout (AVX-512, F a multiple of 4) packs U = 5 into 960 MB.
  async outOfMemory() {
    const { TimeDense, tensor } = await import(entry);
    const errors = [];
    const F = 30e6 + 2;
    const layer = new TimeDense({ kernel: tensor(new Float32Array(F * 5), [F, 5]), backend: "cpu" });
    try {
      layer.applySync(tensor(new Float32Array(F), [1, F]));
      errors.push("no error");
    } catch (error) {
      errors.push({ name: error.name, code: error.code, message: error.message });
    }
    try {
      await layer.apply(tensor(new Float32Array(F), [1, F])); // the async entry point, preparing again
      errors.push("no error");
    } catch (error) {
      errors.push({ name: error.name, code: error.code, message: error.message });
    }
    const y = new TimeDense({ kernel: tensor(Float32Array.of(2), [1, 1]), backend: "cpu" }).applySync(tensor(Float32Array.of(3), [1, 1]));
    return { errors, after: y.data[0] };
  },
  // Object.prototype polluted by "some other library": no option is read through the prototype chain.
  async pollutedPrototype() {
    const { TimeDense, tensor, timeDenseSync, timeDense } = await import(entry);
    const x = tensor(Float32Array.of(1, 2, 3, 4), [2, 2]);
    const kernel = tensor(Float32Array.of(1, 0, 0, 1), [2, 2]);
    const clean = timeDenseSync(x, { kernel }).data.slice();
    // Polluted on purpose, with keys Object.prototype does not declare.
    const objectPrototype = /** @type {any} */ (Object.prototype);
    objectPrototype.bias = Float32Array.of(100, 100);
    objectPrototype.out = new Float32Array(4);
    objectPrototype.activation = "relu6";
    objectPrototype.backend = "no-such-backend";
    objectPrototype.device = "cuda";
    try {
      const results = [
        timeDenseSync(x, { kernel }).data,
        (await timeDense(x, { kernel }, {})).data,
        new TimeDense({ kernel }).applySync(x, {}).data,
        (await new TimeDense({ kernel }).apply(x)).data,
        timeDenseSync(tensor(Float32Array.of(1, 2, 3, 4), [2, 2], {}), { kernel }).data,
      ];
      return { clean: [...clean], results: results.map((r) => [...r]), outUntouched: objectPrototype.out.every((v) => v === 0) };
    } finally {
      for (const key of ["bias", "out", "activation", "backend", "device"]) delete objectPrototype[key];
    }
  },
  // One-off calls with a fresh wrapper object per call, in a loop that never yields: memory stays flat.
  async oneOffLoop() {
    const { tensor, timeDenseSync } = await import(entry);
    const [F, U] = [64, 4];
    const k = Float32Array.from({ length: F * U }, (_, i) => Math.sin(i));
    const x = tensor(new Float32Array(10 * F).fill(0.5), [10, F]);
    let rssAfterWarmUp = 0;
    for (let i = 0; i < 200000; i++) {
      timeDenseSync(x, { kernel: tensor(k, [F, U]), bias: new Float32Array(U) });
      if (i === 5000) rssAfterWarmUp = process.memoryUsage.rss();
    }
    return { growthMiB: (process.memoryUsage.rss() - rssAfterWarmUp) / 2 ** 20 };
  },
  // TDFAST_THREADS is read once, when the addon loads: changing it later changes nothing, not even the first
  // parallel call's pool size.
  async threadsReadOnce() {
    const { TimeDense } = await import(entry);
    const { nativeBinding } = await import(new URL("../../dist/cjs/binding.js", import.meta.url).href);
    const loaded = nativeBinding();
    process.env.TDFAST_THREADS = "bogus";
    const layer = new TimeDense({ kernel: { data: new Float32Array(64).fill(0.5), shape: [64, 1] }, backend: "cpu" });
    const y = layer.applySync({ data: new Float32Array(64 * 20000).fill(1), shape: [20000, 64] }); // uses the pool
    return { threads: loaded.binding.info().threads, value: y.data[0] };
  },
  // TDFAST_THREADS and the usable cores, as the addon reports them.
  async threads() {
    const { backends } = await import(entry);
    const { nativeBinding } = await import(new URL("../../dist/cjs/binding.js", import.meta.url).href);
    const state = nativeBinding();
    return { cpu: backends().cpu, threads: state.binding ? state.binding.info().threads : null };
  },
};

const result = await scenarios[scenario]();
console.log(JSON.stringify(result));
