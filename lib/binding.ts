// Finds and loads the native addon, once, on first use. Importing tdfast never fails because of the addon:
// a missing or broken binary makes the `cpu` (and `cuda`) backends unavailable with the reason, and the
// `onnx` backend still works.

import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";

import type { DType, Float16Data } from "./float16.js";

/** What x and out hold, as the addon numbers it (native/cpu/dense.h ElementType): 0 float32, 1 float16. */
export type ElementCode = 0 | 1;

/** The addon's code for a dtype. */
export function elementCode(dtype: DType): ElementCode {
  return dtype === "float16" ? 1 : 0;
}
/** A host array the CPU kernels read or write. */
export type HostArray = Float32Array | Float16Data;

/** The native module's whole surface (native/binding/addon.cc and the classes it registers). */
export interface NativeBinding {
  readonly version: string;
  info(): { simd: "avx512" | "avx2" | "neon" | "generic"; threads: number };
  /** Whether two arrays' bytes overlap (two SharedArrayBuffer objects can hold the same memory). */
  sharesMemory(a: Float32Array | Uint16Array, b: Float32Array | Uint16Array): boolean;
  readonly Weights: new (
    kernel: Float32Array,
    bias: Float32Array | null,
    features: number,
    units: number,
    activation: number,
  ) => NativeWeights;
  readonly cuda: NativeCuda;
}

export interface CudaDeviceInfo {
  available: boolean;
  /** Why CUDA cannot be used: "addon built without CUDA", "no CUDA driver found", "no CUDA device", ... */
  reason?: string;
  name?: string;
  computeCapability?: string;
  totalMemory?: number;
  driverVersion?: number;
  runtimeVersion?: number;
  deviceCount?: number;
}

/** The CUDA backend (native/binding/cuda.cc); only `compiled` and `info` exist in a build without CUDA. */
export interface NativeCuda {
  readonly compiled: boolean;
  info(): CudaDeviceInfo;
  memInfo?(): { free: number; total: number };
  readonly Buffer?: new (byteLength: number) => NativeCudaBuffer;
  readonly Weights?: new (
    kernel: Float32Array,
    bias: Float32Array | null,
    features: number,
    units: number,
    activation: number,
  ) => NativeCudaWeights;
}

/** Device memory; freed by dispose() or, failing that, when garbage-collected. */
export interface NativeCudaBuffer {
  readonly byteLength: number;
  /**
   * Copies the whole buffer in from a Float32Array of byteLength / 4 floats (elementType 0 or absent) or from
   * float16 values, a Uint16Array or Float16Array of byteLength / 2 (elementType 1).
   */
  upload(source: HostArray, elementType?: ElementCode): Promise<void>;
  uploadSync(source: HostArray, elementType?: ElementCode): void;
  /** Copies the whole buffer out into such an array. */
  download(target: HostArray, elementType?: ElementCode): Promise<void>;
  downloadSync(target: HostArray, elementType?: ElementCode): void;
  dispose(): void;
}

/**
 * Prepared weights of the CPU backend (native/binding/cpu_weights.cc): they implement the backend contract
 * (PreparedDense in lib/backends/types.ts) directly.
 */
export interface NativeWeights {
  /**
   * Undefined when the call was small enough to compute before returning; else a promise of its end. xType and
   * outType are ElementCode values (0 float32, the default; 1 float16: a Uint16Array or a Float16Array).
   */
  run(x: HostArray, rows: number, out: HostArray, xType?: ElementCode, outType?: ElementCode): Promise<void> | undefined;
  runSync(x: HostArray, rows: number, out: HostArray, xType?: ElementCode, outType?: ElementCode): void;
  dispose(): void;
  /** e.g. "avx512/dot": the kernel variant these weights run on. */
  readonly kernels: string | null;
}

/** Prepared weights of the CUDA backend (native/binding/cuda_weights.cc): the same contract, plus device memory. */
export interface NativeCudaWeights {
  run(x: HostArray, rows: number, out: HostArray, xType?: ElementCode, outType?: ElementCode): Promise<void>;
  runSync(x: HostArray, rows: number, out: HostArray, xType?: ElementCode, outType?: ElementCode): void;
  /** Device memory in and out: rows×F and rows×U elements of the given types (as for run). */
  runDevice(x: NativeCudaBuffer, rows: number, out: NativeCudaBuffer, xType?: ElementCode, outType?: ElementCode): Promise<void>;
  runDeviceSync(x: NativeCudaBuffer, rows: number, out: NativeCudaBuffer, xType?: ElementCode, outType?: ElementCode): void;
  dispose(): void;
}

export type BindingState = { binding: NativeBinding; error?: undefined } | { binding?: undefined; error: string };

export const PACKAGE_ROOT = join(__dirname, "..", "..");

let state: BindingState | undefined;

export function packageVersion(): string {
  return (JSON.parse(readFileSync(join(PACKAGE_ROOT, "package.json"), "utf8")) as { version: string }).version;
}

function load(): BindingState {
  let binding: NativeBinding;
  try {
    // TDFAST_ADDON names a specific binary (a sanitizer or debug build); otherwise node-gyp-build picks
    // build/Release, then the prebuild for this platform.
    const override = process.env.TDFAST_ADDON;
    const nodeGypBuild = require("node-gyp-build") as (dir: string) => unknown;
    binding = (override ? require(resolve(override)) : nodeGypBuild(PACKAGE_ROOT)) as NativeBinding;
  } catch (cause) {
    const message = cause instanceof Error ? cause.message.split("\n")[0] : String(cause);
    // The addon loaded but refused its settings (a malformed TDFAST_THREADS): that, not the binary, is the reason.
    if ((cause as { code?: unknown }).code === "ERR_TDFAST_INVALID_VALUE") return { error: `native addon not loaded: ${message}` };
    return {
      error:
        `native addon not loaded (${message}). tdfast ships prebuilt binaries for linux-x64 and linux-arm64 ` +
        `(glibc 2.28+); for ${process.platform}-${process.arch} it must be compiled, which an install with ` +
        `install scripts off (npm 12's default, --ignore-scripts) does not do. Run "npm rebuild tdfast" with a ` +
        `C++ compiler and Python present, or use backend "onnx" (with the optional onnxruntime-node installed).`,
    };
  }
  const expected = packageVersion();
  if (binding.version !== expected)
    return { error: `native addon is from tdfast ${binding.version}, this is tdfast ${expected}: rebuild it (npm rebuild tdfast)` };
  return { binding };
}

export function nativeBinding(): BindingState {
  state ??= load();
  return state;
}
