// Each instruction-set variant of the CPU kernel this machine can run gives the reference's answers.
// The variant is chosen once per process, so each runs in a child process with TDFAST_SIMD set.
import test from "ava";
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";

import { backends } from "../dist/esm/index.mjs";

const child = fileURLToPath(new URL("./helpers/simd-child.mjs", import.meta.url));
const cpu = backends().cpu;

for (const simd of ["avx512", "avx2", "generic"]) {
  test(`the ${simd} kernels match the reference`, (t) => {
    if (!cpu.available) return t.pass(`cpu backend unavailable: ${cpu.reason}`);
    const output = execFileSync(process.execPath, [child], { env: { ...process.env, TDFAST_SIMD: simd }, encoding: "utf8" });
    const result = JSON.parse(output);
    if (result.simd !== simd) {
      t.log(`this CPU cannot run ${simd}; it ran ${result.simd}`);
      t.not(simd, "generic", "the portable kernels run everywhere");
    }
    t.deepEqual(result.failures, []);
    t.true(result.checked > 1000);
  });
}
