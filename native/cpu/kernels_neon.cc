// AArch64 Advanced SIMD (NEON) variant of the row kernels. Advanced SIMD is part of the AArch64 base
// architecture, so this file needs no instruction-set flag and selectKernels() no run-time check: the build
// compiles it only for arm64 targets (native/sources.json, "arch": "arm64").
#if !defined(__aarch64__) && !defined(_M_ARM64)
#error "kernels_neon.cc is for AArch64 targets only (native/sources.json lists it under arch.arm64)"
#endif

#include <arm_neon.h>

#define TDF_ISA neon

namespace tdfast {
namespace neon {

struct Vec {
  using Reg = float32x4_t;
  static constexpr bool kMaskedFma = false;  // gemvShifted is AVX-512 only
  static constexpr int kWidth = 4;
  static constexpr int kRegisters = 32;
  static Reg zero() { return vdupq_n_f32(0.0f); }
  static Reg set1(float v) { return vdupq_n_f32(v); }
  static Reg load(const float* p) { return vld1q_f32(p); }
  // n in [0, 4]; the lanes from n on are zero and their memory is not read.
  static Reg loadN(const float* p, int n) {
    switch (n) {
      case 0:
        return zero();
      case 1:
        return vld1q_lane_f32(p, zero(), 0);
      case 2:
        return vcombine_f32(vld1_f32(p), vdup_n_f32(0.0f));
      case 3:
        return vld1q_lane_f32(p + 2, vcombine_f32(vld1_f32(p), vdup_n_f32(0.0f)), 2);
      default:
        return vld1q_f32(p);
    }
  }
  static void store(float* p, Reg r) { vst1q_f32(p, r); }
  static void storeN(float* p, Reg r, int n) {  // n in [0, 4]; memory from p + n on is not written
    switch (n) {
      case 0:
        return;
      case 1:
        vst1q_lane_f32(p, r, 0);
        return;
      case 2:
        vst1_f32(p, vget_low_f32(r));
        return;
      case 3:
        vst1_f32(p, vget_low_f32(r));
        vst1q_lane_f32(p + 2, r, 2);
        return;
      default:
        vst1q_f32(p, r);
    }
  }
  static Reg add(Reg a, Reg b) { return vaddq_f32(a, b); }
  static Reg sub(Reg a, Reg b) { return vsubq_f32(a, b); }
  static Reg mul(Reg a, Reg b) { return vmulq_f32(a, b); }
  static Reg div(Reg a, Reg b) { return vdivq_f32(a, b); }
  static Reg recip(Reg a) { return vdivq_f32(vdupq_n_f32(1.0f), a); }  // frecpe's 8 bits would need two steps
  static Reg fma(Reg a, Reg b, Reg c) { return vfmaq_f32(c, a, b); }
  static Reg abs(Reg a) { return vabsq_f32(a); }
  static float sum(Reg r) { return vaddvq_f32(r); }
  static float maxLane(Reg r) { return vmaxvq_f32(r); }  // callers keep NaN out of r
  // out[r] = horizontal sum of acc[r] for 4 registers: two rounds of pairwise adds.
  static Reg sumRows(const Reg* acc) { return vpaddq_f32(vpaddq_f32(acc[0], acc[1]), vpaddq_f32(acc[2], acc[3])); }
  static Reg round(Reg r) { return vrndnq_f32(r); }  // to nearest, ties to even
  static Reg exp2i(Reg n) {                          // 2^n for integral n in [-126, 127]
    const int32x4_t bits = vshlq_n_s32(vaddq_s32(vcvtnq_s32_f32(n), vdupq_n_s32(127)), 23);
    return vreinterpretq_f32_s32(bits);
  }
  // In two halves, each in [-75, 64] where 2^k is a normal float, so n = 128 and subnormal results come out right.
  // A NaN n converts to 0, and the NaN p it comes with stays NaN.
  static Reg scale2(Reg p, Reg n) {
    const Reg half = round(vmulq_f32(n, vdupq_n_f32(0.5f)));
    return vmulq_f32(vmulq_f32(p, exp2i(half)), exp2i(vsubq_f32(n, half)));
  }
  static Reg whereLess(Reg a, Reg b, Reg t, Reg f) { return vbslq_f32(vcltq_f32(a, b), t, f); }
  static Reg whereGreater(Reg a, Reg b, Reg t, Reg f) { return vbslq_f32(vcgtq_f32(a, b), t, f); }
};

}  // namespace neon
}  // namespace tdfast

#include "dense_impl.h"

namespace tdfast {

extern const KernelTable kNeonKernels = {"neon", neon::Vec::kWidth, 4, neon::denseRows<neon::Vec>};

}  // namespace tdfast
