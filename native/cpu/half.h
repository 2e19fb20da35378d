// IEEE binary16 ("float16", "half") <-> float32 in portable scalar code: the reference every SIMD variant
// matches bit for bit (F16C's vcvtph2ps / vcvtps2ph with round-to-nearest-even).
//
// The functions have internal linkage (static): each kernels_<isa>.cc compiles its own copy with its own
// instruction-set flags, so the linker can never hand an AVX-512 copy to code running on a CPU without it
// (the same reason dense_impl.h puts everything in a per-ISA namespace).
#pragma once

#include <stdint.h>
#include <string.h>

namespace tdfast {

// Exact: every half is a float (subnormal halves become normal floats); NaN keeps its sign and payload
// (shifted into the top mantissa bits), as vcvtph2ps does.
static inline float halfToFloat(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const uint32_t exponent = (h >> 10) & 0x1fu;
  const uint32_t mantissa = h & 0x3ffu;
  uint32_t bits;
  if (exponent == 0) {
    // zero or subnormal: mantissa * 2^-24, exact in float32 (a 10-bit integer times a power of two)
    float magnitude = static_cast<float>(mantissa) * 5.9604644775390625e-8f;
    memcpy(&bits, &magnitude, sizeof bits);
    bits |= sign;
  } else if (exponent == 31) {
    bits = sign | 0x7f800000u | (mantissa << 13);  // inf, or NaN with its payload
  } else {
    bits = sign | ((exponent + 112) << 23) | (mantissa << 13);
  }
  float result;
  memcpy(&result, &bits, sizeof result);
  return result;
}

// Round to nearest, ties to even; magnitudes from 65520 up become +-inf; NaN stays NaN (quiet, sign and top
// payload bits kept, as vcvtps2ph does); results below 2^-14 are rounded into the subnormal halves.
static inline uint16_t floatToHalf(float f) {
  uint32_t bits;
  memcpy(&bits, &f, sizeof bits);
  const uint16_t sign = static_cast<uint16_t>((bits >> 16) & 0x8000u);
  const uint32_t magnitude = bits & 0x7fffffffu;
  if (magnitude > 0x7f800000u) return static_cast<uint16_t>(sign | 0x7e00u | ((magnitude >> 13) & 0x3ffu));  // NaN
  if (magnitude >= 0x47800000u) return static_cast<uint16_t>(sign | 0x7c00u);  // >= 65536 (and inf): inf
  if (magnitude < 0x38800000u) {
    // Below the smallest normal half (2^-14): the result is a multiple of 2^-24. Adding 0.5 (2^-1) leaves
    // exactly the bits of value / 2^-24 rounded to nearest even in the float's low mantissa bits.
    float value;
    memcpy(&value, &magnitude, sizeof value);
    const float shifted = value + 0.5f;
    uint32_t shiftedBits;
    memcpy(&shiftedBits, &shifted, sizeof shiftedBits);
    return static_cast<uint16_t>(sign | (shiftedBits - 0x3f000000u));
  }
  // Normal: rebias the exponent and round the 13 dropped bits to nearest even. A carry out of the mantissa
  // moves to the next exponent, and from 65520 on to 0x7c00 (inf).
  const uint32_t odd = (magnitude >> 13) & 1u;
  return static_cast<uint16_t>(sign | ((magnitude - 0x38000000u + 0xfffu + odd) >> 13));
}

}  // namespace tdfast
