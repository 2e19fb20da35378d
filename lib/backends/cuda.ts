// The CUDA backend: hand-written kernels (cuda/) behind the addon's `cuda` object. Host tensors go through
// pinned staging buffers in chunks; device tensors stay on the GPU.

import { type NativeCuda, type NativeCudaBuffer, nativeBinding } from "../binding.js";
import { unavailable } from "../errors.js";
import type { Availability, Backend, DenseSpec, PreparedDense } from "./types.js";

/** The addon's CUDA surface when a usable GPU is present, or an Error saying why not. */
export function cudaRuntime(): { cuda: NativeCuda; error?: undefined } | { cuda?: undefined; error: string } {
  const { binding, error } = nativeBinding();
  if (!binding) return { error };
  const info = binding.cuda.info();
  return info.available ? { cuda: binding.cuda } : { error: info.reason ?? "unavailable" };
}

export function newDeviceBuffer(byteLength: number): NativeCudaBuffer {
  const { cuda, error } = cudaRuntime();
  if (!cuda) throw unavailable("cuda", error);
  return new cuda.Buffer!(byteLength);
}

export const cudaBackend: Backend = {
  name: "cuda",
  supportsSync: true,
  // float16 x and out are widened and rounded inside the CUDA kernels (host and device tensors).
  supportsFloat16: true,
  availability(): Availability {
    const { binding, error } = nativeBinding();
    if (!binding) return { available: false, reason: error };
    const info = binding.cuda.info();
    if (!info.available) return { available: false, reason: info.reason ?? "unavailable" };
    return {
      available: true,
      device: { name: info.name!, computeCapability: info.computeCapability!, totalMemory: info.totalMemory! },
    };
  },
  prepare(spec: DenseSpec): PreparedDense {
    const { cuda, error } = cudaRuntime();
    if (!cuda) throw unavailable("cuda", error);
    // The native object is the prepared layer: run, runSync, runDevice, runDeviceSync and dispose.
    return new cuda.Weights!(spec.kernel, spec.bias, spec.features, spec.units, spec.activationId);
  },
};
