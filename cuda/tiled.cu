// Tiled path for any U (used for U > 8, and for U <= 8 when the weights exceed shared memory).
//
// A block computes a tile of BM rows x BN units. F is consumed in slices of BK = 32 features: the
// x slice (stored transposed, k-major) and the kernel slice go through shared memory, the next
// slice is prefetched into registers while the current one is multiplied, and each thread
// accumulates a TM x TN register block (rows and units interleaved in groups of 4 so that the
// shared-memory reads are 16-byte and conflict-free). With KS > 1 the block's threads form KS groups
// that each take 1/KS of every slice's features (more threads for tiles of few rows); their partial
// sums are added in shared memory before the epilogue. The epilogue stages the accumulators through
// shared memory so that a few consecutive lanes own a whole row: bias, activation and, when U fits
// the tile, softmax/log_softmax over the row are fused, and y is written once, in 16-byte stores
// where U allows. float16 x is widened to float32 as a slice is loaded and y is rounded to float16 as it
// is stored; the arithmetic is float32. Per row: F*4 (float16: F*2) bytes read, U*4 (U*2) written,
// 2*F*U flops.
#include "kernels.cuh"

#include <cuda_fp16.h>

#include <algorithm>

#include "../native/shared/activation.h"
#include "elements.cuh"

namespace tdcuda {
namespace kernels {
namespace {

using tdfast::Activation;

constexpr unsigned kFullMask = 0xffffffffu;

// The minimum blocks per SM of each tile shape are hints to ptxas tuned on sm_90. For the sm_120
// family ptxas allocates far more registers for the same code and spills under those hints, so
// there they are dropped (the CUDA guide's __CUDA_ARCH__-dependent __launch_bounds__ pattern).
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 1200
constexpr bool kMinBlocksHints = false;
#else
constexpr bool kMinBlocksHints = true;
#endif

template <int BN_, int TM_, int TN_, int ThreadsPerSplit_, int KS_, int MinBlocks_>
struct TileConfig {
  static constexpr int BN = BN_;  // units per tile
  static constexpr int TM = TM_;  // rows per thread
  static constexpr int TN = TN_;  // units per thread
  static constexpr int KS = KS_;  // thread groups splitting each slice's features
  static constexpr int kThreadsPerSplit = ThreadsPerSplit_;
  static constexpr int kThreads = ThreadsPerSplit_ * KS_;
  static constexpr int kMinBlocks = MinBlocks_;
  static constexpr int BK = kTileK;
  static constexpr int kPerSplit = BK / KS;  // features of a slice per thread group
  static constexpr int threadsN = BN / TN;
  static constexpr int threadsM = kThreadsPerSplit / threadsN;
  static constexpr int BM = threadsM * TM;  // rows per tile
  static constexpr int xStride = BM + 4;    // padding halves the bank conflicts of the transposing stores
  static constexpr int xLoads = (BM * BK / 4 + kThreads - 1) / kThreads;  // float4 loads per thread per slice
  static constexpr int wLoads = (BK * BN / 4 + kThreads - 1) / kThreads;
  static constexpr int outRows = threadsM * 4;  // rows staged per epilogue pass
  static constexpr int outStride = BN + 4;
  static constexpr int rowLanes = kThreads / outRows;      // lanes that share one row in the epilogue
  static constexpr int chunksPerLane = BN / 4 / rowLanes;  // float4 chunks of the row per lane

