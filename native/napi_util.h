// Helpers for argument checks on the native side. lib/ validates every argument with full messages first;
// these re-check what memory safety depends on, so that no call from JavaScript can read or write out of bounds.
#pragma once

#include <napi.h>

#include <cstdint>
#include <string>

#include "activation.h"

namespace tdfast {

constexpr int64_t kMaxDimension = (int64_t{1} << 31) - 1;  // features, units
constexpr int64_t kMaxRows = (int64_t{1} << 53) - 1;       // the largest exact JavaScript integer

// Throws a JavaScript TypeError or RangeError with a stable `code` property.
[[noreturn]] void throwTypeError(Napi::Env env, const std::string& message);
[[noreturn]] void throwRangeError(Napi::Env env, const std::string& message);

// Throws an Error with code ERR_TDFAST_DISPOSED: "<what> was disposed".
[[noreturn]] void throwDisposed(Napi::Env env, const std::string& what);

// A Float32Array argument (its length already checked): its memory, read with one napi_get_typedarray_info call (each call tests
// the value against every typed-array kind in turn: two calls per array were a third of a small call's N-API
// cost), and the array itself, to keep alive while an async call uses its memory.
class Float32Arg {
 public:
  Float32Arg(Napi::Object array, float* data) : array_(array), data_(data) {}
  float* Data() const { return data_; }
  operator Napi::Object() const { return array_; }

 private:
  Napi::Object array_;
  float* data_;
};

// The argument as a Float32Array of exactly `expectedLength` elements (a detached buffer has length 0).
Float32Arg float32Arg(const Napi::CallbackInfo& info, size_t index, const char* name, uint64_t expectedLength);

// A non-negative integer argument no larger than `max`.
int64_t integerArg(const Napi::CallbackInfo& info, size_t index, const char* name, int64_t max);

// a * b, or a RangeError naming `what` when it overflows or exceeds 2^53 (the largest exact JavaScript integer).
uint64_t checkedProduct(Napi::Env env, uint64_t a, uint64_t b, const char* what);

// The constructor arguments shared by the CPU and CUDA weights classes:
// (kernel: Float32Array of features*units, bias: Float32Array of units | null, features, units, activation).
struct WeightArgs {
  const float* kernel;
  const float* bias;  // nullptr for no bias
  int features;
  int units;
  Activation activation;
};
WeightArgs weightArgs(const Napi::CallbackInfo& info);

}  // namespace tdfast
