// tdfast through its public API, one tool per backend: `new TimeDense({ ..., backend }).apply(x)`, plus the
// synchronous `applySync` of the cpu backend.

import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

const DIST_ENTRY = new URL("../../dist/esm/index.mjs", import.meta.url);
const require = createRequire(import.meta.url);

let tdfastModule;

/** The built package, or null when `npm run build:ts` has not been run. */
export async function loadTdfast() {
  if (tdfastModule === undefined) tdfastModule = existsSync(fileURLToPath(DIST_ENTRY)) ? await import(DIST_ENTRY.href) : null;
  return tdfastModule;
}

/** The native addon (for its memory-bandwidth probe), or the reason it is not loaded. */
export function nativeAddon() {
  try {
    return require("../../dist/cjs/binding.js").nativeBinding();
  } catch (error) {
    return { error: error.message };
  }
}

function tdfastTool({ id, label, backend, sync = false }) {
  return {
    id,
    label,
    family: "tdfast",
    async init() {
      const tdfast = await loadTdfast();
      if (!tdfast) return { available: false, reason: "dist/ not built: run npm run build:ts" };
      const report = tdfast.backends();
      if (backend === "auto") {
        if (!report.auto) return { available: false, reason: "no backend available" };
        this.label = `${label} (→${report.auto})`;
        return { available: true };
      }
      const { available, reason } = report[backend];
      return available ? { available: true } : { available: false, reason };
    },
    async setup(shape, { x, kernel, bias }) {
      const { TimeDense, tensor } = await loadTdfast();
      const { batch, time, features, units, activation } = shape;
      const layer = new TimeDense({ kernel: tensor(kernel, [features, units]), bias, activation, backend });
      const input = tensor(x, [batch, time, features]);
      return {
        run: sync ? () => layer.applySync(input).data : async () => (await layer.apply(input)).data,
        dispose: () => layer.dispose(),
      };
    },
  };
}

export const tdfastTools = () => [
  tdfastTool({ id: "tdfast-cpu", label: "tdfast cpu", backend: "cpu" }),
  tdfastTool({ id: "tdfast-cpu-sync", label: "tdfast cpu applySync", backend: "cpu", sync: true }),
  tdfastTool({ id: "tdfast-onnx", label: "tdfast onnx", backend: "onnx" }),
  tdfastTool({ id: "tdfast-cuda", label: "tdfast cuda", backend: "cuda" }),
  tdfastTool({ id: "tdfast-auto", label: "tdfast auto", backend: "auto" }),
];
