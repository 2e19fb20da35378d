#include "cuda_binding.h"

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "activation.h"
#include "napi_util.h"
#include "promise_job.h"

#if defined(TDF_WITH_CUDA)
#include "../cuda/tdcuda.h"
#endif

namespace tdfast {

#if !defined(TDF_WITH_CUDA)

Napi::Object cudaExports(Napi::Env env) {
  Napi::Object cuda = Napi::Object::New(env);
  cuda.Set("compiled", false);
  cuda.Set("info", Napi::Function::New(env, [](const Napi::CallbackInfo& info) -> Napi::Value {
             Napi::Object result = Napi::Object::New(info.Env());
             result.Set("available", false);
             result.Set("reason", "addon built without CUDA");
             return result;
           }));
  return cuda;
}

#else

namespace {

Napi::Error cudaError(Napi::Env env, const tdcuda::Status& status) {
  Napi::Error error = Napi::Error::New(env, "cuda: " + status.message);
  error.Set("code", Napi::String::New(env, codes::kCuda));
  error.Set("cudaError", Napi::Number::New(env, status.code));
  return error;
}

void throwIfFailed(Napi::Env env, const tdcuda::Status& status) {
  if (!status.ok()) throw cudaError(env, status);
}

// Device memory owned by a Buffer and by the async calls that use it, freed when the last of them lets go.
struct DeviceMemory {
  void* pointer = nullptr;
  size_t bytes = 0;
  ~DeviceMemory() {
    if (pointer != nullptr) tdcuda::deviceFree(pointer);
  }
};

// A CUDA operation for queuePromiseJob: its Status as the job's outcome.
JobOutcome cudaOutcome(const tdcuda::Status& status) {
  if (status.ok()) return JobOutcome{};
  JobOutcome outcome{JobOutcome::Kind::Error, codes::kCuda, "cuda: " + status.message};
  outcome.numberName = "cudaError";
  outcome.number = status.code;
  return outcome;
}

template <class Operation>
Napi::Promise queueCuda(Napi::Env env, Operation operation, std::initializer_list<napi_value> keepAlive) {
  return queuePromiseJob(env, "tdfast.cuda", [operation] { return cudaOutcome(operation()); }, keepAlive);
}

// new Buffer(byteLength): device memory. upload/download copy whole Float32Arrays of exactly its size.
// Marks objects made by BufferWrap, so arguments can be checked without per-environment state.
constexpr napi_type_tag kBufferTag = {0x7464666173746275ull, 0x6666657263756461ull};

class BufferWrap : public Napi::ObjectWrap<BufferWrap> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "Buffer",
                       {InstanceMethod<&BufferWrap::Upload>("upload"),
                        InstanceMethod<&BufferWrap::Download>("download"),
                        InstanceMethod<&BufferWrap::Dispose>("dispose"),
                        InstanceAccessor<&BufferWrap::ByteLength>("byteLength")});
  }

  explicit BufferWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<BufferWrap>(info) {
    guarded(info.Env(), "cuda buffer", [&] {
      const int64_t bytes = integerArg(info, 0, "byteLength", kMaxRows);
      auto memory = std::make_shared<DeviceMemory>();
      memory->bytes = static_cast<size_t>(bytes);
      if (bytes > 0) throwIfFailed(info.Env(), tdcuda::deviceAlloc(&memory->pointer, memory->bytes));
      memory_ = std::move(memory);
      info.This().As<Napi::Object>().TypeTag(&kBufferTag);
    });
  }

  std::shared_ptr<DeviceMemory> memory(Napi::Env env) const {
    if (!memory_) throwDisposed(env, "cuda buffer");
    return memory_;
  }

 private:
  // upload(source: Float32Array, async: boolean)
  Napi::Value Upload(const Napi::CallbackInfo& info) {
    return guarded(info.Env(), "cuda upload", [&]() -> Napi::Value {
      auto memory = this->memory(info.Env());
      const Float32Arg source = float32Arg(info, 0, "source", memory->bytes / 4);
      if (info[1].ToBoolean()) {
        const float* data = source.Data();
        return queueCuda(info.Env(), [memory, data] { return tdcuda::copyToDevice(memory->pointer, data, memory->bytes); },
                         {static_cast<Napi::Object>(source), info.This()});
      }
      throwIfFailed(info.Env(), tdcuda::copyToDevice(memory->pointer, source.Data(), memory->bytes));
      return info.Env().Undefined();
    });
  }

  // download(target: Float32Array, async: boolean)
  Napi::Value Download(const Napi::CallbackInfo& info) {
    return guarded(info.Env(), "cuda download", [&]() -> Napi::Value {
      auto memory = this->memory(info.Env());
      const Float32Arg target = float32Arg(info, 0, "target", memory->bytes / 4);
      if (info[1].ToBoolean()) {
        float* data = target.Data();
        return queueCuda(info.Env(), [memory, data] { return tdcuda::copyToHost(data, memory->pointer, memory->bytes); },
                         {static_cast<Napi::Object>(target), info.This()});
      }
      throwIfFailed(info.Env(), tdcuda::copyToHost(target.Data(), memory->pointer, memory->bytes));
      return info.Env().Undefined();
    });
  }

  Napi::Value Dispose(const Napi::CallbackInfo& info) {
    memory_.reset();  // freed now, or when the last async call using it ends
    return info.Env().Undefined();
  }

  Napi::Value ByteLength(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), memory_ ? static_cast<double>(memory_->bytes) : 0.0);
  }

  std::shared_ptr<DeviceMemory> memory_;
};

