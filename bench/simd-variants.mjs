#!/usr/bin/env node
// Speed of each instruction-set variant of the CPU kernels this build has (x64: avx512, avx2, generic; arm64:
// neon, generic) relative to the portable one, on one thread, for U = 1 (the dot path's gemvRows), U = 4 (dotRows)
// and U = 16 and 64 (the register-blocked panel path). The variant is chosen once per process, so each runs in
// a child process with TDFAST_SIMD set; the children run in turns, `--rounds` times, and each shape's figure is
// the median of all its calls. Under emulation (scripts/test-arm64.cjs --bench) only the ratios mean anything.
//
//   node bench/simd-variants.mjs [--rounds=3] [--calls=15] [--activation=sigmoid]

import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const SHAPES = [
  { rows: 4096, features: 64, units: 1 },
  { rows: 2048, features: 64, units: 4 },
  { rows: 512, features: 64, units: 16 },
  { rows: 256, features: 64, units: 64 },
];
const VARIANTS = { x64: ["avx512", "avx2", "generic"], arm64: ["neon", "generic"] }[process.arch] ?? ["generic"];

const { values: args } = parseArgs({
  options: {
    rounds: { type: "string", default: "3" },
    calls: { type: "string", default: "15" },
    activation: { type: "string", default: "sigmoid" },
    child: { type: "boolean" },
  },
});
const calls = Number(args.calls);

/** Times `calls` runSync calls per shape with the variant this process chose; prints { simd, times: seconds[][] }. */
async function child() {
  const { nativeBinding } = await import("../dist/cjs/binding.js");
  const { lookupActivation } = await import("../dist/cjs/activations.js");
  const activation = lookupActivation(args.activation)?.id;
  if (activation === undefined) throw new Error(`unknown activation ${args.activation}`);
  const { binding, error } = nativeBinding();
  if (!binding) throw new Error(error);
  const times = SHAPES.map(({ rows, features, units }) => {
    const x = Float32Array.from({ length: rows * features }, (_, i) => Math.sin(i));
    const kernel = Float32Array.from({ length: features * units }, (_, i) => Math.cos(i) / 8);
    const bias = Float32Array.from({ length: units }, (_, i) => i / 16);
    const out = new Float32Array(rows * units);
    const weights = new binding.Weights(kernel, bias, features, units, activation);
    weights.runSync(x, rows, out); // warm-up
    const seconds = [];
    for (let call = 0; call < calls; call++) {
      const start = process.hrtime.bigint();
      weights.runSync(x, rows, out);
      seconds.push(Number(process.hrtime.bigint() - start) / 1e9);
    }
    weights.dispose();
    return seconds;
  });
  console.log(JSON.stringify({ simd: binding.info().simd, times }));
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

function parent() {
  const self = fileURLToPath(import.meta.url);
  /** @type {Map<string, number[][]>} */
  const times = new Map(VARIANTS.map((variant) => [variant, SHAPES.map(() => [])]));
  const ran = new Map();
  for (let round = 0; round < Number(args.rounds); round++)
    for (const variant of VARIANTS) {
      const output = execFileSync(process.execPath, [self, "--child", `--calls=${calls}`, `--activation=${args.activation}`], {
        env: { ...process.env, TDFAST_SIMD: variant, TDFAST_THREADS: "1" },
        encoding: "utf8",
      });
      const result = JSON.parse(output);
      ran.set(variant, result.simd);
      result.times.forEach((seconds, shape) => {
        times.get(variant)[shape].push(...seconds);
      });
    }
  const generic = times.get("generic").map(median);
  console.log(`${process.arch}, Node ${process.version}, one thread, ${args.activation}; median of ${Number(args.rounds) * calls} calls`);
  console.log(["variant (ran)", ...SHAPES.map(({ rows, features, units }) => `${rows}x${features}->${units}`)].join("\t"));
  for (const variant of VARIANTS) {
    const cells = times.get(variant).map((seconds, shape) => {
      const value = median(seconds);
      return `${(value * 1e3).toFixed(3)} ms (${(generic[shape] / value).toFixed(2)}x)`;
    });
    console.log([`${variant} (${ran.get(variant)})`, ...cells].join("\t"));
  }
}

if (args.child) await child();
else parent();
