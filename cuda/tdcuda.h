// Plain C++ interface to the CUDA backend of tdfast: no CUDA headers, no N-API.
// y[m, u] = act(sum_f x[m, f] * kernel[f, u] + bias[u]) over M = B*T flattened rows.
// Every function is safe to call from several threads at once and reports CUDA errors as a Status.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace tdcuda {

// code is the cudaError_t value (0 = success);
// message is "<cudaGetErrorName>: <cudaGetErrorString> (<what was being done>)".
struct Status {
  int code = 0;
  std::string message;
  bool ok() const { return code == 0; }
};

struct DeviceInfo {
  bool available = false;
  std::string reason;  // why the device is unusable; empty when available
  std::string name;
  int major = 0, minor = 0;
  size_t totalMem = 0;
  int driverVersion = 0, runtimeVersion = 0;
  int deviceCount = 0;
  int multiProcessorCount = 0;
};

// Probes device 0 once per process (thread-safe) and returns the cached result.
// Never throws and never crashes on a machine without a driver.
DeviceInfo probe();

// Kernel (Keras layout F x U, row-major) and bias on the device, in the layout the kernels want.
struct Weights;
Status uploadWeights(const float* kernelHost, const float* biasHostOrNull, int F, int U, Weights** out);
void releaseWeights(Weights* w);

Status deviceAlloc(void** ptr, size_t bytes);
Status deviceFree(void* ptr);
Status copyToDevice(void* dst, const void* src, size_t bytes);  // synchronous
Status copyToHost(void* dst, const void* src, size_t bytes);    // synchronous
Status memInfo(size_t* freeBytes, size_t* totalBytes);

// What x and y hold: float32, or float16 (IEEE binary16 bits). float16 x is widened to float32 as it is
// loaded and y is rounded to float16 as it is stored (nearest, ties to even; beyond 65504 +-inf; NaN stays
// NaN); the sums, the bias and the activations are computed in float32 either way.
enum class Element { Float32 = 0, Float16 = 1 };
inline size_t elementBytes(Element e) { return e == Element::Float16 ? 2 : 4; }

// x and y are device pointers (any alignment); synchronous on return. M may be 0 or exceed 2^31.
Status denseDevice(const Weights* w, const void* xDev, Element xType, void* yDev, Element yType, int64_t M,
                   int activation);
inline Status denseDevice(const Weights* w, const float* xDev, float* yDev, int64_t M, int activation) {
  return denseDevice(w, xDev, Element::Float32, yDev, Element::Float32, M, activation);
}

// Same as denseDevice but only enqueues the work on `stream` (a cudaStream_t; nullptr = legacy
// default stream) and returns launch errors; for callers that batch or time launches.
Status denseDeviceAsync(const Weights* w, const void* xDev, Element xType, void* yDev, Element yType, int64_t M,
                        int activation, void* stream);
inline Status denseDeviceAsync(const Weights* w, const float* xDev, float* yDev, int64_t M, int activation,
                               void* stream) {
  return denseDeviceAsync(w, xDev, Element::Float32, yDev, Element::Float32, M, activation, stream);
}

// x and y are host pointers (ordinary pageable memory). Rows go through pinned staging buffers in
// chunks, several worker threads each driving a stream, so that the host copies, the uploads,
// the kernels and the downloads overlap. Synchronous on return.
Status denseHost(const Weights* w, const void* xHost, Element xType, void* yHost, Element yType, int64_t M,
                 int activation);
inline Status denseHost(const Weights* w, const float* xHost, float* yHost, int64_t M, int activation) {
  return denseHost(w, xHost, Element::Float32, yHost, Element::Float32, M, activation);
}

// Frees the pooled pinned/device staging buffers that denseHost keeps between calls
// (e.g. at addon unload). Buffers held by calls in flight go back to the pool when they finish.
void releaseStagingBuffers();

}  // namespace tdcuda
