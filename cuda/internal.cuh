// What the host-side files of the CUDA backend share (not part of the public API in tdcuda.h):
// turning CUDA errors and C++ exceptions into a Status, the device-resident Weights, and the
// dispatch that both the device path (dispatch.cu) and the host pipeline (host_pipeline.cu) launch.
// Host code only, so that these files also compile as plain C++ against the CUDA runtime headers.
#pragma once

#include "tdcuda.h"

#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>
#include <exception>
#include <new>
#include <string>

namespace tdcuda {

// ---- Status ----

inline Status makeStatus(cudaError_t err, const std::string& what) {
  Status status;
  status.code = static_cast<int>(err);
  status.message = std::string(cudaGetErrorName(err)) + ": " + cudaGetErrorString(err) + " (" + what + ")";
  cudaGetLastError();  // a non-sticky error must not be reported again by a later, unrelated call
  return status;
}

inline Status invalidArgument(const std::string& what) { return makeStatus(cudaErrorInvalidValue, what); }

// Turns an exception escaping into the C++ side (allocation failure, thread creation) into a Status.
// Call only from a catch block.
inline Status exceptionStatus(const char* what) {
  try {
    throw;
  } catch (const std::bad_alloc&) {
    return makeStatus(cudaErrorMemoryAllocation, std::string("host allocation failed in ") + what);
  } catch (const std::exception& e) {
    return makeStatus(cudaErrorUnknown, std::string(what) + ": " + e.what());
  } catch (...) {
    return makeStatus(cudaErrorUnknown, what);
  }
}

inline Status smCountOfCurrentDevice(int* smCount) {
  int device = 0;
  cudaError_t err = cudaGetDevice(&device);
  if (err == cudaSuccess) err = cudaDeviceGetAttribute(smCount, cudaDevAttrMultiProcessorCount, device);
  return err == cudaSuccess ? Status() : makeStatus(err, "querying the device");
}

// ---- Weights (made by weights.cu) ----

struct Weights {
  enum class Layout { SmallUnits, Tiled };
  Layout layout = Layout::SmallUnits;
  int F = 0, U = 0;
  int paddedF = 0, paddedU = 0;  // SmallUnits: F and a power of two <= 8; Tiled: multiples of the tile sizes
  float* data = nullptr;         // device: kernel in the layout's order, then bias[paddedU]
  const float* bias() const { return data + size_t(paddedF) * size_t(paddedU); }
};

// ---- Dispatch (dispatch.cu) ----

// Checks the arguments of denseDevice and denseHost; x and y may be null only when M is 0.
Status validateDense(const Weights* w, const void* x, Element xType, const void* y, Element yType, int64_t M,
                     int activation);

// Enqueues the kernel that fits w's layout on `stream`; x and y are device pointers.
Status launchDense(const Weights* w, const void* x, Element xType, void* y, Element yType, int64_t M, int activation,
                   int smCount, cudaStream_t stream);

}  // namespace tdcuda
