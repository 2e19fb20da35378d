// The addon's registry: every native function and class JavaScript sees, by name (typed in lib/binding.ts).
// Napi::Addon keeps the state per environment, so the addon loads in several worker_threads at once.
#include <napi.h>

#include "dense.h"
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
                          InstanceValue("version", Napi::String::New(env, TDF_PACKAGE_VERSION), napi_enumerable),
                          InstanceMethod<&Addon::Info>("info", napi_enumerable)});
  }

 private:
  // { simd, threads }: which kernel variant this CPU runs and how many threads large calls use.
  Napi::Value Info(const Napi::CallbackInfo& info) {
    Napi::Object result = Napi::Object::New(info.Env());
    result.Set("simd", selectKernels().name);
    result.Set("threads", threadCount());
    return result;
  }
};

}  // namespace tdfast

using TdfastAddon = tdfast::Addon;
NODE_API_ADDON(TdfastAddon)
