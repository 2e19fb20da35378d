// Every tool the benchmark compares, in the order the table lists them.
//
// A tool is { id, label, family, init(options), setup(shape, inputs), relativeCost?(shape) }:
//   init       → { available: true, detail? } or { available: false, reason } (checked once per run)
//   setup      → { run, dispose }: prepares weights/sessions untimed; run() computes y for the shape's inputs and
//                returns it as a Float32Array (sync or as a promise); only run() is timed
//   relativeCost(shape) (optional) scales the smallest shape's time into an estimate for a larger shape, so a
//                tool is skipped where one call would take too long; by default it scales with the arithmetic.

import { onnxruntimeTool } from "./onnxruntime.mjs";
import { plainJsTool } from "./plain-js.mjs";
import { tdfastTools } from "./tdfast.mjs";
import { tfjsTools } from "./tfjs.mjs";

/** The tool whose medians every ratio divides (the "vs ORT" column and the targets). */
export const BASELINE_ID = "onnxruntime";
/** The tool whose output every other tool is checked against. */
export const REFERENCE_ID = "tdfast-cpu";

export const allTools = () => [...tdfastTools(), onnxruntimeTool(), ...tfjsTools(), plainJsTool()];
