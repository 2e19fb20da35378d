// AVX2 + FMA (+ F16C for float16 x and out) variant of the row kernels. Compiled with -mavx2 -mfma -mf16c;
// called only after selectKernels() has seen all three on the running CPU (every AVX2 CPU has F16C).
#include <immintrin.h>
#include <stdint.h>

#define TDF_ISA avx2

namespace tdfast {
namespace avx2 {

struct Vec {
  using Reg = __m256;
  static constexpr bool kMaskedFma = false;  // gemvShifted is AVX-512 only
  static constexpr int kWidth = 8;
  static constexpr int kRegisters = 16;
  static __m256i firstN(int n) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
  }
  static Reg zero() { return _mm256_setzero_ps(); }
  static Reg set1(float v) { return _mm256_set1_ps(v); }
  static Reg load(const float* p) { return _mm256_loadu_ps(p); }
  static Reg loadN(const float* p, int n) { return _mm256_maskload_ps(p, firstN(n)); }
  static void store(float* p, Reg r) { _mm256_storeu_ps(p, r); }
  static void storeN(float* p, Reg r, int n) { _mm256_maskstore_ps(p, firstN(n), r); }
  // float16: F16C. AVX2 has no 16-bit masked loads or stores, so the tails go through a small buffer.
  static Reg loadHalf(const uint16_t* p) {
    return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
  }
  static Reg loadHalfN(const uint16_t* p, int n) {
    alignas(16) uint16_t halves[8] = {};
    for (int i = 0; i < n; ++i) halves[i] = p[i];
    return _mm256_cvtph_ps(_mm_load_si128(reinterpret_cast<const __m128i*>(halves)));
  }
  static void storeHalf(uint16_t* p, Reg r) {
    _mm_storeu_si128(reinterpret_cast<__m128i*>(p), _mm256_cvtps_ph(r, _MM_FROUND_TO_NEAREST_INT));
  }
  static void storeHalfN(uint16_t* p, Reg r, int n) {
    alignas(16) uint16_t halves[8];
    _mm_store_si128(reinterpret_cast<__m128i*>(halves), _mm256_cvtps_ph(r, _MM_FROUND_TO_NEAREST_INT));
    for (int i = 0; i < n; ++i) p[i] = halves[i];
  }
  static Reg add(Reg a, Reg b) { return _mm256_add_ps(a, b); }
  static Reg sub(Reg a, Reg b) { return _mm256_sub_ps(a, b); }
  static Reg mul(Reg a, Reg b) { return _mm256_mul_ps(a, b); }
  static Reg div(Reg a, Reg b) { return _mm256_div_ps(a, b); }
  static Reg recip(Reg a) { return _mm256_div_ps(_mm256_set1_ps(1.0f), a); }  // rcp_ps's 12 bits need two steps
  static Reg fma(Reg a, Reg b, Reg c) { return _mm256_fmadd_ps(a, b, c); }
  static Reg abs(Reg a) { return _mm256_andnot_ps(_mm256_set1_ps(-0.0f), a); }
  static float sum(Reg r) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(r), _mm256_extractf128_ps(r, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
  }
  static float maxLane(Reg r) {  // callers keep NaN out of r
    __m128 m = _mm_max_ps(_mm256_castps256_ps128(r), _mm256_extractf128_ps(r, 1));
    m = _mm_max_ps(m, _mm_movehl_ps(m, m));
    m = _mm_max_ss(m, _mm_movehdup_ps(m));
    return _mm_cvtss_f32(m);
  }
  // out[r] = horizontal sum of acc[r] for 8 registers, sharing the shuffles between rows.
  static Reg sumRows(const Reg* acc) {
    Reg halves[4];
    for (int i = 0; i < 4; ++i)  // [a.lo + a.hi, b.lo + b.hi]
      halves[i] = _mm256_add_ps(_mm256_permute2f128_ps(acc[2 * i], acc[2 * i + 1], 0x20),
                                _mm256_permute2f128_ps(acc[2 * i], acc[2 * i + 1], 0x31));
    const Reg u = _mm256_add_ps(_mm256_unpacklo_ps(halves[0], halves[1]), _mm256_unpackhi_ps(halves[0], halves[1]));
    const Reg v = _mm256_add_ps(_mm256_unpacklo_ps(halves[2], halves[3]), _mm256_unpackhi_ps(halves[2], halves[3]));
    const Reg sums = _mm256_add_ps(_mm256_shuffle_ps(u, v, _MM_SHUFFLE(1, 0, 1, 0)),
                                   _mm256_shuffle_ps(u, v, _MM_SHUFFLE(3, 2, 3, 2)));
    // lane 4k + j of `sums` holds row 2j + k
    return _mm256_permutevar8x32_ps(sums, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
  }
  static Reg round(Reg r) { return _mm256_round_ps(r, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
  static Reg exp2i(Reg n) {  // 2^n for integral n in [-126, 127]
    __m256i bits = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
    return _mm256_castsi256_ps(bits);
  }
  // In two halves, each in [-75, 64] where 2^k is a normal float, so n = 128 and subnormal results come out right.
  static Reg scale2(Reg p, Reg n) {
    const Reg half = round(_mm256_mul_ps(n, _mm256_set1_ps(0.5f)));
    return _mm256_mul_ps(_mm256_mul_ps(p, exp2i(half)), exp2i(_mm256_sub_ps(n, half)));
  }
  static Reg whereLess(Reg a, Reg b, Reg t, Reg f) { return _mm256_blendv_ps(f, t, _mm256_cmp_ps(a, b, _CMP_LT_OQ)); }
  static Reg whereGreater(Reg a, Reg b, Reg t, Reg f) {
    return _mm256_blendv_ps(f, t, _mm256_cmp_ps(a, b, _CMP_GT_OQ));
  }
};

}  // namespace avx2
}  // namespace tdfast

#include "dense_impl.h"

namespace tdfast {

extern const KernelTable kAvx2Kernels = {"avx2", avx2::Vec::kWidth, 2, avx2::denseRows<avx2::Vec>};

}  // namespace tdfast
