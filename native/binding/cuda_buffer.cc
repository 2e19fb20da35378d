#if defined(TDF_WITH_CUDA)

#include "cuda_buffer.h"

#include <string>

#include "args.h"

namespace tdfast {
namespace {

// Marks objects made by CudaBufferWrap, so arguments can be checked without per-environment state.
constexpr napi_type_tag kBufferTag = {0x7464666173746275ull, 0x6666657263756461ull};

}  // namespace

Napi::Function CudaBufferWrap::Define(Napi::Env env) {
  return DefineClass(
      env, "Buffer",
      {InstanceMethod<&CudaBufferWrap::Upload>("upload"), InstanceMethod<&CudaBufferWrap::UploadSync>("uploadSync"),
       InstanceMethod<&CudaBufferWrap::Download>("download"),
       InstanceMethod<&CudaBufferWrap::DownloadSync>("downloadSync"),
       InstanceMethod<&CudaBufferWrap::Dispose>("dispose"),
       InstanceAccessor<&CudaBufferWrap::ByteLength>("byteLength")});
}

// new Buffer(byteLength)
CudaBufferWrap::CudaBufferWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<CudaBufferWrap>(info) {
  guarded(info.Env(), "cuda buffer", [&] {
    const int64_t bytes = integerArg(info, 0, "byteLength", kMaxRows);
    // upload and download copy whole arrays of float32 or float16 elements: a byteLength that is not a whole
    // number of elements would copy past the end of such an array (checked again per element type there).
    if (bytes % 2 != 0)
      throwRangeError(info.Env(), "byteLength: expected a multiple of 2, got " + std::to_string(bytes));
    auto memory = std::make_shared<DeviceMemory>();
    memory->bytes = static_cast<size_t>(bytes);
    if (bytes > 0) throwIfFailed(info.Env(), tdcuda::deviceAlloc(&memory->pointer, memory->bytes));
    memory_ = std::move(memory);
    info.This().As<Napi::Object>().TypeTag(&kBufferTag);
  });
}

std::shared_ptr<DeviceMemory> CudaBufferWrap::memory(Napi::Env env) const {
  if (!memory_) throwDisposed(env, "cuda buffer");
  return memory_;
}

namespace {

// The host array of an upload or download, (array, elementType?): a Float32Array of bytes / 4 elements (type 0
// or absent) or float16 values, a Uint16Array or Float16Array of bytes / 2 (type 1).
HostArrayArg transferArg(const Napi::CallbackInfo& info, const char* name, size_t bytes) {
  const ElementType type = elementTypeArg(info, 1, "elementType");
  const size_t size = elementBytes(type);
  if (bytes % size != 0)
    throwRangeError(info.Env(), std::string(name) + ": a cuda buffer of " + std::to_string(bytes) +
                                    " bytes does not hold whole float32 values");
  return hostArrayArg(info, 0, name, bytes / size, type);
}

}  // namespace

std::shared_ptr<DeviceMemory> CudaBufferWrap::argument(const Napi::CallbackInfo& info, size_t index, const char* name,
                                                       uint64_t bytes) {
  Napi::Value value = info[index];
  if (!value.IsObject() || !value.As<Napi::Object>().CheckTypeTag(&kBufferTag))
    throwTypeError(info.Env(), std::string(name) + ": expected a cuda Buffer");
  auto memory = Unwrap(value.As<Napi::Object>())->memory(info.Env());
  if (memory->bytes != bytes)
    throwRangeError(info.Env(), std::string(name) + ": expected a cuda buffer of " + std::to_string(bytes) +
                                    " bytes, got " + std::to_string(memory->bytes));
  return memory;
}

// upload(source, elementType?): Promise<void>, copying the whole buffer's size from a Float32Array (type 0 or
// absent) or from float16 values (type 1).
Napi::Value CudaBufferWrap::Upload(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), "cuda upload", [&]() -> Napi::Value {
    auto memory = this->memory(info.Env());
    const HostArrayArg source = transferArg(info, "source", memory->bytes);
    const void* data = source.Data();
    return queueCuda(info.Env(), [memory, data] { return tdcuda::copyToDevice(memory->pointer, data, memory->bytes); },
                     {static_cast<Napi::Object>(source), info.This()});
  });
}

Napi::Value CudaBufferWrap::UploadSync(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), "cuda upload", [&]() -> Napi::Value {
    auto memory = this->memory(info.Env());
    const HostArrayArg source = transferArg(info, "source", memory->bytes);
    throwIfFailed(info.Env(), tdcuda::copyToDevice(memory->pointer, source.Data(), memory->bytes));
    return info.Env().Undefined();
  });
}

// download(target, elementType?): Promise<void>, copying the whole buffer's size, as upload.
Napi::Value CudaBufferWrap::Download(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), "cuda download", [&]() -> Napi::Value {
    auto memory = this->memory(info.Env());
    const HostArrayArg target = transferArg(info, "target", memory->bytes);
    void* data = target.Data();
    return queueCuda(info.Env(), [memory, data] { return tdcuda::copyToHost(data, memory->pointer, memory->bytes); },
                     {static_cast<Napi::Object>(target), info.This()});
  });
}

Napi::Value CudaBufferWrap::DownloadSync(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), "cuda download", [&]() -> Napi::Value {
    auto memory = this->memory(info.Env());
    const HostArrayArg target = transferArg(info, "target", memory->bytes);
    throwIfFailed(info.Env(), tdcuda::copyToHost(target.Data(), memory->pointer, memory->bytes));
    return info.Env().Undefined();
  });
}

Napi::Value CudaBufferWrap::Dispose(const Napi::CallbackInfo& info) {
  memory_.reset();  // freed now, or when the last async call using it ends
  return info.Env().Undefined();
}

Napi::Value CudaBufferWrap::ByteLength(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), memory_ ? static_cast<double>(memory_->bytes) : 0.0);
}

}  // namespace tdfast

#endif  // TDF_WITH_CUDA
