// The CUDA backend's JavaScript surface, exported as `cuda` by the addon (typed in lib/binding.ts).
// Built without CUDA (binding.gyp, or no nvcc), it only reports why CUDA is unavailable.
#pragma once

#include <napi.h>

namespace tdfast {

// { compiled, info(), memInfo()?, Weights?, Buffer? }
Napi::Object cudaExports(Napi::Env env);

}  // namespace tdfast
