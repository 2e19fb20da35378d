// The registry of backends and the rules that choose between them.

import { isMainThread } from "node:worker_threads";

import { unavailable, withCode } from "../errors.js";
import { cpuBackend } from "./cpu.js";
import { cudaBackend } from "./cuda.js";
import { onnxBackend } from "./onnx.js";
import type { Availability, Backend, BackendName } from "./types.js";

export type BackendChoice = BackendName | "auto";
export const BACKEND_CHOICES: readonly BackendChoice[] = ["auto", "cuda", "cpu", "onnx"];

const REGISTRY: Readonly<Record<BackendName, Backend>> = { cuda: cudaBackend, cpu: cpuBackend, onnx: onnxBackend };

export interface BackendsReport {
  readonly cuda: Availability;
  readonly cpu: Availability;
  readonly onnx: Availability;
  /** The backend `backend: "auto"` picks for async calls. */
  readonly auto: BackendName | null;
}

/**
 * Order of preference for "auto" on the main thread: CUDA, then onnxruntime-node, then the native CPU kernel
 * when onnxruntime-node cannot be loaded. Sync calls skip backends without a synchronous path (onnx), so they
 * get cuda, then cpu.
 */
const MAIN_THREAD_ORDER: readonly BackendName[] = ["cuda", "onnx", "cpu"];
/**
 * In a worker_thread, "auto" prefers the native CPU kernel to onnxruntime-node: onnxruntime-node computes
 * synchronously on the JavaScript thread, and when the worker is terminated (worker.terminate(), or
 * process.exit() on the main thread) during a run, its binding throws a C++ exception out of an N-API callback
 * and the whole process aborts. Nothing outside onnxruntime-node can catch that; tdfast's own kernels survive it.
 */
const WORKER_ORDER: readonly BackendName[] = ["cuda", "cpu", "onnx"];
const AUTO_ORDER = isMainThread ? MAIN_THREAD_ORDER : WORKER_ORDER;

export function backends(): BackendsReport {
  const report = { cuda: cudaBackend.availability(), cpu: cpuBackend.availability(), onnx: onnxBackend.availability() };
  return { ...report, auto: AUTO_ORDER.find((name) => report[name].available) ?? null };
}

/** The backend to run on, or an Error saying why the requested one cannot be used. */
// Availability cannot change within a process (the addon, the GPU and onnxruntime-node are probed once), so a
// successful resolution is remembered: calls then skip the probe.
// (Two maps keyed by the choice itself: building a key string per call cost a hash computation per call.)
const resolvedAsync = new Map<BackendChoice, Backend>();
const resolvedSync = new Map<BackendChoice, Backend>();
// Calls with float16 x or out: "auto" skips backends without float16.
const resolvedAsync16 = new Map<BackendChoice, Backend>();
const resolvedSync16 = new Map<BackendChoice, Backend>();

export function resolveBackend(choice: BackendChoice, sync: boolean, float16 = false): Backend {
  const resolved = float16 ? (sync ? resolvedSync16 : resolvedAsync16) : sync ? resolvedSync : resolvedAsync;
  let backend = resolved.get(choice);
  if (!backend) {
    backend = resolveUncached(choice, sync, float16);
    resolved.set(choice, backend);
  }
  return backend;
}

function resolveUncached(choice: BackendChoice, sync: boolean, float16: boolean): Backend {
  if (choice !== "auto") {
    const backend = REGISTRY[choice];
    const { available, reason } = backend.availability();
    if (!available) throw unavailable(choice, reason ?? "unavailable");
    if (sync && !backend.supportsSync) throw unavailable(choice, "this backend has no synchronous path; use the async API");
    if (float16 && !backend.supportsFloat16)
      throw unavailable(choice, 'float16 x or outputDtype "float16" is not supported on this backend yet; use backend "cpu" or "onnx"');
    return backend;
  }
  const reasons: string[] = [];
  for (const name of AUTO_ORDER) {
    const backend = REGISTRY[name];
    if (sync && !backend.supportsSync) continue;
    if (float16 && !backend.supportsFloat16) continue;
    const { available, reason } = backend.availability();
    if (available) return backend;
    reasons.push(`${name}: ${reason}`);
  }
  throw withCode(new Error(`no backend available (${reasons.join("; ")})`), "ERR_TDFAST_BACKEND_UNAVAILABLE");
}
