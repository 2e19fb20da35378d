// Generated bad input, thousands of calls in one process: every one either works or throws an Error
// (TypeError / RangeError for bad arguments), and the process is alive at the end.

import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import test from "ava";

const child = fileURLToPath(new URL("./helpers/fuzz-child.mjs", import.meta.url));

for (const seed of [1, 2]) {
  test(`5000 malformed calls (seed ${seed}) end with the process alive`, (t) => {
    const output = execFileSync(process.execPath, [child], {
      env: { ...process.env, FUZZ_SEED: String(seed), FUZZ_CALLS: "5000" },
      encoding: "utf8",
    });
    const summary = JSON.parse(output.trim().split("\n").pop());
    t.log(JSON.stringify(summary.outcomes));
    t.true(summary.alive);
    t.is(summary.outcomes["non-Error"], undefined, "everything thrown is an Error");
    t.true((summary.outcomes.TypeError ?? 0) + (summary.outcomes.RangeError ?? 0) > 3000, "most calls are refused as bad arguments");
  });
}
