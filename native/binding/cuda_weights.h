// The JavaScript class `cuda.Weights`: the kernel, bias and activation uploaded to the GPU once, run on host
// arrays (through the pinned staging pipeline) or on cuda.Buffers; the same methods as the CPU `Weights`
// (run, runSync) plus runDevice / runDeviceSync. Only compiled with CUDA (TDF_WITH_CUDA).
#pragma once

#include <napi.h>

#include <memory>

#include "cuda_common.h"

namespace tdfast {

class CudaWeightsWrap : public Napi::ObjectWrap<CudaWeightsWrap> {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit CudaWeightsWrap(const Napi::CallbackInfo& info);

 private:
  using SharedWeights = std::shared_ptr<tdcuda::Weights>;
  SharedWeights live(Napi::Env env) const;
  Napi::Value Host(const Napi::CallbackInfo& info, bool async);
  Napi::Value Device(const Napi::CallbackInfo& info, bool async);
  Napi::Value Run(const Napi::CallbackInfo& info) { return Host(info, true); }
  Napi::Value RunSync(const Napi::CallbackInfo& info) { return Host(info, false); }
  Napi::Value RunDevice(const Napi::CallbackInfo& info) { return Device(info, true); }
  Napi::Value RunDeviceSync(const Napi::CallbackInfo& info) { return Device(info, false); }
  Napi::Value Dispose(const Napi::CallbackInfo& info);

  SharedWeights weights_;
  int64_t features_ = 0;
  int64_t units_ = 0;
  int activation_ = 0;
};

}  // namespace tdfast
