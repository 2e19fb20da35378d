// The speed targets of tdfast's cpu backend (async apply), as ratios of medians measured in the same run.

const SMALL = "1×1000×64→1 sigmoid";

export const TARGETS = [
  { shapeKey: SMALL, toolId: "tdfast-cpu", versusId: "onnxruntime", atLeast: 3 },
  { shapeKey: "32×1000×64→1 sigmoid", toolId: "tdfast-cpu", versusId: "onnxruntime", atLeast: 1.1 },
  { shapeKey: "64×4096×128→1 sigmoid", toolId: "tdfast-cpu", versusId: "onnxruntime", atLeast: 1.1 },
  { shapeKey: "32×1000×64→16 relu", toolId: "tdfast-cpu", versusId: "onnxruntime", atLeast: 1.0 },
  { shapeKey: "8×512×256→64 softmax", toolId: "tdfast-cpu", versusId: "onnxruntime", atLeast: 1.0 },
  { shapeKey: SMALL, toolId: "tdfast-cpu", versusId: "tfjs-time-distributed", atLeast: 5000 },
];

/** float16 x (bench/float16.mjs): against the same backend reading float32 x, and against onnxruntime-node. */
const FLOAT16_LARGE = "64×4096×128→1 sigmoid float16";
export const FLOAT16_TARGETS = [
  { shapeKey: FLOAT16_LARGE, toolId: "tdfast-cpu-f16", versusId: "tdfast-cpu", atLeast: 1.7 },
  { shapeKey: FLOAT16_LARGE, toolId: "tdfast-cpu-f16", versusId: "onnxruntime", atLeast: 3 },
  { shapeKey: "32×1000×64→16 relu float16", toolId: "tdfast-cpu-f16", versusId: "tdfast-cpu", atLeast: 1.0 },
];

/**
 * Each target whose shape ran: PASS or MISS with the measured speedup (versus median / tool median), or SKIP
 * when either side has no median (unavailable, skipped or failed) and why.
 */
export function checkTargets(shapes, targets = TARGETS) {
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
    checked.push({ ...base, status: speedup >= target.atLeast ? "PASS" : "MISS", speedup });
  }
  return checked;
}
