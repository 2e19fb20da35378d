// The addon's registry: every native function and class JavaScript sees, by name (typed in lib/binding.ts).
// Napi::Addon keeps the state per environment, so the addon loads in several worker_threads at once.
#include <napi.h>

#include "bandwidth_probe.h"
#include "cuda_binding.h"
#include "dense.h"
#include "napi_util.h"
#include "thread_pool.h"
#include "weights_wrap.h"

#ifndef TDF_PACKAGE_VERSION
#error "the build must define TDF_PACKAGE_VERSION (package.json's version)"
#endif

namespace tdfast {

class Addon : public Napi::Addon<Addon> {
 public:
  Addon(Napi::Env env, Napi::Object exports) {
    DefineAddon(exports, {InstanceValue("Weights", WeightsWrap::Define(env), napi_enumerable),
                          InstanceValue("cuda", cudaExports(env), napi_enumerable),
                          InstanceValue("version", Napi::String::New(env, TDF_PACKAGE_VERSION), napi_enumerable),
                          InstanceMethod<&Addon::Info>("info", napi_enumerable),
                          InstanceMethod<&Addon::MemoryReadBandwidth>("memoryReadBandwidth", napi_enumerable)});
  }

 private:
  // { simd, threads }: which kernel variant this CPU runs and how many threads large calls use.
  Napi::Value Info(const Napi::CallbackInfo& info) {
    Napi::Object result = Napi::Object::New(info.Env());
    result.Set("simd", selectKernels().name);
    result.Set("threads", threadCount());
    return result;
  }

  // memoryReadBandwidth(bytes, repeats) -> bytes per second (median), for benchmarks.
  Napi::Value MemoryReadBandwidth(const Napi::CallbackInfo& info) {
    const int64_t bytes = integerArg(info, 0, "bytes", int64_t{1} << 36);
    const int64_t repeats = integerArg(info, 1, "repeats", 1000);
    return Napi::Number::New(info.Env(), measureReadBandwidth(bytes, static_cast<int>(repeats)));
  }
};

}  // namespace tdfast

using TdfastAddon = tdfast::Addon;
NODE_API_ADDON(TdfastAddon)
