// Precision where a small absolute error is a large relative one: the sigmoid/silu tail, tanh near 0, large
// logits in (log_)softmax — on every backend, and on the cpu backend for every SIMD variant this CPU runs (the
// variant is chosen once per process, so each runs in a child process).

import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import test from "ava";

import { availableBackends } from "./helpers/backends.mjs";
import { SIMD_BASELINE, SIMD_VARIANTS } from "./helpers/simd-variants.mjs";

const child = fileURLToPath(new URL("./helpers/precision-child.mjs", import.meta.url));

/** @typedef {{ backend: import("../dist/esm/index.mjs").BackendName, simd: string | undefined }} Run */

const runs = availableBackends.flatMap(
  /** @returns {Run[]} */ (backend) =>
    backend === "cpu" ? SIMD_VARIANTS.map((simd) => ({ backend, simd })) : [{ backend, simd: undefined }],
);

for (const { backend, simd } of runs) {
  test(`tails, tiny inputs and large logits keep their relative accuracy (${backend}${simd ? ` ${simd}` : ""})`, (t) => {
    const env = { ...process.env };
    if (simd) env.TDFAST_SIMD = simd;
    const result = JSON.parse(execFileSync(process.execPath, [child, backend], { env, encoding: "utf8" }));
    if (simd && result.simd !== simd) {
      t.log(`this CPU cannot run ${simd}; it ran ${result.simd}`);
      t.false(SIMD_BASELINE.includes(simd), `the ${simd} kernels run on every ${process.arch} CPU`);
    }
    t.deepEqual(result.failures, []);
    t.true(result.checked > 2000);
  });
}
