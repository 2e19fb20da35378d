// Row kernels written once over a SIMD traits type `V`, instantiated by kernels_<isa>.cc files that are each
// compiled with their own instruction-set flags. Each such file defines TDF_ISA (its namespace) first: every
// function here then has a distinct name per ISA, so the linker can never merge an AVX-512 copy of an inline
// function into code that runs on a CPU without AVX-512. For the same reason nothing here calls std:: templates.
//
// V provides: using Reg; kWidth; kRegisters; zero(), set1(f), load(p), loadN(p, n) (zero-filled), store(p, r),
// storeN(p, r, n), add, sub, mul, div, recip(a) (1/a within 1 ulp for a >= 1, 0 for +inf), fma(a, b, c) = a*b + c,
// abs, sum(r) and maxLane(r) (horizontal; r without NaN for maxLane), sumRows(acc) (the horizontal sums of
// kWidth registers as one register), round(r), scale2(p, n) (p * 2^n for integral n in [-150, 128], subnormal
// and infinite results included), whereLess(a, b, t, f) and whereGreater(a, b, t, f) (ordered compare: a NaN
// compares false and selects f), kMaskedFma (with Mask, lanesFrom(n), lanesBelow(n), loadAligned(p),
// loadAlignedMasked(p, mask), mulMasked(mask, a, b) (zero outside mask) and fmaMasked(mask, a, b, c) (c outside
// mask): gemvShifted).
//
// V may also provide kQuads = true with loadQuad(p) for float and uint16_t x (4 values of x, widened, in each
// 128-bit quarter of 16 lanes) and sumQuads(acc[4]) (lane 4g + c = the sum of quarter c of acc[g]): quadRows.
//
// float16 x and out: V may provide loadHalf(p), loadHalfN(p, n) (zero-filled), storeHalf(p, r) and
// storeHalfN(p, r, n) over uint16_t bits (all four, or none), converting exactly as half.h does (F16C's
// vcvtph2ps, vcvtps2ph with round-to-nearest-even). A V without them gets half.h's scalar conversions through a
// float buffer: correct on any new instruction set, fast where the traits add the hardware form. x is widened
// to float32 as it is loaded; all arithmetic stays float32.
#pragma once

#include <math.h>

#include "dense.h"
#include "half.h"

#ifndef TDF_ISA
#error "define TDF_ISA (the instruction-set namespace) before including dense_impl.h"
#endif