using SharedWeights = std::shared_ptr<tdcuda::Weights>;

// new Weights(kernel, bias | null, features, units, activation): the weights uploaded once.
class CudaWeightsWrap : public Napi::ObjectWrap<CudaWeightsWrap> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "Weights",
                       {InstanceMethod<&CudaWeightsWrap::RunHost>("runHost"),
                        InstanceMethod<&CudaWeightsWrap::RunDevice>("runDevice"),
                        InstanceMethod<&CudaWeightsWrap::Dispose>("dispose")});
  }

  explicit CudaWeightsWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<CudaWeightsWrap>(info) {
    guarded(info.Env(), "TimeDense cuda weights", [&] {
      const WeightArgs args = weightArgs(info);
      features_ = args.features;
      units_ = args.units;
      activation_ = static_cast<int>(args.activation);
      tdcuda::Weights* uploaded = nullptr;
      throwIfFailed(info.Env(), tdcuda::uploadWeights(args.kernel, args.bias, args.features, args.units, &uploaded));
      weights_ = SharedWeights(uploaded, tdcuda::releaseWeights);
    });
  }

 private:
  SharedWeights live(Napi::Env env) const {
    if (!weights_) throwDisposed(env, "TimeDense cuda weights");
    return weights_;
  }

  // runHost(x: Float32Array, rows, out: Float32Array, async: boolean): host memory in and out (pinned pipeline).
  Napi::Value RunHost(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    return guarded(env, "cuda", [&]() -> Napi::Value {
      SharedWeights weights = live(env);
      const int64_t rows = integerArg(info, 1, "rows", kMaxRows);
      const uint64_t inputLength = checkedProduct(env, rows, features_, "x");
      const uint64_t outputLength = checkedProduct(env, rows, units_, "out");
      const Float32Arg x = float32Arg(info, 0, "x", inputLength);
      const Float32Arg out = float32Arg(info, 2, "out", outputLength);
      if (rangesOverlap(x.Data(), inputLength * sizeof(float), out.Data(), outputLength * sizeof(float)))
        throwRangeError(env, "out: overlaps the memory of x; pass a separate buffer");
      const float* input = x.Data();
      float* output = out.Data();
      const int activation = activation_;
      auto work = [weights, input, output, rows, activation] {
        return tdcuda::denseHost(weights.get(), input, output, rows, activation);
      };
      if (info[3].ToBoolean())
        return queueCuda(env, work, {static_cast<Napi::Object>(x), static_cast<Napi::Object>(out), info.This()});
      throwIfFailed(env, work());
      return env.Undefined();
    });
  }

  // runDevice(x: Buffer, rows, out: Buffer, async: boolean): device memory in and out.
  Napi::Value RunDevice(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    return guarded(env, "cuda", [&]() -> Napi::Value {
      SharedWeights weights = live(env);
      const int64_t rows = integerArg(info, 1, "rows", kMaxRows);
      auto input = bufferArg(info, 0, "x", checkedProduct(env, rows, features_, "x") * 4);
      auto output = bufferArg(info, 2, "out", checkedProduct(env, rows, units_, "out") * 4);
      const int activation = activation_;
      auto work = [weights, input, output, rows, activation] {
        return tdcuda::denseDevice(weights.get(), static_cast<const float*>(input->pointer), static_cast<float*>(output->pointer),
                                   rows, activation);
      };
      if (info[3].ToBoolean()) return queueCuda(env, work, {info.This()});
      throwIfFailed(env, work());
      return env.Undefined();
    });
  }

  std::shared_ptr<DeviceMemory> bufferArg(const Napi::CallbackInfo& info, size_t index, const char* name, uint64_t bytes) {
    Napi::Value value = info[index];
    if (!value.IsObject() || !value.As<Napi::Object>().CheckTypeTag(&kBufferTag))
      throwTypeError(info.Env(), std::string(name) + ": expected a cuda Buffer");
    auto memory = BufferWrap::Unwrap(value.As<Napi::Object>())->memory(info.Env());
    if (memory->bytes != bytes)
      throwRangeError(info.Env(), std::string(name) + ": expected a cuda buffer of " + std::to_string(bytes) + " bytes, got " +
                                      std::to_string(memory->bytes));
    return memory;
  }

  Napi::Value Dispose(const Napi::CallbackInfo& info) {
    weights_.reset();
    return info.Env().Undefined();
  }

  SharedWeights weights_;
  int64_t features_ = 0;
  int64_t units_ = 0;
  int activation_ = 0;
};

