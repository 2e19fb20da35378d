#if defined(TDF_WITH_CUDA)

#include "cuda_weights.h"

#include "args.h"
#include "cuda_buffer.h"

namespace tdfast {

Napi::Function CudaWeightsWrap::Define(Napi::Env env) {
  return DefineClass(
      env, "Weights",
      {InstanceMethod<&CudaWeightsWrap::Run>("run"), InstanceMethod<&CudaWeightsWrap::RunSync>("runSync"),
       InstanceMethod<&CudaWeightsWrap::RunDevice>("runDevice"),
       InstanceMethod<&CudaWeightsWrap::RunDeviceSync>("runDeviceSync"),
       InstanceMethod<&CudaWeightsWrap::Dispose>("dispose")});
}

// new Weights(kernel, bias | null, features, units, activation): the weights uploaded once.
CudaWeightsWrap::CudaWeightsWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<CudaWeightsWrap>(info) {
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

namespace {

tdcuda::Element cudaElement(ElementType type) {
  return type == ElementType::Float16 ? tdcuda::Element::Float16 : tdcuda::Element::Float32;
}

}  // namespace

CudaWeightsWrap::SharedWeights CudaWeightsWrap::live(Napi::Env env) const {
  if (!weights_) throwDisposed(env, "TimeDense cuda weights");
  return weights_;
}

// run / runSync(x, rows, out, xType?, outType?): host memory in and out (pinned pipeline); the types are 0
// (float32: Float32Array) or 1 (float16: Uint16Array or Float16Array), as for the CPU weights.
Napi::Value CudaWeightsWrap::Host(const Napi::CallbackInfo& info, bool async) {
  Napi::Env env = info.Env();
  return guarded(env, "cuda", [&]() -> Napi::Value {
    SharedWeights weights = live(env);
    const TypedHostCallArgs args = typedHostCallArgs(info, features_, units_);
    const int64_t rows = args.rows;
    const void* input = args.x.Data();
    void* output = args.out.Data();
    const tdcuda::Element inputType = cudaElement(args.x.Type()), outputType = cudaElement(args.out.Type());
    const int activation = activation_;
    auto work = [weights, input, inputType, output, outputType, rows, activation] {
      return tdcuda::denseHost(weights.get(), input, inputType, output, outputType, rows, activation);
    };
    if (async)
      return queueCuda(env, work,
                       {static_cast<Napi::Object>(args.x), static_cast<Napi::Object>(args.out), info.This()});
    throwIfFailed(env, work());
    return env.Undefined();
  });
}

// runDevice / runDeviceSync(x: Buffer, rows, out: Buffer, xType?, outType?): device memory in and out, holding
// float32 (type 0 or absent) or float16 (1) values.
Napi::Value CudaWeightsWrap::Device(const Napi::CallbackInfo& info, bool async) {
  Napi::Env env = info.Env();
  return guarded(env, "cuda", [&]() -> Napi::Value {
    SharedWeights weights = live(env);
    const int64_t rows = integerArg(info, 1, "rows", kMaxRows);
    const ElementType xType = elementTypeArg(info, 3, "xType"), outType = elementTypeArg(info, 4, "outType");
    // Elements are below 2^53, so their bytes fit 64 bits.
    auto input =
        CudaBufferWrap::argument(info, 0, "x", checkedProduct(env, rows, features_, "x") * elementBytes(xType));
    auto output =
        CudaBufferWrap::argument(info, 2, "out", checkedProduct(env, rows, units_, "out") * elementBytes(outType));
    if (input == output && input->bytes > 0)
      throwRangeError(env, "out: is the same cuda buffer as x; pass a separate one");
    const int activation = activation_;
    const tdcuda::Element inputType = cudaElement(xType), outputType = cudaElement(outType);
    auto work = [weights, input, inputType, output, outputType, rows, activation] {
      return tdcuda::denseDevice(weights.get(), input->pointer, inputType, output->pointer, outputType, rows,
                                 activation);
    };
    if (async) return queueCuda(env, work, {info.This()});
    throwIfFailed(env, work());
    return env.Undefined();
  });
}

Napi::Value CudaWeightsWrap::Dispose(const Napi::CallbackInfo& info) {
  weights_.reset();  // freed now, or when the last async call using them ends
  return info.Env().Undefined();
}

}  // namespace tdfast

#endif  // TDF_WITH_CUDA
