// Weights upload: the layer's kernel (Keras layout F x U, row-major) and bias, copied once to the
// device in the layout and padding of the kernel that will run them, so that every dense call
// reads weights ready to use. The choice of layout here is also the choice of kernel (dispatch.cu).
#include "internal.cuh"

#include <cstring>
#include <memory>
#include <vector>

#include "kernels.cuh"

namespace tdcuda {

Status uploadWeights(const float* kernelHost, const float* biasHostOrNull, int F, int U, Weights** out) {
  if (!out) return invalidArgument("uploadWeights: out is null");
  *out = nullptr;
  if (!kernelHost) return invalidArgument("uploadWeights: kernel is null");
  if (F < 1 || U < 1) return invalidArgument("uploadWeights: F and U must be >= 1");
  try {
    std::unique_ptr<Weights> owner(new Weights());
    Weights& w = *owner;
    w.F = F;
    w.U = U;
    const int smallPadded = kernels::smallUnitsPadded(U);
    std::vector<float> host;
    if (U <= kernels::kSmallUnitsMax && kernels::smallUnitsSmemBytes(F, smallPadded) <= kernels::kSmallUnitsSmemLimit) {
      w.layout = Weights::Layout::SmallUnits;
      w.paddedF = F;
      w.paddedU = smallPadded;
      host.assign(size_t(w.paddedU) * F + w.paddedU, 0.0f);
      for (int f = 0; f < F; ++f)
        for (int u = 0; u < U; ++u) host[size_t(u) * F + f] = kernelHost[size_t(f) * U + u];
    } else {
      const int tile = kernels::tiledUnitTile(U);
      if ((int64_t(U) + tile - 1) / tile > 65535) return invalidArgument("uploadWeights: U is too large");
      w.layout = Weights::Layout::Tiled;
      w.paddedF = (F + kernels::kTileK - 1) / kernels::kTileK * kernels::kTileK;
      w.paddedU = (U + tile - 1) / tile * tile;
      host.assign(size_t(w.paddedF) * w.paddedU + w.paddedU, 0.0f);
      for (int f = 0; f < F; ++f)
        std::memcpy(&host[size_t(f) * w.paddedU], kernelHost + size_t(f) * U, size_t(U) * sizeof(float));
    }
    if (biasHostOrNull) std::memcpy(&host[size_t(w.paddedF) * w.paddedU], biasHostOrNull, size_t(U) * sizeof(float));

    const size_t bytes = host.size() * sizeof(float);
    cudaError_t err = cudaMalloc(&w.data, bytes);
    if (err != cudaSuccess) return makeStatus(err, "allocating the weights");
    err = cudaMemcpyAsync(w.data, host.data(), bytes, cudaMemcpyHostToDevice, cudaStreamPerThread);
    if (err == cudaSuccess) err = cudaStreamSynchronize(cudaStreamPerThread);
    if (err != cudaSuccess) {
      cudaFree(w.data);
      return makeStatus(err, "uploading the weights");
    }
    *out = owner.release();
    return Status();
  } catch (...) {
    return exceptionStatus("uploadWeights");
  }
}

void releaseWeights(Weights* w) {
  if (!w) return;
  cudaFree(w->data);
  cudaGetLastError();
  delete w;
}

}  // namespace tdcuda
