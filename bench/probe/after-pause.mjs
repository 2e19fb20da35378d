// How much slower tdfast's calls are right after a pause, and for how long (docs/benchmarks.md, "Measurements
// behind design choices"; the reason bench/measure.mjs's timeInterleaved opens each turn with untimed calls
// that last a time). 30 times each: a pause, then calls of a shape of bench/shapes.mjs (32×1000×64 → 16 relu
// unless named) through apply() into one `out` for 160 ms; the median call in each window of time since the
// pause ended.
//
//   npm run build:ts && node bench/probe/after-pause.mjs ["64×4096×128→1 sigmoid"]

import { setTimeout as sleep } from "node:timers/promises";

import { makeInputs, SHAPES } from "../shapes.mjs";
import { loadTdfast } from "../tools/tdfast.mjs";

const tdfast = await loadTdfast();
if (!tdfast) throw new Error("dist/ not built: run npm run build:ts");
const shapeKey = process.argv[2] ?? "32×1000×64→16 relu";
const shape = SHAPES.find((s) => s.key === shapeKey);
if (!shape) throw new Error(`no shape ${shapeKey} in bench/shapes.mjs`);
const { batch, time, features: F, units: U, activation } = shape;
const inputs = makeInputs(shape);
const layer = new tdfast.TimeDense({ kernel: tdfast.tensor(inputs.kernel, [F, U]), bias: inputs.bias, activation, backend: "cpu" });
const x = tdfast.tensor(inputs.x, [batch, time, F]);
const out = new Float32Array(batch * time * U);
const junk = new Float32Array(16 * 2 ** 20); // 64 MiB, more than the last-level cache

const median = (values) => [...values].sort((a, b) => a - b)[values.length >> 1];
const pauses = {
  "no pause": async () => {},
  "sleep 20 ms": () => sleep(20),
  "main thread busy 20 ms": async () => {
    const end = performance.now() + 20;
    while (performance.now() < end);
  },
  "read 64 MiB": async () => {
    let sum = 0;
    for (let i = 0; i < junk.length; i += 16) sum += junk[i];
    junk[0] = sum;
  },
  "allocate 3 × 32 MiB": async () => {
    for (let i = 0; i < 3; i++) new Float32Array(8 * 2 ** 20)[1] = 1;
  },
};
const windowEnds = [2, 5, 10, 20, 40, 80, 160]; // ms since the pause ended
for (const [name, pause] of Object.entries(pauses)) {
  const windows = windowEnds.map(() => []);
  for (let round = 0; round < 30; round++) {
    await pause();
    const pauseEnd = performance.now();
    for (;;) {
      const start = performance.now();
      if (start - pauseEnd >= windowEnds.at(-1)) break;
      await layer.apply(x, { out });
      windows[windowEnds.findIndex((end) => start - pauseEnd < end)].push((performance.now() - start) * 1000);
    }
  }
  const cells = windowEnds.map((end, i) => `< ${end} ms: ${windows[i].length ? median(windows[i]).toFixed(0) : "-"}`);
  console.log(`${name.padEnd(22)} ${cells.join("  ")} (µs)`);
  globalThis.gc?.();
}
layer.dispose();
