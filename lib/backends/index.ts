// The registry of backends and the rules that choose between them.

import type { BackendName } from "../tensor.js";
import { cpuBackend } from "./cpu.js";
import type { Availability, Backend } from "./types.js";

export type BackendChoice = BackendName | "auto";
export const BACKEND_CHOICES: readonly BackendChoice[] = ["auto", "cuda", "cpu", "onnx"];

const unavailable = (reason: string): Backend["availability"] => () => ({ available: false, reason });

// Filled in by the backend issues: until then they report why they cannot run.
const cudaBackend: Backend = {
  name: "cuda",
  supportsSync: true,
  availability: unavailable("addon built without CUDA"),
  prepare: () => {
    throw new Error("cuda: addon built without CUDA");
  },
};

const onnxBackend: Backend = {
  name: "onnx",
  supportsSync: false,
  availability: unavailable("onnxruntime-node backend not implemented yet"),
  prepare: () => {
    throw new Error("onnx: onnxruntime-node backend not implemented yet");
  },
};

const REGISTRY: Readonly<Record<BackendName, Backend>> = { cuda: cudaBackend, cpu: cpuBackend, onnx: onnxBackend };

export interface BackendsReport {
  readonly cuda: Availability;
  readonly cpu: Availability;
  readonly onnx: Availability;
  /** The backend `backend: "auto"` picks for async calls. */
  readonly auto: BackendName | null;
}

/** Order of preference for "auto": async calls, and sync calls (which skip backends without a sync path). */
const AUTO_ORDER: readonly BackendName[] = ["cuda", "cpu", "onnx"];

export function backends(): BackendsReport {
  const report = { cuda: cudaBackend.availability(), cpu: cpuBackend.availability(), onnx: onnxBackend.availability() };
  return { ...report, auto: AUTO_ORDER.find((name) => report[name].available) ?? null };
}

/** The backend to run on, or an Error saying why the requested one cannot be used. */
export function resolveBackend(choice: BackendChoice, sync: boolean): Backend {
  if (choice !== "auto") {
    const backend = REGISTRY[choice];
    const { available, reason } = backend.availability();
    if (!available) throw new Error(`${choice}: ${reason}`);
    if (sync && !backend.supportsSync) throw new Error(`${choice}: this backend has no synchronous path; use the async API`);
    return backend;
  }
  const reasons: string[] = [];
  for (const name of AUTO_ORDER) {
    const backend = REGISTRY[name];
    if (sync && !backend.supportsSync) continue;
    const { available, reason } = backend.availability();
    if (available) return backend;
    reasons.push(`${name}: ${reason}`);
  }
  throw new Error(`no backend available (${reasons.join("; ")})`);
}
