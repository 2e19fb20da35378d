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

namespace {

// napi_float16_array is 11 in Node 24's js_native_api_types.h; the headers this addon builds against may
// predate it. A Node version with Float16Array but without that N-API type (Node 22 and 23 behind a flag)
// leaves `type` unwritten: kUnknownType (within the enumeration's range, unused by Node) marks that case.
#if defined(NODE_API_HAS_FLOAT16_ARRAY)
constexpr napi_typedarray_type kFloat16Array = napi_float16_array;
#else
constexpr napi_typedarray_type kFloat16Array = static_cast<napi_typedarray_type>(11);
#endif
constexpr napi_typedarray_type kUnknownType = static_cast<napi_typedarray_type>(15);

}  // namespace

HostArrayArg hostArrayArg(const Napi::CallbackInfo& info, size_t index, const char* name, uint64_t expectedLength,
                          ElementType elementType) {
  Napi::Env env = info.Env();
  Napi::Value value = info[index];
  napi_typedarray_type type = kUnknownType;
  size_t length = 0;
  void* data = nullptr;
  napi_value arrayBuffer = nullptr;
  size_t byteOffset = 0;
  const bool typed = napi_get_typedarray_info(env, value, &type, &length, &data, &arrayBuffer, &byteOffset) == napi_ok;
  bool accepted = false;
  if (typed && elementType == ElementType::Float32) {
    accepted = type == napi_float32_array;
  } else if (typed) {
    accepted = type == napi_uint16_array || type == kFloat16Array;
    if (type == kUnknownType) {
      // A typed array N-API cannot name: lib/ has checked that it is a Float16Array. The element count is all
      // N-API gives (node-addon-api would report its byte length as 0), so the memory is checked against the
      // ArrayBuffer: 2 bytes per element from the view's offset must lie inside it.
      void* bufferData = nullptr;
      size_t bufferBytes = 0;
      accepted = napi_get_arraybuffer_info(env, arrayBuffer, &bufferData, &bufferBytes) == napi_ok &&
                 byteOffset <= bufferBytes && length <= (bufferBytes - byteOffset) / 2;
    }
  }
  if (!accepted)
    throwTypeError(env, std::string(name) + (elementType == ElementType::Float32
                                                 ? ": expected a Float32Array"
                                                 : ": expected float16 values (a Uint16Array or a Float16Array)"));
  if (length != expectedLength)
    throwRangeError(env, std::string(name) + ": expected " + std::to_string(expectedLength) + " elements, got " +
                             std::to_string(length) + (length == 0 ? " (is its ArrayBuffer detached?)" : ""));
  return HostArrayArg(value.As<Napi::Object>(), data, elementType);
}

ElementType elementTypeArg(const Napi::CallbackInfo& info, size_t index, const char* name) {
  if (info[index].IsUndefined()) return ElementType::Float32;
  return integerArg(info, index, name, 1) == 1 ? ElementType::Float16 : ElementType::Float32;
}

TypedHostCallArgs typedHostCallArgs(const Napi::CallbackInfo& info, int64_t features, int64_t units) {
  const int64_t rows = integerArg(info, 1, "rows", kMaxRows);
  const uint64_t inputLength = checkedProduct(info.Env(), rows, features, "x");
  const uint64_t outputLength = checkedProduct(info.Env(), rows, units, "out");
  const ElementType xType = elementTypeArg(info, 3, "xType");
  const ElementType outType = elementTypeArg(info, 4, "outType");
  TypedHostCallArgs args{hostArrayArg(info, 0, "x", inputLength, xType),
                         hostArrayArg(info, 2, "out", outputLength, outType), rows};
  if (rangesOverlap(args.x.Data(), inputLength * args.x.ElementBytes(), args.out.Data(),
                    outputLength * args.out.ElementBytes()))
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
