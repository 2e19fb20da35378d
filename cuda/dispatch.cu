// Dense on device memory: validates a call and launches the kernel that the weights' layout was
// made for. The host pipeline (host_pipeline.cu) launches through the same validateDense and
// launchDense, once per staged chunk.
#include "internal.cuh"

#include "../native/shared/activation.h"
#include "kernels.cuh"

namespace tdcuda {

Status validateDense(const Weights* w, const void* x, Element xType, const void* y, Element yType, int64_t M,
                     int activation) {
  if (!w) return invalidArgument("dense: weights are null");
  for (Element e : {xType, yType})
    if (e != Element::Float32 && e != Element::Float16) return invalidArgument("dense: unknown element type");
  if (activation < 0 || activation >= tdfast::kActivationCount) return invalidArgument("dense: unknown activation");
  if (M < 0) return invalidArgument("dense: M is negative");
  if (M > 0 && (!x || !y)) return invalidArgument("dense: null input or output");
  return Status();
}

Status launchDense(const Weights* w, const void* x, Element xType, void* y, Element yType, int64_t M, int activation,
                   int smCount, cudaStream_t stream) {
  cudaGetLastError();  // discard a stale non-sticky error so that it is not blamed on this launch
  const bool halfX = xType == Element::Float16, halfY = yType == Element::Float16;
  cudaError_t err;
  if (w->layout == Weights::Layout::SmallUnits) {
    err = kernels::launchSmallUnits({x, w->data, y, halfX, halfY, M, w->F, w->U, w->paddedU, activation}, smCount,
                                    stream);
  } else {
    err = kernels::launchTiled({x, w->data, w->bias(), y, halfX, halfY, M, w->F, w->U, w->paddedU, activation}, smCount,
                               stream);
  }
  return err == cudaSuccess ? Status() : makeStatus(err, "launching the dense kernel");
}

Status denseDeviceAsync(const Weights* w, const void* xDev, Element xType, void* yDev, Element yType, int64_t M,
                        int activation, void* stream) {
  Status status = validateDense(w, xDev, xType, yDev, yType, M, activation);
  if (!status.ok() || M == 0) return status;
  int smCount = 0;
  status = smCountOfCurrentDevice(&smCount);
  if (!status.ok()) return status;
  return launchDense(w, xDev, xType, yDev, yType, M, activation, smCount, static_cast<cudaStream_t>(stream));
}

Status denseDevice(const Weights* w, const void* xDev, Element xType, void* yDev, Element yType, int64_t M,
                   int activation) {
  Status status = denseDeviceAsync(w, xDev, xType, yDev, yType, M, activation, cudaStreamPerThread);
  if (!status.ok() || M == 0) return status;
  cudaError_t err = cudaStreamSynchronize(cudaStreamPerThread);
  return err == cudaSuccess ? Status() : makeStatus(err, "running the dense kernel");
}

}  // namespace tdcuda
