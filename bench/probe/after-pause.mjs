// How much slower tdfast's first calls are after a pause (docs/benchmarks.md, "Measurements behind design
// choices"; the reason bench/measure.mjs's timeInterleaved opens each turn with untimed calls). 30 times each:
// a pause, then 20 calls of 32×1000×64 → 16 relu through apply() into one `out`; medians of calls 1–3 and 4–20.
//
//   npm run build:ts && node bench/probe/after-pause.mjs

import { setTimeout as sleep } from "node:timers/promises";

import { makeInputs, SHAPES } from "../shapes.mjs";
import { loadTdfast } from "../tools/tdfast.mjs";

const tdfast = await loadTdfast();
if (!tdfast) throw new Error("dist/ not built: run npm run build:ts");
const shape = SHAPES.find((s) => s.key === "32×1000×64→16 relu");
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
};
for (const [name, pause] of Object.entries(pauses)) {
  const first = [];
  const rest = [];
  for (let round = 0; round < 30; round++) {
    await pause();
    for (let i = 0; i < 20; i++) {
      const start = performance.now();
      await layer.apply(x, { out });
      (i < 3 ? first : rest).push((performance.now() - start) * 1000);
    }
  }
  console.log(`${name.padEnd(24)} calls 1-3: ${median(first).toFixed(0)} µs, calls 4-20: ${median(rest).toFixed(0)} µs`);
}
layer.dispose();
