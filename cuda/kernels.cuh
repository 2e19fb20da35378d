// Kernel launchers shared between the CUDA translation units of tdcuda (not part of the public API).
#pragma once

#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>

namespace tdcuda {
namespace kernels {

// ---- Small U (U <= kSmallUnitsMax): one pass over x with the weights in shared memory. ----
constexpr int kSmallUnitsMax = 8;
// Weights above this do not fit one block's default shared memory; such layers take the tiled path.
constexpr size_t kSmallUnitsSmemLimit = 48 * 1024;

// Units padded to a power of two (1, 2, 4, 8); the padded units have zero weights and are not written.
int smallUnitsPadded(int U);
// Shared memory for the transposed kernel [paddedUnits][F] followed by the bias [paddedUnits].
size_t smallUnitsSmemBytes(int F, int paddedUnits);

struct SmallUnitsArgs {
  const void* x;         // [M][F], float32 or (halfX) float16
  const float* weights;  // [paddedUnits][F] (kernel transposed) then bias [paddedUnits]
  void* y;               // [M][U], float32 or (halfY) float16
  bool halfX, halfY;
  int64_t M;
  int F, U, paddedUnits;
  int activation;
};
cudaError_t launchSmallUnits(const SmallUnitsArgs& args, int smCount, cudaStream_t stream);

// ---- Any U: register-blocked tiles of rows x units, kernel tiles staged through shared memory. ----
constexpr int kTileK = 32;  // F is consumed in slices of this many features
// Units per block tile for a layer with U units (16, 32, 64, 128 or 256). When U fits one tile,
// softmax/log_softmax are fused into the kernel; above 256 units a separate row-wise pass runs.
int tiledUnitTile(int U);

struct TiledArgs {
  const void* x;        // [M][F], float32 or (halfX) float16
  const float* kernel;  // [paddedF][paddedU], zero padded; paddedF % kTileK == 0, paddedU % tile == 0
  const float* bias;    // [paddedU]
  void* y;              // [M][U], float32 or (halfY) float16
  bool halfX, halfY;
  int64_t M;
  int F, U, paddedU;
  int activation;
};
cudaError_t launchTiled(const TiledArgs& args, int smCount, cudaStream_t stream);

// Fails (e.g. cudaErrorNoKernelImageForDevice) when this binary holds no code the device can run.
cudaError_t checkKernelImage();

}  // namespace kernels
}  // namespace tdcuda
