// The native C++ kernels (native/): SIMD chosen at run time, large calls threaded, async calls on libuv workers.

import { nativeBinding } from "../binding.js";
import { unavailable } from "../errors.js";
import type { Availability, Backend, DenseSpec, PreparedDense } from "./types.js";

export const cpuBackend: Backend = {
  name: "cpu",
  supportsSync: true,
  supportsFloat16: true,
  availability(): Availability {
    const state = nativeBinding();
    return state.binding ? { available: true } : { available: false, reason: state.error };
  },
  prepare(spec: DenseSpec): PreparedDense {
    const { binding, error } = nativeBinding();
    if (!binding) throw unavailable("cpu", error);
    // The native object is the prepared layer: it implements run, runSync and dispose itself.
    return new binding.Weights(spec.kernel, spec.bias, spec.features, spec.units, spec.activationId);
  },
};
