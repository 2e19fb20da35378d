// 100,000 calls on one backend (sync where it has a sync path, async, and one-off calls with fresh kernel
// objects), measuring resident memory once the process has reached its steady state and again at the end,
// with garbage collection forced at both points. The event loop turns every 1,000 calls, as in any program
// (native finalizers run there). Prints JSON.
import { TimeDense, tensor, timeDense } from "../../dist/esm/index.mjs";

const backend = /** @type {import("../../dist/esm/index.mjs").BackendChoice} */ (process.env.BACKEND);
const CALLS = 100_000;
const STEADY = 30_000;
// A fresh kernel object means new prepared weights (an onnxruntime session, which takes milliseconds).
const ONE_OFF_EVERY = backend === "onnx" ? 1000 : 10;
const x = tensor(
  new Float32Array(200 * 64).map((_, i) => Math.sin(i)),
  [2, 100, 64],
);
const kernel = tensor(
  new Float32Array(64 * 3).map((_, i) => Math.cos(i) / 8),
  [64, 3],
);
const layer = new TimeDense({ kernel, bias: new Float32Array(3), activation: "softmax", backend });
const sync = backend !== "onnx";

async function call(i) {
  if (i % 1000 === 0) await new Promise(setImmediate);
  if (i % ONE_OFF_EVERY === 0) {
    await timeDense(x, { kernel: tensor(kernel.data.slice(), [64, 3]), activation: "relu" }, { backend });
  } else if (sync && i % 2 === 0) {
    layer.applySync(x);
  } else {
    await layer.apply(x);
  }
}

async function settle() {
  for (let i = 0; i < 3; i++) {
    globalThis.gc();
    await new Promise(setImmediate);
  }
  return process.memoryUsage().rss;
}

for (let i = 0; i < STEADY; i++) await call(i);
const before = await settle();
for (let i = STEADY; i < CALLS; i++) await call(i);
const after = await settle();
console.log(
  JSON.stringify({
    backend,
    calls: CALLS,
    rssBeforeMiB: before / 2 ** 20,
    rssAfterMiB: after / 2 ** 20,
    growthMiB: (after - before) / 2 ** 20,
  }),
);