Napi::Value Info(const Napi::CallbackInfo& info) {
  const tdcuda::DeviceInfo device = tdcuda::probe();
  Napi::Object result = Napi::Object::New(info.Env());
  result.Set("available", device.available);
  if (!device.available) result.Set("reason", device.reason);
  result.Set("name", device.name);
  result.Set("computeCapability", std::to_string(device.major) + "." + std::to_string(device.minor));
  result.Set("totalMemory", static_cast<double>(device.totalMem));
  result.Set("driverVersion", device.driverVersion);
  result.Set("runtimeVersion", device.runtimeVersion);
  result.Set("deviceCount", device.deviceCount);
  return result;
}

Napi::Value MemInfo(const Napi::CallbackInfo& info) {
  size_t freeBytes = 0, totalBytes = 0;
  throwIfFailed(info.Env(), tdcuda::memInfo(&freeBytes, &totalBytes));
  Napi::Object result = Napi::Object::New(info.Env());
  result.Set("free", static_cast<double>(freeBytes));
  result.Set("total", static_cast<double>(totalBytes));
  return result;
}

}  // namespace

Napi::Object cudaExports(Napi::Env env) {
  Napi::Object cuda = Napi::Object::New(env);
  cuda.Set("compiled", true);
  cuda.Set("info", Napi::Function::New(env, Info));
  cuda.Set("memInfo", Napi::Function::New(env, MemInfo));
  cuda.Set("Buffer", BufferWrap::Define(env));
  cuda.Set("Weights", CudaWeightsWrap::Define(env));
  return cuda;
}

#endif

}  // namespace tdfast
