// The JavaScript class `Weights`: a prepared (packed) kernel + bias + activation that runs the CPU kernel
// synchronously or on a libuv worker thread.
#pragma once

#include <napi.h>

#include <memory>

#include "dense.h"

namespace tdfast {

class WeightsWrap : public Napi::ObjectWrap<WeightsWrap> {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit WeightsWrap(const Napi::CallbackInfo& info);

 private:
  Napi::Value RunSync(const Napi::CallbackInfo& info);
  Napi::Value RunAsync(const Napi::CallbackInfo& info);
  Napi::Value Dispose(const Napi::CallbackInfo& info);
  Napi::Value Kernels(const Napi::CallbackInfo& info);

  // Shared with in-flight async calls, so dispose() during a call frees the weights only after it ends.
  std::shared_ptr<const PackedWeights> weights_;
};

}  // namespace tdfast
