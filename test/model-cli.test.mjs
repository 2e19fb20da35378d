// npx tdfast inspect: the table, --json, --config, and errors on stderr with their code.

import { spawnSync } from "node:child_process";
import test from "ava";

const CLI = new URL("../dist/cjs/cli.js", import.meta.url).pathname;
const file = (name) => new URL(`./fixtures/models/${name}`, import.meta.url).pathname;
const run = (...args) => spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8" });

test("inspect prints name, class, F → U, activation and dtype", (t) => {
  const { status, stdout } = run("inspect", file("nested.keras"));
  t.is(status, 0);
  t.deepEqual(stdout.trimEnd().split("\n"), [
    "#  name                class            F → U  activation  dtype",
    "0  encoder/inner_head  TimeDistributed  4 → 6  tanh        float32",
    "1  probs               Dense            7 → 3  softmax     float32",
  ]);
  const bf16 = run("inspect", file("bfloat16.keras"));
  t.regex(bf16.stdout, /^0 {2}head {2}TimeDistributed {2}5 → 2 {2}gelu {8}bfloat16$/m);
});

test("inspect --json and --config", (t) => {
  const { status, stdout } = run("inspect", file("seed.weights.h5"), "--config", file("seed.config.json"), "--json");
  t.is(status, 0);
  const [layer] = JSON.parse(stdout);
  t.like(layer, { index: 0, name: "output", className: "TimeDistributed", features: 5, units: 1, activation: "sigmoid", dtype: "float32" });
});

test("errors go to stderr with their code; usage errors exit 2", (t) => {
  const missing = run("inspect", "/nonexistent/model.keras");
  t.is(missing.status, 1);
  t.regex(missing.stderr, /cannot open the file \(ENOENT\) \(ERR_TDFAST_MODEL_FILE\)/);
  const weightsOnly = run("inspect", file("seed.weights.h5"));
  t.is(weightsOnly.status, 1);
  t.regex(weightsOnly.stderr, /ERR_TDFAST_MODEL_FORMAT/);
  t.is(run("frobnicate").status, 2);
  t.is(run("inspect", "--config").status, 2);
  t.regex(run("--help").stdout, /^usage: tdfast inspect/);
});
