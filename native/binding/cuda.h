// The CUDA backend's JavaScript surface, exported as `cuda` by the addon (typed in lib/binding.ts):
// { compiled, info(), memInfo(), Buffer, Weights }. Built without CUDA (binding.gyp, or no nvcc), it is
// { compiled: false, info() } and info() says why CUDA is unavailable.
#pragma once

#include <napi.h>

namespace tdfast {

Napi::Object cudaExports(Napi::Env env);

}  // namespace tdfast
