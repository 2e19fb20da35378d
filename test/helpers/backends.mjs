// The backends this machine has, so every test runs against each of them.
import { backends } from "../../dist/esm/index.mjs";

const report = backends();
const NAMES = ["cpu", "onnx", "cuda"];

export const availableBackends = NAMES.filter((name) => report[name].available);
// Backends with a synchronous path (onnxruntime-node has none).
export const syncBackends = availableBackends.filter((name) => name !== "onnx");
export const unavailableBackends = NAMES.filter((name) => !report[name].available).map((name) => `${name} (${report[name].reason})`);
