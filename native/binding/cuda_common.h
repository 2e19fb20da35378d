// What the CUDA binding classes share: CUDA errors as JavaScript errors, and device memory owned jointly by a
// JavaScript object and the async calls using it. Only compiled with CUDA (TDF_WITH_CUDA).
#pragma once

#include <napi.h>

#include <functional>
#include <initializer_list>

#include "../../cuda/tdcuda.h"
#include "promise_job.h"

namespace tdfast {

// Throws an Error with code ERR_TDFAST_CUDA and `cudaError` (the CUDA error number) when `status` failed.
void throwIfFailed(Napi::Env env, const tdcuda::Status& status);

// Queues a CUDA operation (returning a tdcuda::Status) as a promise job; a failed Status rejects like
// throwIfFailed.
Napi::Promise queueCuda(Napi::Env env, std::function<tdcuda::Status()> operation,
                        std::initializer_list<napi_value> keepAlive);

// Device memory owned by a Buffer and by the async calls that use it, freed when the last of them lets go.
struct DeviceMemory {
  void* pointer = nullptr;
  size_t bytes = 0;
  DeviceMemory() = default;
  DeviceMemory(const DeviceMemory&) = delete;
  DeviceMemory& operator=(const DeviceMemory&) = delete;
  ~DeviceMemory() {
    if (pointer != nullptr) tdcuda::deviceFree(pointer);
  }
};

}  // namespace tdfast
