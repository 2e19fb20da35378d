#include "cpu_weights.h"

#include <string>

#include "args.h"
#include "promise_job.h"

namespace tdfast {
namespace {

// Async calls whose work (see denseWork) is below this run inline on the main thread and return undefined
// (done): a trip through the libuv pool costs tens of microseconds, more than such a call computes, and the
// library makes its own resolved promise for less than the native one costs.
constexpr double kInlineWork = 1 << 20;

std::shared_ptr<const PackedWeights> liveWeights(Napi::Env env, const std::shared_ptr<const PackedWeights>& weights) {
  if (!weights) throwDisposed(env, "TimeDense weights");
  return weights;
}

}  // namespace

Napi::Function WeightsWrap::Define(Napi::Env env) {
  return DefineClass(
      env, "Weights",
      {InstanceMethod<&WeightsWrap::Run>("run"), InstanceMethod<&WeightsWrap::RunSync>("runSync"),
       InstanceMethod<&WeightsWrap::Dispose>("dispose"), InstanceAccessor<&WeightsWrap::Kernels>("kernels")});
}

// new Weights(kernel: Float32Array, bias: Float32Array | null, features: number, units: number, activation: number)
WeightsWrap::WeightsWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<WeightsWrap>(info) {
  guarded(info.Env(), "TimeDense weights", [&] {
    const WeightArgs args = weightArgs(info);
    weights_ = std::make_shared<const PackedWeights>(
        packWeights(args.kernel, args.bias, args.features, args.units, args.activation, selectKernels()));
  });
}

Napi::Value WeightsWrap::RunSync(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), "cpu", [&] {
    const auto weights = liveWeights(info.Env(), weights_);
    const TypedHostCallArgs args = typedHostCallArgs(info, weights->features, weights->units);
    denseForward(*weights, args.x.Data(), args.x.Type(), args.out.Data(), args.out.Type(), args.rows);
    return info.Env().Undefined();
  });
}

// run(x, rows, out, xType?, outType?): undefined when the call was small enough to finish here, else a promise of its
// end.
Napi::Value WeightsWrap::Run(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, "cpu", [&]() -> Napi::Value {
    auto weights = liveWeights(env, weights_);
    const TypedHostCallArgs args = typedHostCallArgs(info, weights->features, weights->units);
    if (denseWork(args.rows, weights->features, weights->units) < kInlineWork) {
      denseForward(*weights, args.x.Data(), args.x.Type(), args.out.Data(), args.out.Type(), args.rows);
      return env.Undefined();
    }
    const void* input = args.x.Data();
    void* output = args.out.Data();
    const ElementType inputType = args.x.Type(), outputType = args.out.Type();
    const int64_t rows = args.rows;
    // The job shares the weights (dispose() during the call frees them after it) and references both arrays.
    return queuePromiseJob(env, "tdfast.cpu",
                           [weights = std::move(weights), input, inputType, output, outputType, rows] {
                             denseForward(*weights, input, inputType, output, outputType, rows);
                             return JobOutcome{};
                           },
                           {static_cast<Napi::Object>(args.x), static_cast<Napi::Object>(args.out)});
  });
}

Napi::Value WeightsWrap::Dispose(const Napi::CallbackInfo& info) {
  weights_.reset();
  return info.Env().Undefined();
}

Napi::Value WeightsWrap::Kernels(const Napi::CallbackInfo& info) {
  if (!weights_) return info.Env().Null();
  return Napi::String::New(info.Env(),
                           std::string(weights_->kernels->name) + (weights_->usesDotPath() ? "/dot" : "/panel"));
}

}  // namespace tdfast