  static_assert(TM % 4 == 0 && TN % 4 == 0, "register blocks are built from groups of 4");
  static_assert(threadsN <= 32 && 32 % threadsN == 0 && kThreadsPerSplit % threadsN == 0, "thread layout");
  static_assert(BK % 4 == 0 && BK % KS == 0, "slices of whole float4s, split evenly");
  static_assert(rowLanes >= 1 && rowLanes <= 32 && kThreads % outRows == 0 && chunksPerLane >= 1 &&
                    BN % (4 * rowLanes) == 0,
                "each thread owns whole float4 chunks of one staged row");
};

// Large tiles for many rows; small tiles (16-64 rows, features split over 4 thread groups) so that
// few rows still spread over all SMs. The shapes were measured on an H100 (bench/gpu/NOTES.md); the
// minimum blocks per SM are the largest for which ptxas spills nothing.
//                         BN  TM TN threads/split KS minBlocks
using Large16 = TileConfig<16, 4, 4, 64, 1, 6>;
using Large32 = TileConfig<32, 8, 4, 128, 1, 3>;
using Large64 = TileConfig<64, 8, 4, 128, 1, 3>;
using Large128 = TileConfig<128, 8, 4, 256, 1, 2>;
using Large256 = TileConfig<256, 4, 8, 256, 1, 2>;
using Small16 = TileConfig<16, 4, 4, 64, 4, 2>;
using Small32 = TileConfig<32, 4, 4, 64, 4, 2>;
using Small64 = TileConfig<64, 4, 4, 64, 4, 2>;
using Small128 = TileConfig<128, 4, 8, 64, 4, 2>;
using Small256 = TileConfig<256, 4, 8, 128, 2, 2>;

template <class C>
struct TileSmem {
  union {
    struct {
      float x[C::BK][C::xStride];  // transposed x slice: x[k][row]
      float w[C::BK][C::BN];       // kernel slice
    } main;
    float out[C::outRows][C::outStride];  // epilogue staging
  };
  float bias[C::BN];
};

// Four consecutive x values as loaded (k < F is known for the first): float32 in a float4, float16 as raw
// bits in a uint2, widened only when the slice is stored to shared memory, so that the loads of the next
// slice stay in flight while the current one is multiplied. With kVector one 16-byte (float) or 8-byte
// (float16) load, which needs F % 4 == 0 and an aligned x.
template <class XT>
struct Raw;
template <>
struct Raw<float> {
  using T = float4;
  static __device__ __forceinline__ T zero() { return make_float4(0.0f, 0.0f, 0.0f, 0.0f); }
  static __device__ __forceinline__ float4 widen(T v) { return v; }
};
template <>
struct Raw<__half> {
  using T = uint2;
  static __device__ __forceinline__ T zero() { return make_uint2(0, 0); }
  static __device__ __forceinline__ float4 widen(T v) {
    const float2 a = widenHalfPair(v.x), b = widenHalfPair(v.y);
    return make_float4(a.x, a.y, b.x, b.y);
  }
};

template <bool kVector>
__device__ __forceinline__ float4 loadFour(const float* src, int k, int F) {
  if (kVector) return *reinterpret_cast<const float4*>(src);
  float4 v = make_float4(src[0], 0.0f, 0.0f, 0.0f);
  if (k + 1 < F) v.y = src[1];
  if (k + 2 < F) v.z = src[2];
  if (k + 3 < F) v.w = src[3];
  return v;
}

template <bool kVector>
__device__ __forceinline__ uint2 loadFour(const __half* src, int k, int F) {
  if (kVector) return *reinterpret_cast<const uint2*>(src);
  const unsigned short* bits = reinterpret_cast<const unsigned short*>(src);  // zero bits are +0.0
  const unsigned b0 = bits[0], b1 = k + 1 < F ? bits[1] : 0u, b2 = k + 2 < F ? bits[2] : 0u,
                 b3 = k + 3 < F ? bits[3] : 0u;
  return make_uint2(b0 | (b1 << 16), b2 | (b3 << 16));
}

template <class C, bool kVectorX, class XT>
__device__ __forceinline__ void loadSlice(const XT* __restrict__ x, const float* __restrict__ kernel, int64_t rowBase,
                                          int64_t M, int F, int paddedU, int unitBase, int k0,
                                          typename Raw<XT>::T (&xr)[C::xLoads], float4 (&wr)[C::wLoads]) {
#pragma unroll
  for (int s = 0; s < C::xLoads; ++s) {
    const unsigned p = threadIdx.x + s * C::kThreads;  // unsigned: / and % by powers of two are shifts
    const int64_t row = rowBase + p / (C::BK / 4);
    const int k = k0 + p % (C::BK / 4) * 4;
    typename Raw<XT>::T v = Raw<XT>::zero();  // zero outside x: the padded kernel rows are 0 too
    if (p < C::BM * C::BK / 4 && row < M && k < F) v = loadFour<kVectorX>(x + row * F + k, k, F);
    xr[s] = v;
  }
#pragma unroll
  for (int s = 0; s < C::wLoads; ++s) {
    const unsigned p = threadIdx.x + s * C::kThreads;
    if (p < C::BK * C::BN / 4) {
      const int k = p / (C::BN / 4);
      const int n = (p % (C::BN / 4)) * 4;
      wr[s] = *reinterpret_cast<const float4*>(kernel + int64_t(k0 + k) * paddedU + unitBase + n);
    }
  }
}

template <class C, class XT>
__device__ __forceinline__ void storeSlice(TileSmem<C>& sm, const typename Raw<XT>::T (&xr)[C::xLoads],
                                           const float4 (&wr)[C::wLoads]) {
#pragma unroll
  for (int s = 0; s < C::xLoads; ++s) {
    const unsigned p = threadIdx.x + s * C::kThreads;
    if (p < C::BM * C::BK / 4) {
      const int row = p / (C::BK / 4);
      const int k = p % (C::BK / 4) * 4;
      const float4 v = Raw<XT>::widen(xr[s]);
      sm.main.x[k + 0][row] = v.x;
      sm.main.x[k + 1][row] = v.y;
      sm.main.x[k + 2][row] = v.z;
      sm.main.x[k + 3][row] = v.w;
    }
  }
#pragma unroll
  for (int s = 0; s < C::wLoads; ++s) {
    const unsigned p = threadIdx.x + s * C::kThreads;
    if (p < C::BK * C::BN / 4) *reinterpret_cast<float4*>(&sm.main.w[p / (C::BN / 4)][(p % (C::BN / 4)) * 4]) = wr[s];
  }
}

__device__ __forceinline__ float4 load4(const float* p) { return *reinterpret_cast<const float4*>(p); }
__device__ __forceinline__ void store4(float* p, float4 v) { *reinterpret_cast<float4*>(p) = v; }

// Writes the first `count` (<= 4) values of v to y[index...], float32 or (halfY) rounded to float16; one
// 16-byte (8-byte) store when allowed.
__device__ __forceinline__ void storeUnits(void* y, int64_t index, float4 v, int count, bool vectorY, bool halfY) {
  if (halfY) {
    __half* dst = static_cast<__half*>(y) + index;
    if (vectorY && count == 4) {
      const __half2 lo = __floats2half2_rn(v.x, v.y), hi = __floats2half2_rn(v.z, v.w);
      uint2 bits;
      memcpy(&bits.x, &lo, sizeof lo);
      memcpy(&bits.y, &hi, sizeof hi);
      *reinterpret_cast<uint2*>(dst) = bits;
    } else {
      if (count > 0) dst[0] = __float2half_rn(v.x);
      if (count > 1) dst[1] = __float2half_rn(v.y);
      if (count > 2) dst[2] = __float2half_rn(v.z);
      if (count > 3) dst[3] = __float2half_rn(v.w);
    }
    return;
  }
  float* dst = static_cast<float*>(y) + index;
  if (vectorY && count == 4) {
    store4(dst, v);
  } else {
    if (count > 0) dst[0] = v.x;
    if (count > 1) dst[1] = v.y;
    if (count > 2) dst[2] = v.z;
    if (count > 3) dst[3] = v.w;
  }
}

// Bias, activation and (when the whole row is in this tile) softmax/log_softmax for the rows staged
// in sm.out. Each row belongs to C::rowLanes consecutive lanes, each lane to whole float4 chunks, so
// that a row's reductions take few shuffles and the activation code is inlined only 4 times.
template <class C>
__device__ __forceinline__ void writeRows(TileSmem<C>& sm, void* __restrict__ y, int64_t chunkRow, int64_t M, int U,
                                          int unitBase, Activation act, bool rowwise, bool vectorY, bool halfY) {
  const int r = threadIdx.x / C::rowLanes;
  const int laneInRow = threadIdx.x % C::rowLanes;
  const int64_t row = chunkRow + r;
  const int units = U - unitBase < C::BN ? U - unitBase : C::BN;
  const bool writeRow = row < M;
  const int64_t yRow = row * U + unitBase;  // index of the row's first unit of this tile in y
  float* z = sm.out[r];

  if (!rowwise) {  // uniform across the block
#pragma unroll 1
    for (int t = 0; t < C::chunksPerLane; ++t) {
      const int c = (laneInRow + t * C::rowLanes) * 4;
      const float4 zb = load4(z + c), b = load4(sm.bias + c);
      const float4 v = make_float4(tdfast::activateScalar(act, zb.x + b.x), tdfast::activateScalar(act, zb.y + b.y),
                                   tdfast::activateScalar(act, zb.z + b.z), tdfast::activateScalar(act, zb.w + b.w));
      if (writeRow) storeUnits(y, yRow + c, v, units - c, vectorY, halfY);
    }
    return;
  }

  // A NaN anywhere in the row makes the exp-sum NaN, so the whole row becomes NaN. Columns past
  // `units` are padding and stay out of the max and the sum.
  float rowMax = -INFINITY;
#pragma unroll 1
  for (int t = 0; t < C::chunksPerLane; ++t) {
    const int c = (laneInRow + t * C::rowLanes) * 4;
    const float4 zb = load4(z + c), b = load4(sm.bias + c);
    const float4 v = make_float4(zb.x + b.x, zb.y + b.y, zb.z + b.z, zb.w + b.w);
    store4(z + c, v);
    if (c + 0 < units) rowMax = fmaxf(rowMax, v.x);
    if (c + 1 < units) rowMax = fmaxf(rowMax, v.y);
    if (c + 2 < units) rowMax = fmaxf(rowMax, v.z);
    if (c + 3 < units) rowMax = fmaxf(rowMax, v.w);
  }
#pragma unroll
  for (int offset = C::rowLanes / 2; offset > 0; offset /= 2)
    rowMax = fmaxf(rowMax, __shfl_xor_sync(kFullMask, rowMax, offset));

  const bool softmax = act == Activation::Softmax;
  float expSum = 0.0f;
#pragma unroll 1
  for (int t = 0; t < C::chunksPerLane; ++t) {
    const int c = (laneInRow + t * C::rowLanes) * 4;
    const float4 v = load4(z + c);
    const float4 e = make_float4(expf(v.x - rowMax), expf(v.y - rowMax), expf(v.z - rowMax), expf(v.w - rowMax));
    if (softmax) store4(z + c, e);
    expSum += (c + 0 < units ? e.x : 0.0f) + (c + 1 < units ? e.y : 0.0f) + (c + 2 < units ? e.z : 0.0f) +
              (c + 3 < units ? e.w : 0.0f);
  }
#pragma unroll
  for (int offset = C::rowLanes / 2; offset > 0; offset /= 2) expSum += __shfl_xor_sync(kFullMask, expSum, offset);

  // softmax: e * (1/sum), within 1.5 ulp of e / sum; log_softmax: (z - max) - log(sum), in that order: at
  // large logits max + log(sum) would round away log(sum) (z - max is exact near the max).
  const float scale = softmax ? 1.0f / expSum : 1.0f;
  const float shift = softmax ? 0.0f : rowMax;
  const float logSum = softmax ? 0.0f : logf(expSum);
#pragma unroll 1
  for (int t = 0; t < C::chunksPerLane; ++t) {
    const int c = (laneInRow + t * C::rowLanes) * 4;
    const float4 v = load4(z + c);
    const float4 out = make_float4((v.x - shift) * scale - logSum, (v.y - shift) * scale - logSum,
                                   (v.z - shift) * scale - logSum, (v.w - shift) * scale - logSum);
    if (writeRow) storeUnits(y, yRow + c, out, units - c, vectorY, halfY);
  }
}

// activation is applied in the epilogue; for softmax/log_softmax split over several unit tiles the
// host passes Linear here and runs rowwiseKernel afterwards.
template <class C, bool kVectorX, class XT>
__global__ void __launch_bounds__(C::kThreads, kMinBlocksHints ? C::kMinBlocks : 1)
    tiledKernel(const XT* __restrict__ x, const float* __restrict__ kernel, const float* __restrict__ bias,
                void* __restrict__ y, int64_t M, int F, int U, int paddedU, int activation, bool vectorY, bool halfY) {
  __shared__ __align__(16) TileSmem<C> sm;
  const Activation act = static_cast<Activation>(activation);
  const bool rowwise = tdfast::isRowwise(act);
  const int split = threadIdx.x / C::kThreadsPerSplit;
  const int tn = threadIdx.x % C::threadsN;
  const int tm = (threadIdx.x % C::kThreadsPerSplit) / C::threadsN;
  const int unitBase = blockIdx.y * C::BN;
  for (int i = threadIdx.x; i < C::BN; i += C::kThreads) sm.bias[i] = bias[unitBase + i];  // read after a barrier
  const int slices = (F + C::BK - 1) / C::BK;
  const int64_t rowTiles = (M + C::BM - 1) / C::BM;

  // The registers hold the next slice in flight while the current one is multiplied; after a tile's
  // last slice they hold the next tile's first slice, which loads during the epilogue.
  typename Raw<XT>::T xr[C::xLoads];
  float4 wr[C::wLoads];
  if (blockIdx.x < rowTiles)
    loadSlice<C, kVectorX, XT>(x, kernel, blockIdx.x * int64_t(C::BM), M, F, paddedU, unitBase, 0, xr, wr);
  for (int64_t tile = blockIdx.x; tile < rowTiles; tile += gridDim.x) {
    const int64_t rowBase = tile * C::BM;
    const int64_t nextRowBase = rowBase + int64_t(gridDim.x) * C::BM;
    float acc[C::TM][C::TN];
#pragma unroll
    for (int i = 0; i < C::TM; ++i)
#pragma unroll
      for (int j = 0; j < C::TN; ++j) acc[i][j] = 0.0f;

    for (int slice = 0; slice < slices; ++slice) {
      storeSlice<C, XT>(sm, xr, wr);
      __syncthreads();
      if (slice + 1 < slices)
        loadSlice<C, kVectorX, XT>(x, kernel, rowBase, M, F, paddedU, unitBase, (slice + 1) * C::BK, xr, wr);
      else if (nextRowBase < M)
        loadSlice<C, kVectorX, XT>(x, kernel, nextRowBase, M, F, paddedU, unitBase, 0, xr, wr);
#pragma unroll
      for (int kk = 0; kk < C::kPerSplit; ++kk) {
        const int k = split * C::kPerSplit + kk;
        float a[C::TM], b[C::TN];
#pragma unroll
        for (int g = 0; g < C::TM / 4; ++g) {
          const float4 v = *reinterpret_cast<const float4*>(&sm.main.x[k][(g * C::threadsM + tm) * 4]);
          a[4 * g + 0] = v.x;
          a[4 * g + 1] = v.y;
          a[4 * g + 2] = v.z;
          a[4 * g + 3] = v.w;
        }
#pragma unroll
        for (int g = 0; g < C::TN / 4; ++g) {
          const float4 v = *reinterpret_cast<const float4*>(&sm.main.w[k][(g * C::threadsN + tn) * 4]);
          b[4 * g + 0] = v.x;
          b[4 * g + 1] = v.y;
          b[4 * g + 2] = v.z;
          b[4 * g + 3] = v.w;
        }
#pragma unroll
        for (int i = 0; i < C::TM; ++i)
#pragma unroll
          for (int j = 0; j < C::TN; ++j) acc[i][j] = fmaf(a[i], b[j], acc[i][j]);
      }
      __syncthreads();
    }

    // Row group g of this thread holds tile rows (g*threadsM + tm)*4 + q, q < 4. The thread groups
    // of a k-split add their partial sums one after the other.
#pragma unroll
    for (int g = 0; g < C::TM / 4; ++g) {
#pragma unroll
      for (int s = 0; s < C::KS; ++s) {
        if (split == s) {
#pragma unroll
          for (int q = 0; q < 4; ++q)
#pragma unroll
            for (int h = 0; h < C::TN / 4; ++h) {
              float4* out = reinterpret_cast<float4*>(&sm.out[tm * 4 + q][(h * C::threadsN + tn) * 4]);
              float4 v = make_float4(acc[4 * g + q][4 * h + 0], acc[4 * g + q][4 * h + 1], acc[4 * g + q][4 * h + 2],
                                     acc[4 * g + q][4 * h + 3]);
              if (s > 0) {
                const float4 prev = *out;
                v = make_float4(prev.x + v.x, prev.y + v.y, prev.z + v.z, prev.w + v.w);
              }
              *out = v;
            }
        }
        __syncthreads();
      }
      writeRows<C>(sm, y, rowBase + g * C::outRows, M, U, unitBase, act, rowwise, vectorY, halfY);
      __syncthreads();
    }
  }
}

// Softmax/log_softmax over rows of U > 256 float32 pre-activations z: a warp per row. The results go to y,
// float32 (then y may be z: each value is read before it is written, by the same lane) or (halfY) float16.
__global__ void rowwiseKernel(const float* z0, void* y, int64_t M, int U, int activation, bool halfY) {
  const int lane = threadIdx.x & 31;
  const int64_t warpsTotal = int64_t(gridDim.x) * (blockDim.x / 32);
  for (int64_t row = int64_t(blockIdx.x) * (blockDim.x / 32) + threadIdx.x / 32; row < M; row += warpsTotal) {
    const float* z = z0 + row * U;
    float rowMax = -INFINITY;
    for (int c = lane; c < U; c += 32) rowMax = fmaxf(rowMax, z[c]);
    for (int offset = 16; offset > 0; offset /= 2) rowMax = fmaxf(rowMax, __shfl_xor_sync(kFullMask, rowMax, offset));
    float expSum = 0.0f;
    for (int c = lane; c < U; c += 32) expSum += expf(z[c] - rowMax);
    for (int offset = 16; offset > 0; offset /= 2) expSum += __shfl_xor_sync(kFullMask, expSum, offset);
    const float logSum = logf(expSum);
    const bool softmax = static_cast<Activation>(activation) == Activation::Softmax;
    for (int c = lane; c < U; c += 32) {
      storeValue(y, row * U + c, softmax ? expf(z[c] - rowMax) / expSum : z[c] - rowMax - logSum, halfY);
    }
  }
}

template <class C, bool kVectorX, class XT>
cudaError_t launchConfig(const TiledArgs& a, int smCount, cudaStream_t stream) {
  const int unitTiles = a.paddedU / C::BN;
  const bool splitRowwise = unitTiles > 1 && tdfast::isRowwise(static_cast<Activation>(a.activation));
  int blocksPerSM = 0;
  cudaError_t err =
      cudaOccupancyMaxActiveBlocksPerMultiprocessor(&blocksPerSM, tiledKernel<C, kVectorX, XT>, C::kThreads, 0);
  if (err != cudaSuccess) return err;
  const int64_t resident = int64_t(blocksPerSM > 0 ? blocksPerSM : 1) * smCount;
  const int64_t perUnitTile = (resident + unitTiles - 1) / unitTiles;
  auto launchTiles = [&](const XT* x, void* y, int64_t M, int activation, bool halfY) {
    const int64_t rowTiles = (M + C::BM - 1) / C::BM;
    const dim3 grid(static_cast<unsigned>(rowTiles < perUnitTile ? rowTiles : perUnitTile), unitTiles);
    const bool vectorY = a.U % 4 == 0 && reinterpret_cast<uintptr_t>(y) % (halfY ? 8 : 16) == 0;
    tiledKernel<C, kVectorX, XT>
        <<<grid, C::kThreads, 0, stream>>>(x, a.kernel, a.bias, y, M, a.F, a.U, a.paddedU, activation, vectorY, halfY);
    return cudaGetLastError();
  };
  const XT* x = static_cast<const XT*>(a.x);
  if (!splitRowwise) return launchTiles(x, a.y, a.M, a.activation, a.halfY);

  // Softmax/log_softmax over several unit tiles: the tiles write float32 pre-activations, then a row-wise pass
  // normalises them. float32 y holds them in place; float16 y would round them, so they go through float32
  // scratch memory (stream-ordered), at most kScratchBytes at a time.
  constexpr int kRowwiseThreads = 256;
  const int64_t maxBlocks = int64_t(smCount) * 8;
  auto rowwise = [&](const float* z, void* y, int64_t M) {
    const int64_t rowBlocks = (M + kRowwiseThreads / 32 - 1) / (kRowwiseThreads / 32);
    rowwiseKernel<<<static_cast<unsigned>(rowBlocks < maxBlocks ? rowBlocks : maxBlocks), kRowwiseThreads, 0, stream>>>(
        z, y, M, a.U, a.activation, a.halfY);
    return cudaGetLastError();
  };
  const int linear = static_cast<int>(Activation::Linear);
  if (!a.halfY) {
    err = launchTiles(x, a.y, a.M, linear, false);
    return err == cudaSuccess ? rowwise(static_cast<const float*>(a.y), a.y, a.M) : err;
  }
  constexpr size_t kScratchBytes = size_t(64) << 20;
  const int64_t chunkRows = std::max<int64_t>(1, int64_t(kScratchBytes / (size_t(a.U) * sizeof(float))));
  const int64_t scratchRows = std::min(chunkRows, a.M);
  float* scratch = nullptr;
  err = cudaMallocAsync(reinterpret_cast<void**>(&scratch), size_t(scratchRows) * a.U * sizeof(float), stream);
  if (err != cudaSuccess) return err;
  for (int64_t row = 0; row < a.M && err == cudaSuccess; row += chunkRows) {
    const int64_t rows = std::min(chunkRows, a.M - row);
    err = launchTiles(x + row * a.F, scratch, rows, linear, false);
    if (err == cudaSuccess) err = rowwise(scratch, static_cast<__half*>(a.y) + row * a.U, rows);
  }
  const cudaError_t freed = cudaFreeAsync(scratch, stream);
  return err != cudaSuccess ? err : freed;
}

template <class Large, class Small, class XT>
cudaError_t launchForTile(const TiledArgs& a, int smCount, cudaStream_t stream) {
  // Few rows: large tiles would leave SMs idle, so take the small tiles.
  const int64_t largeTiles = (a.M + Large::BM - 1) / Large::BM * (a.paddedU / Large::BN);
  const bool small = largeTiles < 4 * int64_t(smCount);
  const bool vectorX = a.F % 4 == 0 && reinterpret_cast<uintptr_t>(a.x) % (4 * sizeof(XT)) == 0;
  if (small)
    return vectorX ? launchConfig<Small, true, XT>(a, smCount, stream)
                   : launchConfig<Small, false, XT>(a, smCount, stream);
  return vectorX ? launchConfig<Large, true, XT>(a, smCount, stream)
                 : launchConfig<Large, false, XT>(a, smCount, stream);
}

template <class Large, class Small>
cudaError_t launchForTile(const TiledArgs& a, int smCount, cudaStream_t stream) {
  return a.halfX ? launchForTile<Large, Small, __half>(a, smCount, stream)
                 : launchForTile<Large, Small, float>(a, smCount, stream);
}

}  // namespace

int tiledUnitTile(int U) {
  if (U <= 16) return 16;
  if (U <= 32) return 32;
  if (U <= 64) return 64;
  if (U <= 128) return 128;
  if (U <= 256) return 256;
  return 128;  // split over several unit tiles
}

cudaError_t launchTiled(const TiledArgs& a, int smCount, cudaStream_t stream) {
  switch (tiledUnitTile(a.U)) {
    case 16:
      return launchForTile<Large16, Small16>(a, smCount, stream);
    case 32:
      return launchForTile<Large32, Small32>(a, smCount, stream);
    case 64:
      return launchForTile<Large64, Small64>(a, smCount, stream);
    case 128:
      return launchForTile<Large128, Small128>(a, smCount, stream);
    case 256:
      return launchForTile<Large256, Small256>(a, smCount, stream);
  }
  return cudaErrorInvalidValue;
}

}  // namespace kernels
}  // namespace tdcuda
