// float16 in and out of the kernels (device code, shared by small_units.cu and tiled.cu): widening loaded
// float16 bits to float32, and storing a float32 result as float32 or rounded to float16.
#pragma once

#include <cuda_fp16.h>

#include <cstdint>

namespace tdcuda {
namespace kernels {

// The two float16 values in a 32-bit word (the lower address first), widened to float32.
__device__ __forceinline__ float2 widenHalfPair(unsigned bits) {
  __half2 h;
  memcpy(&h, &bits, sizeof h);
  return __half22float2(h);
}

// y[index] = v: float32, or (halfY) rounded to float16 (nearest even; beyond 65504 +-inf; NaN stays NaN).
__device__ __forceinline__ void storeValue(void* y, int64_t index, float v, bool halfY) {
  if (halfY)
    static_cast<__half*>(y)[index] = __float2half_rn(v);
  else
    static_cast<float*>(y)[index] = v;
}

}  // namespace kernels
}  // namespace tdcuda
