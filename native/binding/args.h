// Helpers for argument checks on the native side. lib/ validates every argument with full messages first;
// these re-check what memory safety depends on, so that no call from JavaScript can read or write out of bounds.
#pragma once

#include <napi.h>

#include <cstdint>
#include <exception>
#include <new>
#include <stdexcept>
#include <string>

#include "../cpu/dense.h"
#include "../shared/activation.h"
#include "../shared/error_codes.h"

namespace tdfast {

constexpr int64_t kMaxDimension = (int64_t{1} << 31) - 1;  // features, units
constexpr int64_t kMaxRows = (int64_t{1} << 53) - 1;       // the largest exact JavaScript integer

// Throws a JavaScript TypeError or RangeError with a stable `code` property.
[[noreturn]] void throwTypeError(Napi::Env env, const std::string& message);
[[noreturn]] void throwRangeError(Napi::Env env, const std::string& message);

// Throws an Error with code ERR_TDFAST_DISPOSED: "<what> was disposed".
[[noreturn]] void throwDisposed(Napi::Env env, const std::string& what);

// Throws a RangeError with code ERR_TDFAST_OUT_OF_MEMORY naming what could not be allocated.
[[noreturn]] void throwOutOfMemory(Napi::Env env, const std::string& what);

// Runs `body` (the whole of a native entry point) and turns any C++ exception other than a Napi::Error into a
// JavaScript error: std::bad_alloc and std::length_error (a vector too large) into ERR_TDFAST_OUT_OF_MEMORY,
// anything else into ERR_TDFAST_INTERNAL. node-addon-api catches only Napi::Error; any other exception leaving
// an N-API callback would terminate the process.
template <class Body>
auto guarded(Napi::Env env, const char* what, Body&& body) -> decltype(body()) {
  try {
    return body();
  } catch (const Napi::Error&) {
    throw;
  } catch (const std::bad_alloc&) {
    throwOutOfMemory(env, what);
  } catch (const std::length_error&) {
    throwOutOfMemory(env, what);
  } catch (const std::exception& error) {
    Napi::Error wrapped = Napi::Error::New(env, std::string(what) + ": " + error.what());
    wrapped.Set("code", Napi::String::New(env, codes::kInternal));
    throw wrapped;
  }
}

// Whether the byte ranges [a, a + aBytes) and [b, b + bBytes) share memory (empty ranges share none). Two
// typed arrays can alias without sharing an ArrayBuffer object: two SharedArrayBuffer objects over the same
// memory (structuredClone of one, or a shared WebAssembly.Memory before and after grow()).
inline bool rangesOverlap(const void* a, size_t aBytes, const void* b, size_t bBytes) {
  const auto aStart = reinterpret_cast<uintptr_t>(a);
  const auto bStart = reinterpret_cast<uintptr_t>(b);
  return aBytes > 0 && bBytes > 0 && aStart < bStart + bBytes && bStart < aStart + aBytes;
}

// A Float32Array argument (its length already checked): its memory, read with one napi_get_typedarray_info call (each
// call tests the value against every typed-array kind in turn: two calls per array were a third of a small call's N-API
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

// An x or out argument of the weights: a Float32Array, or float16 values (a Uint16Array of IEEE binary16
// bits, or a Float16Array where the runtime has one).
class HostArrayArg {
 public:
  HostArrayArg(Napi::Object array, void* data, ElementType type) : array_(array), data_(data), type_(type) {}
  void* Data() const { return data_; }
  ElementType Type() const { return type_; }
  size_t ElementBytes() const { return elementBytes(type_); }
  operator Napi::Object() const { return array_; }

 private:
  Napi::Object array_;
  void* data_;
  ElementType type_;
};

// The argument as a typed array of exactly `expectedLength` elements of `elementType`: a Float32Array, or for
// float16 a Uint16Array or a Float16Array (whose element count N-API gives even where it cannot name the type).
HostArrayArg hostArrayArg(const Napi::CallbackInfo& info, size_t index, const char* name, uint64_t expectedLength,
                          ElementType elementType);

// An element type argument: absent or 0 for float32, 1 for float16.
ElementType elementTypeArg(const Napi::CallbackInfo& info, size_t index, const char* name);

// The weights' call arguments, (x, rows, out, xType?, outType?): the element types are 0 (float32, also
// when absent) or 1 (float16), as lib/ decided from the tensors' dtypes; the arrays are checked against them.
// x of rows * features elements, out of rows * units, not sharing memory with x.
struct TypedHostCallArgs {
  HostArrayArg x;
  HostArrayArg out;
  int64_t rows;
};
TypedHostCallArgs typedHostCallArgs(const Napi::CallbackInfo& info, int64_t features, int64_t units);

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
