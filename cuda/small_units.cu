// Small-U path (U <= 8, U = 1 being the main case): a memory-bound GEMV over M rows of F values.
//
// A group of G lanes shares a row (16-byte loads, V = 4 floats or 8 float16 values, when rows are
// 16-byte aligned, else V = 1): lane j reads vectors j, j+G, ... of the row, so each load instruction
// of a warp covers 32/G rows in G*16-byte contiguous pieces. G is the largest power of two <= F/(4V),
// at most 32, so that each lane sums at least 4 vectors of a row and the reduction and activation of
// a row are paid once per at least 16 (V=4) values per lane. Each thread keeps kRowSlots x
// kVecsInFlight loads in flight, the warps loop over row tiles (persistent grid), and the weights
// live in shared memory for the whole block lifetime. float16 x is widened to float32 once per load
// and y is rounded to float16 at the store; the arithmetic is float32. Per row: F*4 (float16: F*2)
// bytes read and U*4 (U*2) written, 2*F*U flops.
#include "kernels.cuh"

#include <cuda_fp16.h>

#include "../native/shared/activation.h"
#include "elements.cuh"

namespace tdcuda {
namespace kernels {
namespace {

using tdfast::Activation;

constexpr unsigned kFullMask = 0xffffffffu;
constexpr int kThreads = 256;
constexpr int kWarps = kThreads / 32;

// Per x type: rows per thread at a time, vectors of each row loaded before the first use, the minimum
// resident blocks per SM for U = 1 (a register budget for ptxas), and the fewest vectors each lane sums per
// row (which sets the group size G). float16 x does twice the arithmetic per byte (a widening per value) and
// gains from more warps in flight: measured on an H200 (bench/gpu/NOTES.md, bench/gpu/variants.sh), 4 row
// slots, 1 vector in flight and 4 blocks took 64x4096x128->1 from 74 % to 81 % of copy bandwidth, where 8
// row slots, 2 blocks, 4 vectors in flight or G doubled were slower. The macros exist for such experiments.
#ifndef TDCUDA_HALF_ROW_SLOTS
#define TDCUDA_HALF_ROW_SLOTS 4
#endif
#ifndef TDCUDA_HALF_VECS_IN_FLIGHT
#define TDCUDA_HALF_VECS_IN_FLIGHT 1
#endif
#ifndef TDCUDA_HALF_MIN_BLOCKS
#define TDCUDA_HALF_MIN_BLOCKS 4
#endif
#ifndef TDCUDA_HALF_MIN_VECS_PER_LANE
#define TDCUDA_HALF_MIN_VECS_PER_LANE 4
#endif
template <class XT>
struct Tuning {
  static constexpr int kRowSlots = 4;  // rows per thread at a time
  static constexpr int kVecsInFlight = 2;
  static constexpr int kMinBlocksU1 = 3;
  static constexpr int kMinVecsPerLane = 4;
};
template <>
struct Tuning<__half> {
  static constexpr int kRowSlots = TDCUDA_HALF_ROW_SLOTS;
  static constexpr int kVecsInFlight = TDCUDA_HALF_VECS_IN_FLIGHT;
  static constexpr int kMinBlocksU1 = TDCUDA_HALF_MIN_BLOCKS;
  static constexpr int kMinVecsPerLane = TDCUDA_HALF_MIN_VECS_PER_LANE;
};

// One load of V elements of x (XT: float, or __half for float16 bits), widened to floats at use, kPart
// at a time (so that 8 halves need no more registers than 4 floats).
template <class XT, int V>
struct XLoad;
template <>
struct XLoad<float, 1> {
  using T = float;
  static constexpr int kPart = 1;
  static __device__ __forceinline__ T zero() { return 0.0f; }
  static __device__ __forceinline__ void widen(T v, int, float (&f)[1]) { f[0] = v; }
};
template <>
struct XLoad<float, 4> {
  using T = float4;
  static constexpr int kPart = 4;
  static __device__ __forceinline__ T zero() { return make_float4(0.0f, 0.0f, 0.0f, 0.0f); }
  static __device__ __forceinline__ void widen(T v, int, float (&f)[4]) {
    f[0] = v.x;
    f[1] = v.y;
    f[2] = v.z;
    f[3] = v.w;
  }
};
template <>
struct XLoad<__half, 1> {
  using T = __half;
  static constexpr int kPart = 1;
  static __device__ __forceinline__ T zero() { return __ushort_as_half(0); }
  static __device__ __forceinline__ void widen(T v, int, float (&f)[1]) { f[0] = __half2float(v); }
};
template <>
struct XLoad<__half, 8> {  // 16 bytes: four pairs of halves, widened 4 at a time
  using T = uint4;
  static constexpr int kPart = 4;
  static __device__ __forceinline__ T zero() { return make_uint4(0, 0, 0, 0); }
  static __device__ __forceinline__ void widen(T v, int part, float (&f)[4]) {  // part: 0 or 1 (compile time)
    const float2 a = widenHalfPair(part == 0 ? v.x : v.z), b = widenHalfPair(part == 0 ? v.y : v.w);
    f[0] = a.x, f[1] = a.y, f[2] = b.x, f[3] = b.y;
  }
};

// V consecutive kernel values from shared memory (16-byte aligned when V >= 4).
template <int V>
__device__ __forceinline__ void loadWeights(const float* p, float (&w)[V]) {
  if constexpr (V == 1) {
    w[0] = p[0];
  } else {
#pragma unroll
    for (int i = 0; i < V; i += 4) {
      const float4 q = *reinterpret_cast<const float4*>(p + i);
      w[i] = q.x, w[i + 1] = q.y, w[i + 2] = q.z, w[i + 3] = q.w;
    }
  }
}

// Which of a row's UP sums a lane holds after reduceGroup; the same for every row.
struct UnitLayout {
  int held;         // number of sums held: v[0..held)
  int unitBase;     // v[i] is the sum of unit unitBase + i
  int plainOffset;  // lanes that differ only in bits below 2*plainOffset hold identical copies

