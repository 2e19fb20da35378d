// Time per call seen from JavaScript on the GPU machine (N-API, validation and the launch included), for the
// shapes where launch overhead dominates, next to the host-tensor path. Prints one JSON line per case.
import { backends, TimeDense, tensor } from "../../dist/esm/index.mjs";
import { medianMicros } from "../measure.mjs";

const cuda = backends().cuda;
if (!cuda.available) {
  console.log(JSON.stringify({ skipped: cuda.reason }));
  process.exit(0);
}

// Every call's result is a fresh cuda tensor on the device path: free it at once, untimed.
const timeCalls = (run, repeats) => medianMicros(run, repeats, { warmup: 50, afterCall: (result) => result?.dispose?.() });

/** @type {[number, number, number, number, import("../../dist/esm/index.mjs").Activation][]} */
const SHAPES = [
  [1, 1000, 64, 1, "sigmoid"],
  [32, 1000, 64, 1, "sigmoid"],
  [64, 4096, 128, 1, "sigmoid"],
  [8, 512, 256, 64, "softmax"],
];
const rows = [];
for (const [B, T, F, U, activation] of SHAPES) {
  const M = B * T;
  const x = new Float32Array(M * F).map((_, i) => Math.sin(i * 0.37));
  const kernel = tensor(
    new Float32Array(F * U).map((_, i) => Math.cos(i * 0.11) / Math.sqrt(F)),
    [F, U],
  );
  const layer = new TimeDense({ kernel, bias: new Float32Array(U).fill(0.1), activation, backend: "cuda" });
  const onDevice = tensor(x, [B, T, F], { device: "cuda" });
  const onHost = tensor(x, [B, T, F]);
  const repeats = M * F > 1e7 ? 50 : 500;
  rows.push({
    shape: `${B}x${T}x${F}->${U} ${activation}`,
    deviceAsyncMicros: await timeCalls(() => layer.apply(onDevice), repeats),
    deviceSyncMicros: await timeCalls(() => layer.applySync(onDevice), repeats),
    hostAsyncMicros: await timeCalls(() => layer.apply(onHost), repeats),
    hostSyncMicros: await timeCalls(() => layer.applySync(onHost), repeats),
  });
  onDevice.dispose();
  layer.dispose();
}
for (const row of rows) console.log(JSON.stringify(row));
console.log(`\nJavaScript-side time per call (median, µs), ${cuda.device.name}`);
console.log("shape                        device async  device sync  host async  host sync");
for (const r of rows)
  console.log(
    `${r.shape.padEnd(28)} ${r.deviceAsyncMicros.toFixed(1).padStart(12)} ${r.deviceSyncMicros.toFixed(1).padStart(12)} ${r.hostAsyncMicros.toFixed(1).padStart(11)} ${r.hostSyncMicros.toFixed(1).padStart(10)}`,
  );