namespace tdfast {
namespace TDF_ISA {

template <class T>
constexpr T minOf(T a, T b) {
  return b < a ? b : a;
}
template <class T>
constexpr T maxOf(T a, T b) {
  return a < b ? b : a;
}

// Whether V has its own float16 conversions (detected without <type_traits>, see above).
template <class...>
struct VoidType {
  using type = void;
};
template <class V, class = void>
struct HasHalfConversions {
  static constexpr bool value = false;
};
template <class V>
struct HasHalfConversions<
    V, typename VoidType<decltype(sizeof(V::loadHalf(static_cast<const uint16_t*>(nullptr))))>::type> {
  static constexpr bool value = true;
};

// Whether V has a float16 load for data already in cache (loadHalfCached): one wide load, where loadHalf may
// split its loads to suit data streamed from DRAM.
template <class V, class = void>
struct HasCachedHalfLoad {
  static constexpr bool value = false;
};
template <class V>
struct HasCachedHalfLoad<
    V, typename VoidType<decltype(sizeof(V::loadHalfCached(static_cast<const uint16_t*>(nullptr))))>::type> {
  static constexpr bool value = true;
};

// Whether V has the quad kernel's operations (kQuads: loadQuad and sumQuads, 16 lanes).
template <class V, class = void>
struct HasQuads {
  static constexpr bool value = false;
};
template <class V>
struct HasQuads<V, typename VoidType<decltype(sizeof(V::kQuads))>::type> {
  static constexpr bool value = V::kQuads;
};

// Loads of x: float32 as is, float16 widened in registers.
template <class V>
inline typename V::Reg loadX(const float* p) {
  return V::load(p);
}
template <class V>
inline typename V::Reg loadXN(const float* p, int n) {
  return V::loadN(p, n);
}
template <class V>
inline typename V::Reg loadX(const uint16_t* p) {
  if constexpr (HasHalfConversions<V>::value) {
    return V::loadHalf(p);
  } else {
    float widened[V::kWidth];
    for (int i = 0; i < V::kWidth; ++i) widened[i] = halfToFloat(p[i]);
    return V::load(widened);
  }
}
template <class V>
inline typename V::Reg loadXN(const uint16_t* p, int n) {
  if constexpr (HasHalfConversions<V>::value) {
    return V::loadHalfN(p, n);
  } else {
    float widened[V::kWidth];
    for (int i = 0; i < n; ++i) widened[i] = halfToFloat(p[i]);
    return V::loadN(widened, n);
  }
}

// dst[i] = float16(src[i]) for count values, rounded to nearest even.
template <class V>
void storeHalves(const float* src, uint16_t* dst, int64_t count) {
  int64_t i = 0;
  if constexpr (HasHalfConversions<V>::value) {
    for (; i + V::kWidth <= count; i += V::kWidth) V::storeHalf(dst + i, V::load(src + i));
    if (i < count) V::storeHalfN(dst + i, V::loadN(src + i, static_cast<int>(count - i)), static_cast<int>(count - i));
  } else {
    for (; i < count; ++i) dst[i] = floatToHalf(src[i]);
  }
}

// dst[i] = float32(src[i]) for count halves (the panel path's rows, read while in cache).
template <class V>
void widenHalves(const uint16_t* src, float* dst, int count) {
  int i = 0;
  if constexpr (HasCachedHalfLoad<V>::value)
    for (; i + V::kWidth <= count; i += V::kWidth) V::store(dst + i, V::loadHalfCached(src + i));
  for (; i + V::kWidth <= count; i += V::kWidth) V::store(dst + i, loadX<V>(src + i));
  if (i < count) V::storeN(dst + i, loadXN<V>(src + i, count - i), count - i);
}

// e^x, Cephes-style range reduction with a degree-6 polynomial (about 2 ulp). NaN stays NaN, large inputs give
// +inf and very negative ones 0, as expf does; V::scale2 applies 2^n so that n = 128 and subnormal results
// come out right.
template <class V>
inline typename V::Reg expV(typename V::Reg x) {
  using R = typename V::Reg;
  R clamped = V::whereGreater(x, V::set1(89.0f), V::set1(89.0f), x);
  clamped = V::whereLess(clamped, V::set1(-104.0f), V::set1(-104.0f), clamped);
  R n = V::round(V::mul(clamped, V::set1(1.44269504088896341f)));
  R r = V::fma(n, V::set1(-0.693359375f), clamped);
  r = V::fma(n, V::set1(2.12194440e-4f), r);
  R p = V::set1(1.9875691500e-4f);
  p = V::fma(p, r, V::set1(1.3981999507e-3f));
  p = V::fma(p, r, V::set1(8.3334519073e-3f));
  p = V::fma(p, r, V::set1(4.1665795894e-2f));
  p = V::fma(p, r, V::set1(1.6666665459e-1f));
  p = V::fma(p, r, V::set1(5.0000001201e-1f));
  p = V::fma(p, V::mul(r, r), V::add(r, V::set1(1.0f)));
  return V::scale2(p, n);  // n is in [-150, 128]
}

template <class V>
inline typename V::Reg activateV(Activation act, typename V::Reg x) {
  using R = typename V::Reg;
  const R zero = V::zero();
  const R one = V::set1(1.0f);
  switch (act) {
    case Activation::Sigmoid:
      return V::recip(V::add(one, expV<V>(V::sub(zero, x))));
    case Activation::HardSigmoid: {
      R t = V::mul(V::add(x, V::set1(3.0f)), V::set1(1.0f / 6.0f));
      return V::whereLess(t, zero, zero, V::whereGreater(t, one, one, t));
    }
    case Activation::Tanh: {
      // |x| < 0.625: the odd polynomial x + x^3 P(x^2) (Cephes tanhf), relative error about 1e-7 down to the
      // smallest x (1 - 2 / (e^2x + 1) there is 19 % off at 1e-7 and 0 below 6e-8); elsewhere that formula,
      // with exact limits at +-inf. NaN fails the comparison and goes through the formula, which keeps it.
      const R e = expV<V>(V::add(x, x));
      const R large = V::sub(one, V::div(V::set1(2.0f), V::add(e, one)));
      const R z = V::mul(x, x);
      R p = V::set1(-5.70498872745e-3f);
      p = V::fma(p, z, V::set1(2.06390887954e-2f));
      p = V::fma(p, z, V::set1(-5.37397155531e-2f));
      p = V::fma(p, z, V::set1(1.33314422036e-1f));
      p = V::fma(p, z, V::set1(-3.33332819422e-1f));
      const R small = V::fma(V::mul(p, z), x, x);
      return V::whereLess(V::abs(x), V::set1(0.625f), small, large);
    }
    case Activation::Relu:
      return V::whereLess(x, zero, zero, x);
    case Activation::Relu6: {
      const R six = V::set1(6.0f);
      return V::whereLess(x, zero, zero, V::whereGreater(x, six, six, x));
    }
    case Activation::LeakyRelu:
      return V::whereLess(x, zero, V::mul(x, V::set1(kLeakyReluSlope)), x);
    case Activation::Elu:
      return V::whereLess(x, zero, V::sub(expV<V>(x), one), x);
    case Activation::Selu: {
      R negative = V::mul(V::set1(kSeluAlpha), V::sub(expV<V>(x), one));
      return V::mul(V::set1(kSeluScale), V::whereLess(x, zero, negative, x));
    }
    case Activation::Silu:
      return V::mul(x, V::recip(V::add(one, expV<V>(V::sub(zero, x)))));
    case Activation::Softsign:
      return V::div(x, V::add(one, V::abs(x)));
    case Activation::Exponential:
      return expV<V>(x);
    default:
      return x;  // Linear; the rest go through the scalar definitions
  }
}

inline bool hasVectorForm(Activation act) {
  return act != Activation::Gelu && act != Activation::Softplus && act != Activation::Mish &&
         act != Activation::Linear && !isRowwise(act);
}

template <class V>
void activateElementwise(float* y, int64_t count, Activation act) {
  if (act == Activation::Linear) return;
  if (!hasVectorForm(act)) {
    for (int64_t i = 0; i < count; ++i) y[i] = activateScalar(act, y[i]);
    return;
  }
  int64_t i = 0;
  for (; i + V::kWidth <= count; i += V::kWidth) V::store(y + i, activateV<V>(act, V::load(y + i)));
  if (i < count) {
    int n = static_cast<int>(count - i);
    V::storeN(y + i, activateV<V>(act, V::loadN(y + i, n)), n);
  }
}

template <class V>
float rowMaximum(const float* row, int units) {
  // NaN never compares greater, so it is skipped here; it still turns the whole row NaN through exp(x - max).
  using R = typename V::Reg;
  R maxV = V::set1(-INFINITY);
  int u = 0;
  for (; u + V::kWidth <= units; u += V::kWidth) {
    const R v = V::load(row + u);
    maxV = V::whereGreater(v, maxV, v, maxV);
  }
  float rowMax = V::maxLane(maxV);
  for (; u < units; ++u) rowMax = row[u] > rowMax ? row[u] : rowMax;
  return rowMax;
}

// row[u] *= scale, vectorised.
template <class V>
void scaleRow(float* row, int units, float scale) {
  const typename V::Reg scaleV = V::set1(scale);
  int u = 0;
  for (; u + V::kWidth <= units; u += V::kWidth) V::store(row + u, V::mul(V::load(row + u), scaleV));
  for (; u < units; ++u) row[u] = row[u] * scale;
}

// row[u] = (row[u] - a) - b, vectorised. log_softmax computes (x - max) - log(sum) in this order: the float32
// rounding of max + log(sum) at the logits' magnitude (0.02 at 1e6) would otherwise land in every output.
template <class V>
void subtractTwice(float* row, int units, float a, float b) {
  const typename V::Reg aV = V::set1(a), bV = V::set1(b);
  int u = 0;
  for (; u + V::kWidth <= units; u += V::kWidth) V::store(row + u, V::sub(V::sub(V::load(row + u), aV), bV));
  for (; u < units; ++u) row[u] = (row[u] - a) - b;
}

// softmax / log_softmax over one row of `units` values, in place. Subtracting the row maximum keeps exp finite;
// a NaN anywhere in the row makes the whole row NaN, as in the float64 reference.
template <class V>
void softmaxRow(float* row, int units, bool logarithm) {
  using R = typename V::Reg;
  const float rowMax = rowMaximum<V>(row, units);
  const R maxV = V::set1(rowMax);
  R sumV = V::zero();
  float sumTail = 0.0f;
  int u = 0;
  for (; u + V::kWidth <= units; u += V::kWidth) {
    R e = expV<V>(V::sub(V::load(row + u), maxV));
    if (!logarithm) V::store(row + u, e);
    sumV = V::add(sumV, e);
  }
  for (; u < units; ++u) {
    float e = expf(row[u] - rowMax);
    if (!logarithm) row[u] = e;
    sumTail += e;
  }
  const float sum = V::sum(sumV) + sumTail;
  if (logarithm)
    subtractTwice<V>(row, units, rowMax, logf(sum));
  else
    scaleRow<V>(row, units, 1.0f / sum);
}

template <class V>
void activateRows(float* y, int64_t rows, int units, Activation act) {
  if (isRowwise(act)) {
    for (int64_t r = 0; r < rows; ++r) softmaxRow<V>(y + r * units, units, act == Activation::LogSoftmax);
  } else {
    activateElementwise<V>(y, rows * units, act);
  }
}

// Registers left for accumulators after the operands, split between units (dot path) or panel vectors.
template <class V, int Units>
constexpr int dotRowsPerStep() {
  return maxOf(1, minOf(8, (V::kRegisters - 4) / (Units + 1)));
}

// Small U from 2 (U = 1 is gemvRows): each output is a dot product of a row of x with a row of kernelByUnit.
// Several rows at once give independent FMA chains; x is read once, straight from the caller's buffer.
template <class V, int Units, class In>
void dotRows(const PackedWeights& w, const In* x, float* y, int64_t begin, int64_t end) {
  using R = typename V::Reg;
  constexpr int kRows = dotRowsPerStep<V, Units>();
  const int F = w.features;
  const float* kernel = w.kernelByUnit.data();
  const float* bias = w.bias.data();
  for (int64_t m = begin; m < end; m += kRows) {
    const int rows = static_cast<int>(minOf<int64_t>(kRows, end - m));
    const In* xRow[kRows];
    for (int r = 0; r < kRows; ++r) xRow[r] = x + (m + minOf(r, rows - 1)) * static_cast<int64_t>(F);
    R acc[Units][kRows];
    for (int u = 0; u < Units; ++u)
      for (int r = 0; r < kRows; ++r) acc[u][r] = V::zero();
    int f = 0;
    for (; f + V::kWidth <= F; f += V::kWidth) {
      R xv[kRows];
      for (int r = 0; r < kRows; ++r) xv[r] = loadX<V>(xRow[r] + f);
      for (int u = 0; u < Units; ++u) {
        const R wv = V::load(kernel + static_cast<int64_t>(u) * F + f);
        for (int r = 0; r < kRows; ++r) acc[u][r] = V::fma(xv[r], wv, acc[u][r]);
      }
    }
    if (f < F) {
      const int n = F - f;
      R xv[kRows];
      for (int r = 0; r < kRows; ++r) xv[r] = loadXN<V>(xRow[r] + f, n);
      for (int u = 0; u < Units; ++u) {
        const R wv = V::loadN(kernel + static_cast<int64_t>(u) * F + f, n);
        for (int r = 0; r < kRows; ++r) acc[u][r] = V::fma(xv[r], wv, acc[u][r]);
      }
    }
    for (int r = 0; r < rows; ++r)
      for (int u = 0; u < Units; ++u) y[(m + r) * Units + u] = V::sum(acc[u][r]) + bias[u];
  }
}

// gemvShifted handles F up to this; its shifted kernel lives on the stack.
constexpr int kShiftedMaxFeatures = 1024;

// U = 1 on AVX-512 (V::kMaskedFma) when x starts `shift` floats past a 64-byte boundary and F is a multiple of
// 16. Unaligned loads of such rows each straddle two cache lines, which costs about half as much again when x
// comes from L2 (docs/benchmarks.md), and Node's large typed arrays start 16 bytes past a
// page boundary, so this is the common case. Here every load is aligned and each register of x is loaded
// once: a row covers F/16 + 1 aligned registers, the first and last shared with its neighbours, and the kernel
// is shifted by `shift` to match. The shared registers' lanes are split between the two rows with masked
// multiply-adds, so a neighbour's inf or NaN never meets this row's weights. Does whole steps of kRows rows;
// returns the first row it did not do.
template <class V>
int64_t gemvShifted(const PackedWeights& w, const float* x, float* y, int64_t begin, int64_t end, int shift) {
  using R = typename V::Reg;
  constexpr int kRows = V::kWidth;
  const int F = w.features;
  const int inner = F / V::kWidth;  // registers after the first: the last is shared with the next row
  alignas(64) float shifted[kShiftedMaxFeatures + V::kWidth];
  for (int i = 0; i < F + V::kWidth; ++i) shifted[i] = 0.0f;
  for (int f = 0; f < F; ++f) shifted[shift + f] = w.kernelByUnit[f];
  const typename V::Mask own = V::lanesFrom(shift);     // lanes of a row's first register that are its own
  const typename V::Mask spill = V::lanesBelow(shift);  // lanes of its last register that are its own
  const R bias = V::set1(w.bias[0]);
  const R firstWeights = V::loadAligned(shifted);
  const R lastWeights = V::loadAligned(shifted + inner * V::kWidth);
  const float* register0 = x + begin * static_cast<int64_t>(F) - shift;  // aligned
  R shared = V::loadAlignedMasked(register0, own);                       // the lanes before x[begin * F] are not read
  int64_t m = begin;
  for (; m + kRows <= end; m += kRows) {
    R acc[kRows];
    for (int r = 0; r < kRows; ++r) {
      R sum = V::mulMasked(own, shared, firstWeights);
      for (int j = 1; j < inner; ++j)
        sum = V::fma(V::loadAligned(register0 + j * V::kWidth), V::loadAligned(shifted + j * V::kWidth), sum);
      register0 += inner * V::kWidth;
      // The next row's first register; past the last row only this row's lanes are read.
      shared = m + r + 1 < end ? V::loadAligned(register0) : V::loadAlignedMasked(register0, spill);
      acc[r] = V::fmaMasked(spill, shared, lastWeights, sum);
    }
    V::store(y + m, V::add(V::sumRows(acc), bias));
  }
  return m;
}

// U = 1: one row per SIMD lane, finished with one sumRows(). x is read row by row, kChunk registers of a row
// at a time (contiguous bytes, which the hardware prefetchers follow best), against kChunk registers of the
// kernel held in registers; a tail of F shorter than a chunk goes one register at a time.
template <class V, class In>
void gemvRows(const PackedWeights& w, const In* x, float* y, int64_t begin, int64_t end) {
  using R = typename V::Reg;
  constexpr int kRows = V::kWidth;
  // float16 x: twice the registers per chunk where there are registers enough, so that a chunk covers as many
  // bytes of a row as with float32 x (F = 128: the whole row, read front to back; a third faster from DRAM).
  constexpr int kChunk = sizeof(In) < sizeof(float) && V::kRegisters >= 32 ? 8 : 4;
  constexpr int kChunkFloats = kChunk * V::kWidth;
  const int F = w.features;
  const float* kernel = w.kernelByUnit.data();
  const R bias = V::set1(w.bias[0]);
  if constexpr (V::kMaskedFma && sizeof(In) == sizeof(float)) {  // float32 x only
    const uintptr_t address = reinterpret_cast<uintptr_t>(x);
    const int shift = static_cast<int>(address / sizeof(float) % V::kWidth);
    if (address % sizeof(float) == 0 && shift != 0 && F % V::kWidth == 0 && F <= kShiftedMaxFeatures)
      begin = gemvShifted<V>(w, x, y, begin, end, shift);
  }
  for (int64_t m = begin; m < end; m += kRows) {
    const int rows = static_cast<int>(minOf<int64_t>(kRows, end - m));
    const In* xRow[kRows];
    for (int r = 0; r < kRows; ++r) xRow[r] = x + (m + minOf(r, rows - 1)) * static_cast<int64_t>(F);
    R acc[kRows];
    for (int r = 0; r < kRows; ++r) acc[r] = V::zero();
    int f = 0;
    for (; f + kChunkFloats <= F; f += kChunkFloats) {
      R wv[kChunk];
      for (int j = 0; j < kChunk; ++j) wv[j] = V::load(kernel + f + j * V::kWidth);
      for (int r = 0; r < kRows; ++r)
        for (int j = 0; j < kChunk; ++j) acc[r] = V::fma(loadX<V>(xRow[r] + f + j * V::kWidth), wv[j], acc[r]);
    }
    for (; f < F; f += V::kWidth) {
      const int n = minOf(V::kWidth, F - f);
      const R wv = V::loadN(kernel + f, n);
      for (int r = 0; r < kRows; ++r) acc[r] = V::fma(loadXN<V>(xRow[r] + f, n), wv, acc[r]);
    }
    const R sums = V::add(V::sumRows(acc), bias);
    if (rows == kRows)
      V::store(y + m, sums);
    else
      V::storeN(y + m, sums, rows);
  }
}

template <class V, int PanelVectors>
constexpr int panelRowsPerStep() {
  return maxOf(1, minOf(8, (V::kRegisters - PanelVectors - 2) / PanelVectors));
}

// Rows per step of the wide panel kernels (SixteenRows for float32 x, halfPanelRowsAhead for float16 x): 16
// where the registers hold 16 rows of accumulators (AVX-512 with one register of units, U = 5..16), else 0.
// Eight rows give eight independent multiply-add chains, exactly what two FMA pipes of 4-cycle latency need
// and no slack; 16 give slack, and share each loaded register of weights between twice the rows
// (32×1000×64 → 16 relu: 0.26 → 0.21 ms, docs/benchmarks.md). On AVX-512 these U now take the quad kernel
// where F is a multiple of 4 (quadRows); the 16-row steps remain for other F.
template <class V, int PanelVectors>
constexpr int widePanelRows() {
  return (V::kRegisters - PanelVectors - 2) / PanelVectors >= 16 ? 16 : 0;
}

// One stretch of the panel micro-kernel: `count` features, starting `f0` rows into the panel, of kRows rows of
// float32 x. `rows` walks the stretch: rows.at(r) reads row r's current feature, rows.next() moves all rows to the
// next one. How a Rows type addresses its rows decides how many general registers the loop needs (ByPointer,
// SixteenRows, Strided below).
template <class V, int PanelVectors, int kRows, class Rows>
inline void panelSteps(typename V::Reg (&acc)[kRows][PanelVectors], const float* panel, int width, int64_t f0,
                       int count, Rows rows) {
  using R = typename V::Reg;
  for (int f = 0; f < count; ++f) {
    R wv[PanelVectors];
    for (int j = 0; j < PanelVectors; ++j) wv[j] = V::load(panel + (f0 + f) * width + j * V::kWidth);
    for (int r = 0; r < kRows; ++r) {
      const R xb = V::set1(rows.at(r));
      for (int j = 0; j < PanelVectors; ++j) acc[r][j] = V::fma(xb, wv[j], acc[r][j]);
    }
    rows.next();
  }
}

// Rows for panelSteps: a pointer per row (8 rows fit x86-64's 16 general registers).
template <int kRows>
struct ByPointer {
  const float* const* row;
  int64_t f = 0;
  float at(int r) const { return row[r][f]; }
  void next() { ++f; }
};

// 16 rows F floats apart, addressed from two bases (rows 0 and 8) plus S, 2S, ... 7S: nine general registers,
// where 16 row pointers would not fit in x86-64's 16 and spill (a reload from the stack for each of those rows,
// every step).
struct SixteenRows {
  const char* p;  // row 0's current feature
  const char* q;  // row 8's
  int64_t S;      // bytes between rows
  float at(int r) const { return *reinterpret_cast<const float*>((r < 8 ? p : q) + (r % 8) * S); }
  void next() {
    p += sizeof(float);
    q += sizeof(float);
  }
};

// Rows kStride floats apart at compile time (the float16 widening buffer): one base register, constant offsets.
template <int kStride>
struct Strided {
  const float* base;
  float at(int r) const { return base[r * kStride]; }
  void next() { ++base; }
};

// float16 x on the panel path is widened this many features at a time into a float buffer on the stack (kRows
// rows of it, 8 KiB at most); the multiply-adds then broadcast from there.
constexpr int kHalfPanelChunk = 256;

// Adds the bias to one panel's accumulators and stores the `rows` rows of them at row m of y. Every loop over
// acc has a compile-time length (the row limit is a test inside): indexing acc with a runtime row count made the
// compiler keep acc on the stack, a store and a reload of every accumulator per step, and in 2-thread runs
// about a fifth of the whole call (32×1000×64 → 16, docs/benchmarks.md).
template <class V, int PanelVectors, int kRows>
inline void storePanel(const typename V::Reg (&acc)[kRows][PanelVectors], const PackedWeights& w, float* y, int64_t m,
                       int rows, int p) {
  using R = typename V::Reg;
  const int64_t U = w.units;
  for (int j = 0; j < PanelVectors; ++j) {
    const int column = p * w.panelWidth + j * V::kWidth;
    const int n = minOf(V::kWidth, w.units - column);
    if (n <= 0) break;
    const R b = V::load(w.bias.data() + column);
    float* out = y + m * U + column;
    if (n == V::kWidth && rows == kRows) {
      for (int r = 0; r < kRows; ++r) V::store(out + r * U, V::add(acc[r][j], b));
    } else {
      for (int r = 0; r < kRows; ++r)
        if (r < rows) V::storeN(out + r * U, V::add(acc[r][j], b), n);
    }
  }
}

// float16 x whose rows fit the widening buffer (F <= kHalfPanelChunk, the common case): each block of rows is
// widened once for all panels, one block ahead of the multiply-adds that read it. Widening a block right before
// reading it back cost about 18 % against float32 x (32×1000×64 → 16): the broadcasts then wait on stores still
// in flight; a block later those stores have reached the cache. The buffer's rows are a constant stride apart,
// so 16 rows a step cost no extra registers (widePanelRows); its stride is not a multiple of 1 KiB, so no two
// rows of it start 4 KiB apart.
template <class V, int PanelVectors>
void halfPanelRowsAhead(const PackedWeights& w, const uint16_t* x, float* y, int64_t begin, int64_t end) {
  using R = typename V::Reg;
  constexpr int kRows =
      widePanelRows<V, PanelVectors>() != 0 ? widePanelRows<V, PanelVectors>() : panelRowsPerStep<V, PanelVectors>();
  constexpr int kStride = kHalfPanelChunk + 16;
  const int F = w.features;
  alignas(64) float widened[2][kRows * kStride];
  const auto widenBlock = [&](int64_t m, float* dst) {
    const int rows = static_cast<int>(minOf<int64_t>(kRows, end - m));
    for (int r = 0; r < kRows; ++r)
      widenHalves<V>(x + (m + minOf(r, rows - 1)) * static_cast<int64_t>(F), dst + r * kStride, F);
  };
  if (begin < end) widenBlock(begin, widened[0]);
  int current = 0;
  for (int64_t m = begin; m < end; m += kRows) {
    const int rows = static_cast<int>(minOf<int64_t>(kRows, end - m));
    if (m + kRows < end) widenBlock(m + kRows, widened[current ^ 1]);
    for (int p = 0; p < w.panelCount; ++p) {
      const float* panel = w.panels.data() + static_cast<int64_t>(p) * F * w.panelWidth;
      R acc[kRows][PanelVectors];
      for (int r = 0; r < kRows; ++r)
        for (int j = 0; j < PanelVectors; ++j) acc[r][j] = V::zero();
      panelSteps<V, PanelVectors, kRows>(acc, panel, w.panelWidth, 0, F, Strided<kStride>{widened[current]});
      storePanel<V, PanelVectors, kRows>(acc, w, y, m, rows, p);
    }
    current ^= 1;
  }
}

// U = 5..16 where V has 16 lanes (V::kQuads, AVX-512) and F is a multiple of 4: each register holds 4 units
// x 4 features, and a row needs Groups = ceil(U / 4) of them (units 4g .. 4g+3 in register g). The x operand
// is 4 values of a row repeated in each 128-bit quarter (a 16-byte broadcast load, or 8 bytes of halves
// widened in registers), shared by the row's Groups registers; the weights are w.quads, whole registers,
// shared by the rows of a step. After all F, each quarter's 4 lanes are summed (V::sumQuads), which gives a
// row's units in order. Against the panel kernel, which broadcasts one value of x per multiply-add over 16
// lanes of units whatever U is: a quarter of the loads of x, Groups / 4 of the multiply-adds, no widening
// buffer for float16 x (each 64-byte store to it cost about a cycle of both FMA pipes), 10 shuffles and adds
// per row, and four partial sums per result instead of one chain. 2 threads (docs/benchmarks.md):
// 32×1000×64 → 16 float32 x 0.21 → 0.19 ms, float16 x 0.24 → 0.18 ms; → 8 0.21 → 0.13 ms, either x.
// Rows a step, as many as the registers hold, each the faster measured: float32 x 4, 5, 6 and float16 x 6, 7,
// 8 for 4, 3, 2 groups (10 rows of 2 groups spilled).
template <class V, int Groups, class In>
void quadRows(const PackedWeights& w, const In* x, float* y, int64_t begin, int64_t end) {
  using R = typename V::Reg;
  static_assert(V::kWidth == 16, "4 units x 4 features per register");
  static_assert(Groups >= 1 && Groups <= 4, "up to 4 registers of 4 units");
  constexpr int kRows = sizeof(In) < sizeof(float) ? 10 - Groups : 8 - Groups;  // 6, 7, 8 and 4, 5, 6
  const int F = w.features;
  const int U = w.units;
  const float* quads = w.quads.data();
  const R bias = V::load(w.bias.data());
  for (int64_t m = begin; m < end; m += kRows) {
    const int rows = static_cast<int>(minOf<int64_t>(kRows, end - m));
    const In* xRow[kRows];
    for (int r = 0; r < kRows; ++r) xRow[r] = x + (m + minOf(r, rows - 1)) * static_cast<int64_t>(F);
    R acc[kRows][4];
    for (int r = 0; r < kRows; ++r)
      for (int g = 0; g < 4; ++g) acc[r][g] = V::zero();
    for (int f = 0; f < F; f += 4) {
      R xq[kRows];
      for (int r = 0; r < kRows; ++r) xq[r] = V::loadQuad(xRow[r] + f);
      for (int g = 0; g < Groups; ++g) {
        const R wv = V::load(quads + (f / 4 * Groups + g) * V::kWidth);
        for (int r = 0; r < kRows; ++r) acc[r][g] = V::fma(xq[r], wv, acc[r][g]);
      }
    }
    for (int r = 0; r < kRows; ++r) {
      if (r >= rows) break;
      const R sums = V::add(V::sumQuads(acc[r]), bias);
      if (U == 16)
        V::store(y + (m + r) * U, sums);
      else
        V::storeN(y + (m + r) * U, sums, U);
    }
  }
}

// Larger U: a register-blocked micro-kernel. For each of kRows rows and one panel of PanelVectors registers of
// columns, the accumulators stay in registers over all F; each step broadcasts one x value per row and does
// kRows * PanelVectors FMAs against one row of the packed panel.
template <class V, int PanelVectors, class In>
void panelRows(const PackedWeights& w, const In* x, float* y, int64_t begin, int64_t end) {
  using R = typename V::Reg;
  constexpr int kRows = panelRowsPerStep<V, PanelVectors>();
  const int F = w.features;
  const int width = w.panelWidth;
  if constexpr (sizeof(In) != sizeof(float)) {
    if (F <= kHalfPanelChunk) return halfPanelRowsAhead<V, PanelVectors>(w, x, y, begin, end);
  } else if constexpr (widePanelRows<V, PanelVectors>() == 16) {
    // Whole steps of 16 rows; the rest (under 16) go through the 8-row loop below.
    const int64_t S = F * static_cast<int64_t>(sizeof(float));
    for (; begin + 16 <= end; begin += 16) {
      const char* row0 = reinterpret_cast<const char*>(x + begin * static_cast<int64_t>(F));
      for (int p = 0; p < w.panelCount; ++p) {
        const float* panel = w.panels.data() + static_cast<int64_t>(p) * F * width;
        R acc[16][PanelVectors];
        for (int r = 0; r < 16; ++r)
          for (int j = 0; j < PanelVectors; ++j) acc[r][j] = V::zero();
        panelSteps<V, PanelVectors, 16>(acc, panel, width, 0, F, SixteenRows{row0, row0 + 8 * S, S});
        storePanel<V, PanelVectors, 16>(acc, w, y, begin, 16, p);
      }
    }
  }
  for (int64_t m = begin; m < end; m += kRows) {
    const int rows = static_cast<int>(minOf<int64_t>(kRows, end - m));
    const In* xRow[kRows];
    for (int r = 0; r < kRows; ++r) xRow[r] = x + (m + minOf(r, rows - 1)) * static_cast<int64_t>(F);
    for (int p = 0; p < w.panelCount; ++p) {
      const float* panel = w.panels.data() + static_cast<int64_t>(p) * F * width;
      R acc[kRows][PanelVectors];
      for (int r = 0; r < kRows; ++r)
        for (int j = 0; j < PanelVectors; ++j) acc[r][j] = V::zero();
      if constexpr (sizeof(In) == sizeof(float)) {
        panelSteps<V, PanelVectors, kRows>(acc, panel, width, 0, F, ByPointer<kRows>{xRow});
      } else {
        // Rows longer than the buffer: widened a chunk at a time, once per panel.
        alignas(64) float widened[kRows][kHalfPanelChunk];
        const float* widenedRow[kRows];
        for (int r = 0; r < kRows; ++r) widenedRow[r] = widened[r];
        for (int f0 = 0; f0 < F; f0 += kHalfPanelChunk) {
          const int count = minOf(kHalfPanelChunk, F - f0);
          for (int r = 0; r < kRows; ++r) widenHalves<V>(xRow[r] + f0, widened[r], count);
          panelSteps<V, PanelVectors, kRows>(acc, panel, width, f0, count, ByPointer<kRows>{widenedRow});
        }
      }
      storePanel<V, PanelVectors, kRows>(acc, w, y, m, rows, p);
    }
  }
}

// The quad kernel for ceil(U / 4) registers of units (U from 5: 2, 3 or 4), or null where V has none.
template <class V, class In>
auto quadKernel(int units) {
  using RowFn = void (*)(const PackedWeights&, const In*, float*, int64_t, int64_t);
  if constexpr (HasQuads<V>::value) {
    static constexpr RowFn byGroups[] = {quadRows<V, 2, In>, quadRows<V, 3, In>, quadRows<V, 4, In>};
    return byGroups[quadGroups(units) - 2];
  } else {
    return static_cast<RowFn>(nullptr);
  }
}

// Rows are computed in blocks small enough that their outputs are still in L1 when the activation runs.
constexpr int64_t kActivationBlockFloats = 4096;

template <class V, class In>
void denseRowsFrom(const PackedWeights& w, const In* x, void* y, ElementType yType, int64_t begin, int64_t end) {
  using RowFn = void (*)(const PackedWeights&, const In*, float*, int64_t, int64_t);
  RowFn compute = nullptr;
  if (w.usesDotPath()) {
    static constexpr RowFn dot[] = {gemvRows<V, In>, dotRows<V, 2, In>, dotRows<V, 3, In>, dotRows<V, 4, In>};
    static_assert(sizeof(dot) / sizeof(dot[0]) == kDotPathMaxUnits, "one dot kernel per unit count");
    compute = dot[w.units - 1];
  } else if (w.usesQuads()) {
    compute = quadKernel<V, In>(w.units);  // packWeights packs quads only for a table whose V has them
  } else {
    static constexpr RowFn panel[] = {panelRows<V, 1, In>, panelRows<V, 2, In>, panelRows<V, 3, In>,
                                      panelRows<V, 4, In>};
    compute = panel[w.panelWidth / V::kWidth - 1];
  }
  const int64_t blockRows = maxOf<int64_t>(16, kActivationBlockFloats / w.units);
  if (yType == ElementType::Float32) {
    float* out = static_cast<float*>(y);
    for (int64_t m = begin; m < end; m += blockRows) {
      const int64_t stop = minOf(end, m + blockRows);
      compute(w, x, out, m, stop);
      activateRows<V>(out + m * w.units, stop - m, w.units, w.activation);
    }
    return;
  }
  // float16 out: each block is computed and activated in float32 here, then rounded once into out.
  // blockRows * U <= max(16 U, 4096) fits for U <= kHalfOutputMaxUnits (denseForward stages larger U itself).
  static_assert(16 * kHalfOutputMaxUnits <= kHalfOutputBlockFloats && kActivationBlockFloats <= kHalfOutputBlockFloats,
                "a block of rows fits the staging buffer");
  alignas(64) float staged[kHalfOutputBlockFloats];
  uint16_t* out = static_cast<uint16_t*>(y);
  for (int64_t m = begin; m < end; m += blockRows) {
    const int64_t stop = minOf(end, m + blockRows);
    compute(w, x + m * static_cast<int64_t>(w.features), staged, 0, stop - m);
    activateRows<V>(staged, stop - m, w.units, w.activation);
    storeHalves<V>(staged, out + m * w.units, (stop - m) * w.units);
  }
}

template <class V>
void denseRows(const PackedWeights& w, const void* x, ElementType xType, void* y, ElementType yType, int64_t begin,
               int64_t end) {
  if (xType == ElementType::Float16)
    denseRowsFrom<V>(w, static_cast<const uint16_t*>(x), y, yType, begin, end);
  else
    denseRowsFrom<V>(w, static_cast<const float*>(x), y, yType, begin, end);
}

}  // namespace TDF_ISA
}  // namespace tdfast