  // Reduces a per-lane value over the lanes that hold different units of the row.
  template <class Op>
  __device__ __forceinline__ float acrossUnits(float value, int groupSize, Op op) const {
    for (int offset = groupSize >> 1; offset > plainOffset; offset >>= 1)
      value = op(value, __shfl_xor_sync(kFullMask, value, offset));
    return value;
  }

  __device__ __forceinline__ bool writer(int laneInGroup) const {
    const int copyMask = plainOffset ? 2 * plainOffset - 1 : 0;
    return (laneInGroup & copyMask) == 0;
  }
};

// Sums each lane's UP partial dot products over the G lanes of its group by recursive halving: at
// every step a lane keeps half of its values and hands the other half to its partner, so UP values
// take UP-1 shuffles instead of UP*log2(G). If G > UP the last log2(G/UP) steps are plain butterflies.
template <int UP>
__device__ __forceinline__ UnitLayout reduceGroup(float (&v)[UP], int groupSize, int laneInGroup) {
  UnitLayout layout{UP, 0, 0};
  int offset = groupSize >> 1;
#pragma unroll
  for (int half = UP / 2; half >= 1; half /= 2) {
    if (offset > 0) {
      const bool upper = (laneInGroup & offset) != 0;
#pragma unroll
      for (int i = 0; i < half; ++i) {
        const float send = upper ? v[i] : v[i + half];
        const float keep = upper ? v[i + half] : v[i];
        v[i] = keep + __shfl_xor_sync(kFullMask, send, offset);
      }
      if (upper) layout.unitBase += half;
      layout.held = half;
      offset >>= 1;
    }
  }
  layout.plainOffset = offset;
  for (; offset > 0; offset >>= 1) v[0] += __shfl_xor_sync(kFullMask, v[0], offset);
  return layout;
}

struct MaxOp {
  __device__ __forceinline__ float operator()(float a, float b) const { return fmaxf(a, b); }
};
struct SumOp {
  __device__ __forceinline__ float operator()(float a, float b) const { return a + b; }
};

// Reduces the partial sums of the kRowSlots rows of this thread, adds the bias, applies the
// activation (softmax/log_softmax over the row's U units) and writes the rows. Every lane of the warp
// calls it (shuffles); all shuffles come before the divergent code.
template <int UP, int kRowSlots>
__device__ __forceinline__ void finishRows(float (&acc)[kRowSlots][UP], int64_t firstRow, int rowStep, int64_t M, int U,
                                           int groupSize, int laneInGroup, const float* biasS, Activation act,
                                           void* __restrict__ y, bool halfY) {
  UnitLayout s;
#pragma unroll
  for (int r = 0; r < kRowSlots; ++r) s = reduceGroup<UP>(acc[r], groupSize, laneInGroup);
  const int units = min(s.held, U - s.unitBase);  // units of the row held here
#pragma unroll
  for (int r = 0; r < kRowSlots; ++r)
#pragma unroll
    for (int i = 0; i < UP; ++i) acc[r][i] += biasS[s.unitBase + (i < s.held ? i : 0)];  // stay inside bias[UP]

  if (tdfast::isRowwise(act)) {
    // A NaN anywhere in the row makes the exp-sum NaN, so the whole row becomes NaN.
    float rowMax[kRowSlots], expSum[kRowSlots];
#pragma unroll
    for (int r = 0; r < kRowSlots; ++r) {
      rowMax[r] = -INFINITY;
#pragma unroll
      for (int i = 0; i < UP; ++i) rowMax[r] = i < units ? fmaxf(rowMax[r], acc[r][i]) : rowMax[r];
      rowMax[r] = s.acrossUnits(rowMax[r], groupSize, MaxOp());
      expSum[r] = 0.0f;
#pragma unroll
      for (int i = 0; i < UP; ++i) expSum[r] += i < units ? expf(acc[r][i] - rowMax[r]) : 0.0f;
      expSum[r] = s.acrossUnits(expSum[r], groupSize, SumOp());
    }
#pragma unroll
    for (int r = 0; r < kRowSlots; ++r) {
      const float invSum = 1.0f / expSum[r];  // within 1.5 ulp of e / expSum, one division per row
      const float logSum = logf(expSum[r]);
#pragma unroll
      for (int i = 0; i < UP; ++i)
        acc[r][i] = act == Activation::Softmax ? expf(acc[r][i] - rowMax[r]) * invSum : acc[r][i] - rowMax[r] - logSum;
    }
  } else {
#pragma unroll
    for (int r = 0; r < kRowSlots; ++r)
#pragma unroll
      for (int i = 0; i < UP; ++i) acc[r][i] = tdfast::activateScalar(act, acc[r][i]);
  }

  const int count = s.writer(laneInGroup) ? units : 0;  // lanes holding copies write nothing
#pragma unroll
  for (int r = 0; r < kRowSlots; ++r) {
    const int64_t row = firstRow + int64_t(r) * rowStep;
    const int64_t first = row * U + s.unitBase;
#pragma unroll
    for (int i = 0; i < UP; ++i)
      if (row < M && i < count) storeValue(y, first + i, acc[r][i], halfY);  // halfY: uniform across the grid
  }
}

template <class XT, int V, int UP>
__global__ void __launch_bounds__(kThreads, UP == 1 ? Tuning<XT>::kMinBlocksU1 : 2)
    smallUnitsKernel(const XT* __restrict__ x, const float* __restrict__ weights, void* __restrict__ y, int64_t M,
                     int F, int U, int log2Group, int activation, bool halfY) {
  using Load = XLoad<XT, V>;
  using VecT = typename Load::T;
  constexpr int kVecsInFlight = Tuning<XT>::kVecsInFlight;
  constexpr int kRowSlots = Tuning<XT>::kRowSlots;
  extern __shared__ float4 smemWeights[];  // float4 for 16-byte alignment of the vector reads
  float* weightsS = reinterpret_cast<float*>(smemWeights);
  for (int i = threadIdx.x; i < UP * F + UP; i += kThreads) weightsS[i] = weights[i];
  __syncthreads();
  const float* kernelS = weightsS;  // [UP][F]
  const float* biasS = weightsS + UP * F;

  const Activation act = static_cast<Activation>(activation);
  const int groupSize = 1 << log2Group;
  const int lane = threadIdx.x & 31;
  const int laneInGroup = lane & (groupSize - 1);
  const int groupsPerWarp = 32 >> log2Group;
  const int vecsPerRow = F / V;
  const VecT* xVec = reinterpret_cast<const VecT*>(x);

  const int64_t rowsPerTile = int64_t(groupsPerWarp) * kRowSlots;
  const int64_t numTiles = (M + rowsPerTile - 1) / rowsPerTile;
  const int64_t tileStride = int64_t(gridDim.x) * kWarps;
  for (int64_t tile = int64_t(blockIdx.x) * kWarps + (threadIdx.x >> 5); tile < numTiles; tile += tileStride) {
    // Slot r holds row firstRow + r*groupsPerWarp, so each slot's loads span consecutive rows.
    const int64_t firstRow = tile * rowsPerTile + (lane >> log2Group);
    float acc[kRowSlots][UP];
#pragma unroll
    for (int r = 0; r < kRowSlots; ++r)
#pragma unroll
      for (int u = 0; u < UP; ++u) acc[r][u] = 0.0f;

    for (int c0 = laneInGroup; c0 < vecsPerRow; c0 += groupSize * kVecsInFlight) {
      VecT xv[kVecsInFlight][kRowSlots];
#pragma unroll
      for (int i = 0; i < kVecsInFlight; ++i) {
        const int c = c0 + i * groupSize;
#pragma unroll
        for (int r = 0; r < kRowSlots; ++r) {
          const int64_t row = firstRow + int64_t(r) * groupsPerWarp;
          // Streaming loads (ld.global.cs, evict first): x is read once. H200, against plain loads:
          // 64x4096x128->1 89 -> 92 % of copy bandwidth (float32 x), 81 -> 85 % (float16 x); 1 GB +1 %.
          xv[i][r] = row < M && c < vecsPerRow ? __ldcs(xVec + row * vecsPerRow + c) : Load::zero();
        }
      }
#pragma unroll
      for (int i = 0; i < kVecsInFlight; ++i) {
        const int c = c0 + i * groupSize;
        if (c >= vecsPerRow) break;
        constexpr int P = Load::kPart;
#pragma unroll
        for (int part = 0; part < V / P; ++part) {
          // Widened once (float16: a conversion per 2 halves), then used for every unit.
          float xf[kRowSlots][P];
#pragma unroll
          for (int r = 0; r < kRowSlots; ++r) Load::widen(xv[i][r], part, xf[r]);
#pragma unroll
          for (int u = 0; u < UP; ++u) {
            float w[P];
            loadWeights<P>(kernelS + u * F + c * V + part * P, w);
#pragma unroll
            for (int r = 0; r < kRowSlots; ++r)
#pragma unroll
              for (int e = 0; e < P; ++e) acc[r][u] = fmaf(xf[r][e], w[e], acc[r][u]);
          }
        }
      }
    }

    finishRows<UP, kRowSlots>(acc, firstRow, groupsPerWarp, M, U, groupSize, laneInGroup, biasS, act, y, halfY);
  }
}

template <class XT, int V, int UP>
cudaError_t launch(const SmallUnitsArgs& a, int smCount, cudaStream_t stream) {
  const int vecsPerRow = a.F / V;
  int log2Group = 0;  // group size: largest power of two <= vecsPerRow / 4, at most 32
  while (log2Group < 5 && (Tuning<XT>::kMinVecsPerLane << log2Group) <= vecsPerRow) ++log2Group;
  const size_t smem = smallUnitsSmemBytes(a.F, UP);

  int blocksPerSM = 0;
  cudaError_t err =
      cudaOccupancyMaxActiveBlocksPerMultiprocessor(&blocksPerSM, smallUnitsKernel<XT, V, UP>, kThreads, smem);
  if (err != cudaSuccess) return err;
  const int64_t rowsPerTile = int64_t(32 >> log2Group) * Tuning<XT>::kRowSlots;
  const int64_t tiles = (a.M + rowsPerTile - 1) / rowsPerTile;
  const int64_t blocksNeeded = (tiles + kWarps - 1) / kWarps;
  const int64_t resident = int64_t(blocksPerSM > 0 ? blocksPerSM : 1) * smCount;
  const unsigned blocks = static_cast<unsigned>(blocksNeeded < resident ? blocksNeeded : resident);

  smallUnitsKernel<XT, V, UP><<<blocks, kThreads, smem, stream>>>(static_cast<const XT*>(a.x), a.weights, a.y, a.M, a.F,
                                                                  a.U, log2Group, a.activation, a.halfY);
  return cudaGetLastError();
}

template <class XT, int V>
cudaError_t launchForWidth(const SmallUnitsArgs& a, int smCount, cudaStream_t stream) {
  switch (a.paddedUnits) {
    case 1:
      return launch<XT, V, 1>(a, smCount, stream);
    case 2:
      return launch<XT, V, 2>(a, smCount, stream);
    case 4:
      return launch<XT, V, 4>(a, smCount, stream);
    case 8:
      return launch<XT, V, 8>(a, smCount, stream);
  }
  return cudaErrorInvalidValue;
}

}  // namespace

int smallUnitsPadded(int U) {
  int padded = 1;
  while (padded < U) padded *= 2;
  return padded;
}

size_t smallUnitsSmemBytes(int F, int paddedUnits) {
  return (size_t(paddedUnits) * size_t(F) + size_t(paddedUnits)) * sizeof(float);
}

cudaError_t launchSmallUnits(const SmallUnitsArgs& a, int smCount, cudaStream_t stream) {
  // 16-byte loads (4 floats or 8 halves) when every row starts 16-byte aligned, else one element at a time.
  const bool aligned = reinterpret_cast<uintptr_t>(a.x) % 16 == 0;
  if (a.halfX)
    return aligned && a.F % 8 == 0 ? launchForWidth<__half, 8>(a, smCount, stream)
                                   : launchForWidth<__half, 1>(a, smCount, stream);
  return aligned && a.F % 4 == 0 ? launchForWidth<float, 4>(a, smCount, stream)
                                 : launchForWidth<float, 1>(a, smCount, stream);
}

cudaError_t checkKernelImage() {
  cudaFuncAttributes attributes;
  return cudaFuncGetAttributes(&attributes, smallUnitsKernel<float, 4, 1>);
}

}  // namespace kernels
}  // namespace tdcuda
