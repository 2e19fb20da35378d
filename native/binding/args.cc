#include "args.h"

#include <cmath>

namespace tdfast {
namespace {

[[noreturn]] void throwWithCode(Napi::Error error, const char* code) {
  error.Set("code", Napi::String::New(error.Env(), code));
  throw error;
}

}  // namespace

void throwTypeError(Napi::Env env, const std::string& message) {
  throwWithCode(Napi::TypeError::New(env, message), codes::kInvalidType);
}

void throwRangeError(Napi::Env env, const std::string& message) {
  throwWithCode(Napi::RangeError::New(env, message), codes::kInvalidSize);
}

void throwDisposed(Napi::Env env, const std::string& what) {
  throwWithCode(Napi::Error::New(env, what + " was disposed"), codes::kDisposed);
}

void throwOutOfMemory(Napi::Env env, const std::string& what) {
  throwWithCode(Napi::RangeError::New(env, what + ": out of memory"), codes::kOutOfMemory);
}

Float32Arg float32Arg(const Napi::CallbackInfo& info, size_t index, const char* name, uint64_t expectedLength) {
  Napi::Value value = info[index];
  napi_typedarray_type type;
  size_t length = 0;
  void* data = nullptr;
  if (napi_get_typedarray_info(info.Env(), value, &type, &length, &data, nullptr, nullptr) != napi_ok ||
      type != napi_float32_array)
    throwTypeError(info.Env(), std::string(name) + ": expected a Float32Array");
  if (length != expectedLength)
    throwRangeError(info.Env(), std::string(name) + ": expected " + std::to_string(expectedLength) + " elements, got " +
                                    std::to_string(length) + (length == 0 ? " (is its ArrayBuffer detached?)" : ""));
  return Float32Arg(value.As<Napi::Object>(), static_cast<float*>(data));
}

HostCallArgs hostCallArgs(const Napi::CallbackInfo& info, int64_t features, int64_t units) {
  const int64_t rows = integerArg(info, 1, "rows", kMaxRows);
  const uint64_t inputLength = checkedProduct(info.Env(), rows, features, "x");
  const uint64_t outputLength = checkedProduct(info.Env(), rows, units, "out");
  HostCallArgs args{float32Arg(info, 0, "x", inputLength), float32Arg(info, 2, "out", outputLength), rows};
  if (rangesOverlap(args.x.Data(), inputLength * sizeof(float), args.out.Data(), outputLength * sizeof(float)))
    throwRangeError(info.Env(), "out: overlaps the memory of x; pass a separate buffer");
  return args;
}

int64_t integerArg(const Napi::CallbackInfo& info, size_t index, const char* name, int64_t max) {
  double number = 0;
  if (napi_get_value_double(info.Env(), info[index], &number) != napi_ok)  // napi_number_expected
    throwTypeError(info.Env(), std::string(name) + ": expected a number");
  if (!(number >= 0) || number > static_cast<double>(max) || std::floor(number) != number)
    throwRangeError(info.Env(), std::string(name) + ": expected an integer in [0, " + std::to_string(max) + "]");
  return static_cast<int64_t>(number);
}

uint64_t checkedProduct(Napi::Env env, uint64_t a, uint64_t b, const char* what) {
  constexpr uint64_t kMaxSafeInteger = (uint64_t{1} << 53) - 1;
  uint64_t product = 0;
  if (__builtin_mul_overflow(a, b, &product) || product > kMaxSafeInteger)
    throwRangeError(env, std::string(what) + ": size overflows");
  return product;
}

WeightArgs weightArgs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const int64_t features = integerArg(info, 2, "features", kMaxDimension);
  const int64_t units = integerArg(info, 3, "units", kMaxDimension);
  const int64_t activation = integerArg(info, 4, "activation", kActivationCount - 1);
  if (features == 0 || units == 0) throwRangeError(env, "kernel: features and units must be at least 1");
  const Float32Arg kernel = float32Arg(info, 0, "kernel", checkedProduct(env, features, units, "kernel"));
  const float* bias = nullptr;
  if (!info[1].IsNull() && !info[1].IsUndefined()) bias = float32Arg(info, 1, "bias", units).Data();
  return WeightArgs{kernel.Data(), bias, static_cast<int>(features), static_cast<int>(units),
                    static_cast<Activation>(activation)};
}

}  // namespace tdfast
