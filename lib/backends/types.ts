// What every backend provides. lib/time-dense.ts validates all arguments before a backend sees them.

import type { CanonicalActivation } from "../activations.js";
import type { NativeCudaBuffer } from "../binding.js";

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
   * x holds rows×F floats, out receives rows×U; neither overlaps the other (checked before). Returns undefined
   * when out was filled before returning (small cpu calls), else a promise of the end.
   */
  run(x: Float32Array, rows: number, out: Float32Array): Promise<void> | undefined;
  /** Present only on backends that can compute synchronously. */
  runSync?(x: Float32Array, rows: number, out: Float32Array): void;
  /** Present only on the cuda backend: device memory in and out (rows×F and rows×U floats). */
  runDevice?(x: NativeCudaBuffer, rows: number, out: NativeCudaBuffer): Promise<void>;
  runDeviceSync?(x: NativeCudaBuffer, rows: number, out: NativeCudaBuffer): void;
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
  availability(): Availability;
  prepare(spec: DenseSpec): PreparedDense;
}
