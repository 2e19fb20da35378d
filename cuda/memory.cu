// Device memory helpers for callers that keep inputs and outputs on the GPU between calls.
// Copies go through the per-thread default stream so that calls from different threads do not
// serialize on the legacy default stream.
#include "internal.cuh"

#include <string>

namespace tdcuda {

Status deviceAlloc(void** ptr, size_t bytes) {
  if (!ptr) return invalidArgument("deviceAlloc: ptr is null");
  *ptr = nullptr;
  if (bytes == 0) return Status();
  cudaError_t err = cudaMalloc(ptr, bytes);
  if (err != cudaSuccess) {
    *ptr = nullptr;
    return makeStatus(err, "allocating " + std::to_string(bytes) + " bytes of device memory");
  }
  return Status();
}

Status deviceFree(void* ptr) {
  cudaError_t err = cudaFree(ptr);
  return err == cudaSuccess ? Status() : makeStatus(err, "freeing device memory");
}

namespace {
Status copySync(void* dst, const void* src, size_t bytes, cudaMemcpyKind kind, const char* what) {
  if (bytes == 0) return Status();
  if (!dst || !src) return invalidArgument(std::string(what) + ": null pointer");
  cudaError_t err = cudaMemcpyAsync(dst, src, bytes, kind, cudaStreamPerThread);
  if (err == cudaSuccess) err = cudaStreamSynchronize(cudaStreamPerThread);
  return err == cudaSuccess ? Status() : makeStatus(err, what);
}
}  // namespace

Status copyToDevice(void* dst, const void* src, size_t bytes) {
  return copySync(dst, src, bytes, cudaMemcpyHostToDevice, "copying to the device");
}

Status copyToHost(void* dst, const void* src, size_t bytes) {
  return copySync(dst, src, bytes, cudaMemcpyDeviceToHost, "copying to the host");
}

Status memInfo(size_t* freeBytes, size_t* totalBytes) {
  size_t freeB = 0, totalB = 0;
  cudaError_t err = cudaMemGetInfo(&freeB, &totalB);
  if (err != cudaSuccess) return makeStatus(err, "querying device memory");
  if (freeBytes) *freeBytes = freeB;
  if (totalBytes) *totalBytes = totalB;
  return Status();
}

}  // namespace tdcuda
