// The JavaScript class `cuda.Buffer`: device memory of a fixed size, filled from and copied to Float32Arrays.
// Only compiled with CUDA (TDF_WITH_CUDA).
#pragma once

#include <napi.h>

#include <memory>

#include "cuda_common.h"

namespace tdfast {

class CudaBufferWrap : public Napi::ObjectWrap<CudaBufferWrap> {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit CudaBufferWrap(const Napi::CallbackInfo& info);

  // The device memory of argument `index`, which must be a live cuda.Buffer of exactly `bytes` bytes.
  static std::shared_ptr<DeviceMemory> argument(const Napi::CallbackInfo& info, size_t index, const char* name,
                                                uint64_t bytes);

 private:
  std::shared_ptr<DeviceMemory> memory(Napi::Env env) const;
  Napi::Value Upload(const Napi::CallbackInfo& info);
  Napi::Value UploadSync(const Napi::CallbackInfo& info);
  Napi::Value Download(const Napi::CallbackInfo& info);
  Napi::Value DownloadSync(const Napi::CallbackInfo& info);
  Napi::Value Dispose(const Napi::CallbackInfo& info);
  Napi::Value ByteLength(const Napi::CallbackInfo& info);

  std::shared_ptr<DeviceMemory> memory_;
};

}  // namespace tdfast
