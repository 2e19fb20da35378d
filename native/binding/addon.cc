// The addon's registry: every native function and class JavaScript sees, by name (typed in lib/binding.ts).
// Napi::Addon keeps the state per environment, so the addon loads in several worker_threads at once; each
// environment holds the thread pool while it lives (see thread_pool.h).
#include <napi.h>

#include <string>

#include "../cpu/dense.h"
#include "../cpu/thread_pool.h"
#include "args.h"
#include "cpu_weights.h"
#include "cuda.h"

#ifndef TDF_PACKAGE_VERSION
#error "the build must define TDF_PACKAGE_VERSION (package.json's version)"
#endif

namespace tdfast {

class Addon : public Napi::Addon<Addon> {
 public:
  Addon(Napi::Env env, Napi::Object exports) {
    // A TDFAST_THREADS that is not a number fails the load with the reason, rather than being half-read.
    int threads = 0;
    std::string error;
    if (!configuredThreads(threads, error)) {
      Napi::Error invalid = Napi::RangeError::New(env, error);
      invalid.Set("code", Napi::String::New(env, codes::kInvalidValue));
      throw invalid;
    }
    DefineAddon(exports, {InstanceValue("Weights", WeightsWrap::Define(env), napi_enumerable),
                          InstanceValue("cuda", cudaExports(env), napi_enumerable),
                          InstanceValue("version", Napi::String::New(env, TDF_PACKAGE_VERSION), napi_enumerable),
                          InstanceMethod<&Addon::Info>("info", napi_enumerable),
                          InstanceMethod<&Addon::SharesMemory>("sharesMemory", napi_enumerable)});
    holdPool(threads);  // last: a constructor that throws never runs the destructor that releases it
  }
  ~Addon() { releasePool(); }
  Addon(const Addon&) = delete;
  Addon& operator=(const Addon&) = delete;

 private:
  // { simd, threads }: which kernel variant this CPU runs and how many threads large calls use.
  Napi::Value Info(const Napi::CallbackInfo& info) {
    Napi::Object result = Napi::Object::New(info.Env());
    result.Set("simd", selectKernels().name);
    result.Set("threads", threadCount());
    return result;
  }

  // sharesMemory(a, b) -> whether the bytes of two typed arrays (Float32Array, Uint16Array, Float16Array)
  // overlap. Two SharedArrayBuffer objects can hold the same memory, so comparing ArrayBuffer objects is not
  // enough.
  Napi::Value SharesMemory(const Napi::CallbackInfo& info) {
    napi_env env = info.Env();
    void* data[2] = {nullptr, nullptr};
    size_t bytes[2] = {0, 0};
    for (size_t i = 0; i < 2; ++i) {
      napi_typedarray_type type;
      size_t length = 0;
      size_t elementBytes = 0;
      if (napi_get_typedarray_info(env, info[i], &type, &length, &data[i], nullptr, nullptr) == napi_ok)
        elementBytes = type == napi_float32_array ? 4 : type == napi_uint16_array ? 2 : 0;
      if (elementBytes == 0)
        throwTypeError(info.Env(), std::string(i == 0 ? "a" : "b") + ": expected a Float32Array or a Uint16Array");
      bytes[i] = length * elementBytes;
    }
    return Napi::Boolean::New(env, rangesOverlap(data[0], bytes[0], data[1], bytes[1]));
  }
};

}  // namespace tdfast

using TdfastAddon = tdfast::Addon;
NODE_API_ADDON(TdfastAddon)
