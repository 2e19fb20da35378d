// Small-U path (U <= 8, U = 1 being the main case): a memory-bound GEMV over M rows of F floats.
//
// A group of G lanes shares a row (V = 4 floats per load when rows are 16-byte aligned, else 1):
// lane j reads vectors j, j+G, ... of the row, so each load instruction of a warp covers 32/G rows
// in G*V*4-byte contiguous pieces. G is the largest power of two <= F/(2V), at most 32, so that each
// lane sums at least 2 vectors of a row and the reduction and activation of a row are paid once per
// at least 8 (V=4) floats per lane. Each thread keeps kRowSlots x kVecsInFlight loads in flight,
// the warps loop over row tiles (persistent grid), and the weights live in shared memory for the
// whole block lifetime. Per row: F*4 bytes read and U*4 written, 2*F*U flops.
#include "kernels.cuh"

#include "../native/shared/activation.h"

namespace tdcuda {
namespace kernels {
namespace {

using tdfast::Activation;

constexpr unsigned kFullMask = 0xffffffffu;
constexpr int kThreads = 256;
constexpr int kWarps = kThreads / 32;
constexpr int kRowSlots = 4;      // rows per thread at a time
constexpr int kVecsInFlight = 2;  // vectors of each row loaded before the first use

template <int V>
struct Vec;
template <>
struct Vec<1> {
  using T = float;
  static __device__ __forceinline__ float zero() { return 0.0f; }
  static __device__ __forceinline__ float dot(float acc, float x, float w) { return fmaf(x, w, acc); }
};
template <>
struct Vec<4> {
  using T = float4;
  static __device__ __forceinline__ float4 zero() { return make_float4(0.0f, 0.0f, 0.0f, 0.0f); }
  static __device__ __forceinline__ float dot(float acc, float4 x, float4 w) {
    acc = fmaf(x.x, w.x, acc);
    acc = fmaf(x.y, w.y, acc);
    acc = fmaf(x.z, w.z, acc);
    return fmaf(x.w, w.w, acc);
  }
};

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
template <int UP>
__device__ __forceinline__ void finishRows(float (&acc)[kRowSlots][UP], int64_t firstRow, int rowStep, int64_t M, int U,
                                           int groupSize, int laneInGroup, const float* biasS, Activation act,
                                           float* __restrict__ y) {
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
    float* yRow = y + row * U + s.unitBase;
#pragma unroll
    for (int i = 0; i < UP; ++i)
      if (row < M && i < count) yRow[i] = acc[r][i];
  }
}

template <int V, int UP>
__global__ void __launch_bounds__(kThreads, UP == 1 ? 3 : 2)
    smallUnitsKernel(const float* __restrict__ x, const float* __restrict__ weights, float* __restrict__ y, int64_t M,
                     int F, int U, int log2Group, int activation) {
  using VecT = typename Vec<V>::T;
  extern __shared__ float4 smemWeights[];  // float4 for 16-byte alignment of the vector reads
  float* weightsS = reinterpret_cast<float*>(smemWeights);
  for (int i = threadIdx.x; i < UP * F + UP; i += kThreads) weightsS[i] = weights[i];
  __syncthreads();
  const VecT* kernelS = reinterpret_cast<const VecT*>(weightsS);  // [UP][F/V]
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
          xv[i][r] = row < M && c < vecsPerRow ? xVec[row * vecsPerRow + c] : Vec<V>::zero();
        }
      }
#pragma unroll
      for (int i = 0; i < kVecsInFlight; ++i) {
        const int c = c0 + i * groupSize;
        if (c >= vecsPerRow) break;
#pragma unroll
        for (int u = 0; u < UP; ++u) {
          const VecT w = kernelS[u * vecsPerRow + c];
#pragma unroll
          for (int r = 0; r < kRowSlots; ++r) acc[r][u] = Vec<V>::dot(acc[r][u], xv[i][r], w);
        }
      }
    }

    finishRows<UP>(acc, firstRow, groupsPerWarp, M, U, groupSize, laneInGroup, biasS, act, y);
  }
}

template <int V, int UP>
cudaError_t launch(const SmallUnitsArgs& a, int smCount, cudaStream_t stream) {
  const int vecsPerRow = a.F / V;
  int log2Group = 0;  // group size: largest power of two <= vecsPerRow / 2, at most 32
  while (log2Group < 5 && (4 << log2Group) <= vecsPerRow) ++log2Group;
  const size_t smem = smallUnitsSmemBytes(a.F, UP);

  int blocksPerSM = 0;
  cudaError_t err =
      cudaOccupancyMaxActiveBlocksPerMultiprocessor(&blocksPerSM, smallUnitsKernel<V, UP>, kThreads, smem);
  if (err != cudaSuccess) return err;
  const int64_t rowsPerTile = int64_t(32 >> log2Group) * kRowSlots;
  const int64_t tiles = (a.M + rowsPerTile - 1) / rowsPerTile;
  const int64_t blocksNeeded = (tiles + kWarps - 1) / kWarps;
  const int64_t resident = int64_t(blocksPerSM > 0 ? blocksPerSM : 1) * smCount;
  const unsigned blocks = static_cast<unsigned>(blocksNeeded < resident ? blocksNeeded : resident);

  smallUnitsKernel<V, UP>
      <<<blocks, kThreads, smem, stream>>>(a.x, a.weights, a.y, a.M, a.F, a.U, log2Group, a.activation);
  return cudaGetLastError();
}

template <int V>
cudaError_t launchForWidth(const SmallUnitsArgs& a, int smCount, cudaStream_t stream) {
  switch (a.paddedUnits) {
    case 1:
      return launch<V, 1>(a, smCount, stream);
    case 2:
      return launch<V, 2>(a, smCount, stream);
    case 4:
      return launch<V, 4>(a, smCount, stream);
    case 8:
      return launch<V, 8>(a, smCount, stream);
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
  const bool vectorRows = a.F % 4 == 0 && reinterpret_cast<uintptr_t>(a.x) % 16 == 0;
  return vectorRows ? launchForWidth<4>(a, smCount, stream) : launchForWidth<1>(a, smCount, stream);
}

cudaError_t checkKernelImage() {
  cudaFuncAttributes attributes;
  return cudaFuncGetAttributes(&attributes, smallUnitsKernel<4, 1>);
}

}  // namespace kernels
}  // namespace tdcuda
