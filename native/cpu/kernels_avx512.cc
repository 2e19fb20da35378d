// AVX-512F variant of the row kernels. Compiled with -mavx512f -mavx512dq -mfma; called only after
// selectKernels() has seen AVX-512 support on the running CPU.
#include <immintrin.h>
#include <stdint.h>
#include <math.h>
#include <string.h>

#define TDF_ISA avx512

namespace tdfast {
namespace avx512 {

struct Vec {
  using Reg = __m512;
  static constexpr int kWidth = 16;
  static constexpr int kRegisters = 32;
  static __mmask16 firstN(int n) { return static_cast<__mmask16>((1u << n) - 1u); }
  static Reg zero() { return _mm512_setzero_ps(); }
  static Reg set1(float v) { return _mm512_set1_ps(v); }
  static Reg load(const float* p) { return _mm512_loadu_ps(p); }
  static Reg loadN(const float* p, int n) { return _mm512_maskz_loadu_ps(firstN(n), p); }
  static void store(float* p, Reg r) { _mm512_storeu_ps(p, r); }
  static void storeN(float* p, Reg r, int n) { _mm512_mask_storeu_ps(p, firstN(n), r); }
  // float16: AVX-512F's 512-bit vcvtph2ps / vcvtps2ph. 16-bit masked loads and stores need AVX512BW, which
  // this variant does not require, so the tails go through a small buffer. x is loaded as two 16-byte halves:
  // Node's large arrays start 16 bytes past a 64-byte line, where every other 32-byte load would straddle two
  // lines, and from DRAM that cost about a fifth of the float16 call (docs/benchmarks.md).
  static Reg loadHalf(const uint16_t* p) {
    const __m128i lo = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    const __m128i hi = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 8));
    return _mm512_cvtph_ps(_mm256_inserti128_si256(_mm256_castsi128_si256(lo), hi, 1));
  }
  // The panel path widens rows it has just read (in cache): there one 32-byte load beats two 16-byte ones and
  // the shuffle that joins them, which compete with the multiply-adds for the vector pipes.
  static Reg loadHalfCached(const uint16_t* p) {
    return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
  }
  static Reg loadHalfN(const uint16_t* p, int n) {
    alignas(32) uint16_t halves[16] = {};
    for (int i = 0; i < n; ++i) halves[i] = p[i];
    return _mm512_cvtph_ps(_mm256_load_si256(reinterpret_cast<const __m256i*>(halves)));
  }
  static void storeHalf(uint16_t* p, Reg r) {
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(p), _mm512_cvtps_ph(r, _MM_FROUND_TO_NEAREST_INT));
  }
  static void storeHalfN(uint16_t* p, Reg r, int n) {
    alignas(32) uint16_t halves[16];
    _mm256_store_si256(reinterpret_cast<__m256i*>(halves), _mm512_cvtps_ph(r, _MM_FROUND_TO_NEAREST_INT));
    for (int i = 0; i < n; ++i) p[i] = halves[i];
  }
  // The quad kernel (dense_impl.h, quadRows): 4 values of x in each 128-bit quarter, and the sums of each
  // quarter's 4 lanes.
  static constexpr bool kQuads = true;
  static Reg loadQuad(const float* p) { return _mm512_broadcast_f32x4(_mm_loadu_ps(p)); }
  static Reg loadQuad(const uint16_t* p) {
    int64_t bits;
    memcpy(&bits, p, sizeof bits);
    return _mm512_cvtph_ps(_mm256_set1_epi64x(bits));
  }
  // lane 4g + c = the sum of quarter c of acc[g]
  static Reg sumQuads(const Reg (&acc)[4]) {
    const Reg s01 = _mm512_add_ps(_mm512_unpacklo_ps(acc[0], acc[1]), _mm512_unpackhi_ps(acc[0], acc[1]));
    const Reg s23 = _mm512_add_ps(_mm512_unpacklo_ps(acc[2], acc[3]), _mm512_unpackhi_ps(acc[2], acc[3]));
    const Reg sums = _mm512_add_ps(_mm512_castpd_ps(_mm512_unpacklo_pd(_mm512_castps_pd(s01), _mm512_castps_pd(s23))),
                                   _mm512_castpd_ps(_mm512_unpackhi_pd(_mm512_castps_pd(s01), _mm512_castps_pd(s23))));
    return swapLaneIndex(sums);  // lane 4c + g of `sums` holds quarter c of acc[g]
  }
  static Reg add(Reg a, Reg b) { return _mm512_add_ps(a, b); }
  static Reg sub(Reg a, Reg b) { return _mm512_sub_ps(a, b); }
  static Reg mul(Reg a, Reg b) { return _mm512_mul_ps(a, b); }
  static Reg div(Reg a, Reg b) { return _mm512_div_ps(a, b); }
  // 14-bit estimate and one Newton step (~2^-28 relative; a division costs ~16 cycles per register here).
  // The step is skipped where a is +inf (inf * 0 would make it NaN): rcp14 already gives the exact 0 there.
  static Reg recip(Reg a) {
    const Reg r = _mm512_rcp14_ps(a);
    const __mmask16 finite = _mm512_cmp_ps_mask(a, _mm512_set1_ps(INFINITY), _CMP_LT_OQ);
    return _mm512_mask_fmadd_ps(r, finite, _mm512_fnmadd_ps(a, r, _mm512_set1_ps(1.0f)), r);
  }
  static Reg fma(Reg a, Reg b, Reg c) { return _mm512_fmadd_ps(a, b, c); }
  static Reg abs(Reg a) { return _mm512_abs_ps(a); }
  static float sum(Reg r) { return _mm512_reduce_add_ps(r); }
  static float maxLane(Reg r) { return _mm512_reduce_max_ps(r); }  // callers keep NaN out of r
  // out[r] = horizontal sum of acc[r] for 16 registers: a shuffle-and-add tree that shares the work between
  // rows (about 3 instructions per row instead of 8 for separate reductions).
  static Reg sumRows(const Reg* acc) {
    Reg halves[8], quarters[4];
    for (int i = 0; i < 8; ++i)  // [a.q0+a.q2, a.q1+a.q3, b.q0+b.q2, b.q1+b.q3]
      halves[i] = _mm512_add_ps(_mm512_shuffle_f32x4(acc[2 * i], acc[2 * i + 1], _MM_SHUFFLE(1, 0, 1, 0)),
                                _mm512_shuffle_f32x4(acc[2 * i], acc[2 * i + 1], _MM_SHUFFLE(3, 2, 3, 2)));
    for (int i = 0; i < 4; ++i)  // one 128-bit quarter per row: rows 4i .. 4i+3
      quarters[i] = _mm512_add_ps(_mm512_shuffle_f32x4(halves[2 * i], halves[2 * i + 1], _MM_SHUFFLE(2, 0, 2, 0)),
                                  _mm512_shuffle_f32x4(halves[2 * i], halves[2 * i + 1], _MM_SHUFFLE(3, 1, 3, 1)));
    const Reg u =
        _mm512_add_ps(_mm512_unpacklo_ps(quarters[0], quarters[1]), _mm512_unpackhi_ps(quarters[0], quarters[1]));
    const Reg v =
        _mm512_add_ps(_mm512_unpacklo_ps(quarters[2], quarters[3]), _mm512_unpackhi_ps(quarters[2], quarters[3]));
    const Reg sums = _mm512_add_ps(_mm512_shuffle_ps(u, v, _MM_SHUFFLE(1, 0, 1, 0)),
                                   _mm512_shuffle_ps(u, v, _MM_SHUFFLE(3, 2, 3, 2)));
    return swapLaneIndex(sums);  // lane 4k + j of `sums` holds row 4j + k
  }
  // lane 4j + k of the result = lane 4k + j of r (a 4x4 transpose of the lane index).
  static Reg swapLaneIndex(Reg r) {
    const __m512i order = _mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
    return _mm512_permutexvar_ps(order, r);
  }
  // Masked lanes for gemvShifted.
  static constexpr bool kMaskedFma = true;
  using Mask = __mmask16;
  static Mask lanesFrom(int n) { return static_cast<Mask>(~firstN(n)); }
  static Mask lanesBelow(int n) { return firstN(n); }
  static Reg loadAligned(const float* p) { return _mm512_load_ps(p); }
  static Reg loadAlignedMasked(const float* p, Mask m) { return _mm512_maskz_load_ps(m, p); }  // unmasked lanes unread
  static Reg mulMasked(Mask m, Reg a, Reg b) { return _mm512_maskz_mul_ps(m, a, b); }
  static Reg fmaMasked(Mask m, Reg a, Reg b, Reg c) { return _mm512_mask3_fmadd_ps(a, b, c, m); }
  static Reg round(Reg r) { return _mm512_roundscale_ps(r, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
  static Reg scale2(Reg p, Reg n) { return _mm512_scalef_ps(p, n); }
  static Reg whereLess(Reg a, Reg b, Reg t, Reg f) {
    return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(a, b, _CMP_LT_OQ), f, t);
  }
  static Reg whereGreater(Reg a, Reg b, Reg t, Reg f) {
    return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(a, b, _CMP_GT_OQ), f, t);
  }
};

}  // namespace avx512
}  // namespace tdfast

#include "dense_impl.h"

namespace tdfast {

extern const KernelTable kAvx512Kernels = {"avx512", avx512::Vec::kWidth, 4, avx512::denseRows<avx512::Vec>, 16};

}  // namespace tdfast
