// The backends this machine has, so every test runs against each of them. TDFAST_REQUIRE_BACKENDS (CI sets
// "cpu,onnx") lists backends that must be available: one that fails to load is then a failure of every test
// file, not a shorter suite.
import { backends } from "../../dist/esm/index.mjs";

const report = backends();
/** @type {import("../../dist/esm/index.mjs").BackendName[]} */
const NAMES = ["cpu", "onnx", "cuda"];

const required = (process.env.TDFAST_REQUIRE_BACKENDS ?? "").split(",").filter(Boolean);
for (const name of required) {
  if (!(/** @type {string[]} */ (NAMES).includes(name)))
    throw new Error(`TDFAST_REQUIRE_BACKENDS: unknown backend ${JSON.stringify(name)} (expected ${NAMES.join(", ")})`);
  if (!report[name].available) throw new Error(`TDFAST_REQUIRE_BACKENDS names ${name}, which is unavailable: ${report[name].reason}`);
}

/** @type {import("../../dist/esm/index.mjs").BackendName[]} */
export const availableBackends = NAMES.filter((name) => report[name].available);
// Backends with a synchronous path (onnxruntime-node has none).
export const syncBackends = availableBackends.filter((name) => name !== "onnx");
export const unavailableBackends = NAMES.filter((name) => !report[name].available).map((name) => `${name} (${report[name].reason})`);
