// 100,000 calls per backend leave resident memory flat: once the first 30,000 calls have brought the process to
// its steady state, the remaining 70,000 may add at most 16 MiB (allocator and JIT noise; leaking one call's
// 2.4 KB output each time would add 160 MiB, leaking the packed weights of each one-off call 7 MiB more).

import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import test from "ava";

import { availableBackends } from "./helpers/backends.mjs";

const child = fileURLToPath(new URL("./helpers/memory-child.mjs", import.meta.url));
const BOUND_MIB = 16;

for (const backend of availableBackends) {
  test(`100,000 calls keep resident memory flat (${backend})`, (t) => {
    // A fixed young generation: V8 otherwise grows it under allocation pressure (about 34 MiB of heap capacity
    // over the first ~100,000 calls here), which would hide a native leak behind a legitimate heap resize.
    const output = execFileSync(process.execPath, ["--expose-gc", "--max-semi-space-size=2", child], {
      env: { ...process.env, BACKEND: backend },
      encoding: "utf8",
    });
    const result = JSON.parse(output.trim().split("\n").pop());
    t.log(
      `${backend}: RSS ${result.rssBeforeMiB.toFixed(1)} → ${result.rssAfterMiB.toFixed(1)} MiB (${result.growthMiB >= 0 ? "+" : ""}${result.growthMiB.toFixed(1)} MiB over the last 70,000 calls)`,
    );
    t.true(result.growthMiB < BOUND_MIB, `grew ${result.growthMiB.toFixed(1)} MiB`);
  });
}
