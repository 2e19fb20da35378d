// What every backend provides. lib/time-dense.ts validates all arguments before a backend sees them.

import type { CanonicalActivation } from "../activations.js";
import type { ElementCode, HostArray, NativeCudaBuffer } from "../binding.js";

/** The backends tdfast has. */
export type BackendName = "cpu" | "onnx" | "cuda";
/** Where a tensor's values live. */
export type Device = "cpu" | "cuda";

/** Validated weights: kernel is F×U row-major (Keras layout); bias has U values or is null. */
export interface DenseSpec {
  readonly kernel: Float32Array;
  readonly bias: Float32Array | null;
  readonly features: number;
  readonly units: number;
  readonly activation: CanonicalActivation;
  readonly activationId: number;
}

/** Weights prepared once by a backend (packed, uploaded, or compiled into a session). */
export interface PreparedDense {
  /**
   * x holds rows×F values, out receives rows×U; neither overlaps the other (checked before). xType and outType
   * say what they hold (0 or absent: a Float32Array; 1: float16, a Uint16Array or a Float16Array), only ever 1
   * on a backend with supportsFloat16. Returns undefined when out was filled before returning (small cpu
   * calls), else a promise of the end.
   */
  run(x: HostArray, rows: number, out: HostArray, xType?: ElementCode, outType?: ElementCode): Promise<void> | undefined;
  /** Present only on backends that can compute synchronously. */
  runSync?(x: HostArray, rows: number, out: HostArray, xType?: ElementCode, outType?: ElementCode): void;
  /** Present only on the cuda backend: device memory in and out (rows×F and rows×U elements of xType, outType). */
  runDevice?(x: NativeCudaBuffer, rows: number, out: NativeCudaBuffer, xType?: ElementCode, outType?: ElementCode): Promise<void>;
  runDeviceSync?(x: NativeCudaBuffer, rows: number, out: NativeCudaBuffer, xType?: ElementCode, outType?: ElementCode): void;
  dispose(): void;
}

export interface Availability {
  readonly available: boolean;
  /** Why the backend is unavailable; absent when it is available. */
  readonly reason?: string;
  /** cuda only: the GPU it runs on. */
  readonly device?: { readonly name: string; readonly computeCapability: string; readonly totalMemory: number };
}

export interface Backend {
  readonly name: BackendName;
  readonly supportsSync: boolean;
  /** Whether x and out may be float16. */
  readonly supportsFloat16: boolean;
  availability(): Availability;
  prepare(spec: DenseSpec): PreparedDense;
}
