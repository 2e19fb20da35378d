// The speed targets of tdfast's cpu backend (async apply), as ratios of medians measured in the same run.

import { pairedRatios } from "./measure.mjs";

const SMALL = "1×1000×64→1 sigmoid";

export const TARGETS = [
  { shapeKey: SMALL, toolId: "tdfast-cpu", versusId: "onnxruntime", atLeast: 3 },
  { shapeKey: "32×1000×64→1 sigmoid", toolId: "tdfast-cpu", versusId: "onnxruntime", atLeast: 1.1 },
  { shapeKey: "64×4096×128→1 sigmoid", toolId: "tdfast-cpu", versusId: "onnxruntime", atLeast: 1.1 },
  { shapeKey: "32×1000×64→16 relu", toolId: "tdfast-cpu", versusId: "onnxruntime", atLeast: 1.0 },
  { shapeKey: "8×512×256→64 softmax", toolId: "tdfast-cpu", versusId: "onnxruntime", atLeast: 1.0 },
  { shapeKey: SMALL, toolId: "tdfast-cpu", versusId: "tfjs-time-distributed", atLeast: 5000 },
];

/**
 * float16 x (bench/float16.mjs): against the same backend reading float32 x, and against onnxruntime-node.
 *
 * float16 x against float32 x is judged on the rows that write into a caller's `out`. Both sides return the
 * same float32 result, so a fresh one costs both the same allocation, and that cost is the allocator's, not
 * the kernel's: in a full `npm run bench` a fresh 1 MB result added 0.27–0.38 ms a call to the pair, against
 * 1.24 ms for the whole float16 call into `out`, which pulled the memory-bound ratio from 2.00× to 1.70×. (In
 * some states glibc's malloc hands freed results back to the OS and every new one page-faults all of its
 * 4 KiB pages: docs/benchmarks.md.) The fresh-result rows are still printed beside them.
 *
 * The relu shape is compute-bound: float16 x and float32 x run the same multiply-adds, so the best float16 x can
 * do there is parity, and "no slower" is tested as such (`noSlower`, see checkTargets).
 */
const FLOAT16_LARGE = "64×4096×128→1 sigmoid float16";
export const FLOAT16_TARGETS = [
  { shapeKey: FLOAT16_LARGE, toolId: "tdfast-cpu-f16-out", versusId: "tdfast-cpu-out", atLeast: 1.7 },
  { shapeKey: FLOAT16_LARGE, toolId: "tdfast-cpu-f16", versusId: "onnxruntime", atLeast: 3 },
  {
    shapeKey: "32×1000×64→16 relu float16",
    toolId: "tdfast-cpu-f16-out",
    versusId: "tdfast-cpu-out",
    atLeast: 1.0,
    noSlower: true,
  },
];

/**
 * @typedef {{ shapeKey: string, toolId: string, versusId: string, atLeast: number, noSlower?: boolean }} Target
 * @typedef {Target & { toolLabel: string, versusLabel: string, status: "PASS" | "MISS" | "SKIP", reason?: string,
 *   speedup?: number, perRound?: { rounds: number, median: number, low: number, high: number } }} CheckedTarget
 */

/**
 * Each target whose shape ran: PASS or MISS with the measured speedup (versus median / tool median), or SKIP
 * when either side has no median (unavailable, skipped or failed) and why. Where both sides have per-round
 * medians, `perRound` is pairedRatios' median and 95 % interval of the round-by-round speedups.
 *
 * A `noSlower` target (atLeast 1) compares two paths that are at parity by construction. A ratio of medians
 * ≥ 1 would then pass or miss by the run's noise alone, about one run in two whatever the code does; such a
 * target misses when the tool is slower beyond that noise: when the whole interval of round-by-round speedups
 * lies below 1 (a slower path, e.g. float16 x's old 1.03–1.33× on the relu shape, misses). Without
 * per-round medians it falls back to the ratio of medians.
 * @param {any[]} shapes
 * @param {Target[]} [targets]
 * @returns {CheckedTarget[]}
 */
export function checkTargets(shapes, targets = TARGETS) {
  /** @type {CheckedTarget[]} */
  const checked = [];
  for (const target of targets) {
    const shape = shapes.find((s) => s.key === target.shapeKey);
    if (!shape) continue;
    const cell = (id) => shape.cells.find((c) => c.toolId === id);
    const tool = cell(target.toolId);
    const versus = cell(target.versusId);
    const base = { ...target, toolLabel: tool?.label ?? target.toolId, versusLabel: versus?.label ?? target.versusId };
    if (tool?.medianSeconds === undefined || versus?.medianSeconds === undefined) {
      const missing = tool?.medianSeconds === undefined ? base.toolLabel : base.versusLabel;
      checked.push({ ...base, status: "SKIP", reason: `no median for ${missing}` });
      continue;
    }
    const speedup = versus.medianSeconds / tool.medianSeconds;
    const perRound = pairedRatios(tool.roundMedians, versus.roundMedians);
    const met = target.noSlower && perRound ? perRound.high >= target.atLeast : speedup >= target.atLeast;
    checked.push({ ...base, status: met ? "PASS" : "MISS", speedup, ...(perRound ? { perRound } : {}) });
  }
  return checked;
}
