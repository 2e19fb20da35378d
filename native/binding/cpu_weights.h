// The JavaScript class `Weights`: a prepared (packed) kernel + bias + activation that runs the CPU kernel
// synchronously (runSync) or on a libuv worker thread (run). The object is the backend's prepared layer as
// lib/backends/types.ts defines it: the library calls its methods directly.
#pragma once

#include <napi.h>

#include <memory>

#include "../cpu/dense.h"

namespace tdfast {

class WeightsWrap : public Napi::ObjectWrap<WeightsWrap> {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit WeightsWrap(const Napi::CallbackInfo& info);

 private:
  Napi::Value Run(const Napi::CallbackInfo& info);
  Napi::Value RunSync(const Napi::CallbackInfo& info);
  Napi::Value Dispose(const Napi::CallbackInfo& info);
  Napi::Value Kernels(const Napi::CallbackInfo& info);

  // Shared with in-flight async calls, so dispose() during a call frees the weights only after it ends.
  std::shared_ptr<const PackedWeights> weights_;
};

}  // namespace tdfast
