// Each instruction-set variant of the CPU kernel this machine can run gives the reference's answers.
// The variant is chosen once per process, so each runs in a child process with TDFAST_SIMD set.

import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import test from "ava";

import { availableBackends, unavailableBackends } from "./helpers/backends.mjs";
import { SIMD_BASELINE, SIMD_VARIANTS } from "./helpers/simd-variants.mjs";

const child = fileURLToPath(new URL("./helpers/simd-child.mjs", import.meta.url));

if (!availableBackends.includes("cpu")) {
  // Reported, not passed: a machine without the native addon has no SIMD kernels to test.
  test.skip(`the SIMD kernels (cpu backend unavailable: ${unavailableBackends.join("; ")})`, () => {});
}
for (const simd of availableBackends.includes("cpu") ? SIMD_VARIANTS : []) {
  test(`the ${simd} kernels match the reference`, (t) => {
    const output = execFileSync(process.execPath, [child], { env: { ...process.env, TDFAST_SIMD: simd }, encoding: "utf8" });
    const result = JSON.parse(output);
    if (result.simd !== simd) {
      t.log(`this CPU cannot run ${simd}; it ran ${result.simd}`);
      t.false(SIMD_BASELINE.includes(simd), `the ${simd} kernels run on every ${process.arch} CPU`);
    }
    t.deepEqual(result.failures, []);
    t.true(result.checked > 1000);
  });
}
