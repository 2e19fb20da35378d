#include "cuda.h"

#include <mutex>
#include <string>

#include "args.h"

#if defined(TDF_WITH_CUDA)
#include "cuda_buffer.h"
#include "cuda_weights.h"
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

// Environments that loaded the CUDA surface; the last one to end frees the pinned staging buffers.
std::mutex gStagingMutex;
int gStagingHolders = 0;

void holdStagingBuffers() {
  std::lock_guard<std::mutex> lock(gStagingMutex);
  ++gStagingHolders;
}

void releaseStagingBuffersIfLast() {
  std::lock_guard<std::mutex> lock(gStagingMutex);
  if (gStagingHolders > 0 && --gStagingHolders == 0) tdcuda::releaseStagingBuffers();
}

JobOutcome cudaOutcome(const tdcuda::Status& status) {
  if (status.ok()) return JobOutcome{};
  JobOutcome outcome{JobOutcome::Kind::Error, codes::kCuda, "cuda: " + status.message};
  outcome.numberName = "cudaError";
  outcome.number = status.code;
  return outcome;
}

}  // namespace

void throwIfFailed(Napi::Env env, const tdcuda::Status& status) {
  if (status.ok()) return;
  Napi::Error error = Napi::Error::New(env, "cuda: " + status.message);
  error.Set("code", Napi::String::New(env, codes::kCuda));
  error.Set("cudaError", Napi::Number::New(env, status.code));
  throw error;
}

Napi::Promise queueCuda(Napi::Env env, std::function<tdcuda::Status()> operation,
                        std::initializer_list<napi_value> keepAlive) {
  return queuePromiseJob(
      env, "tdfast.cuda", [operation = std::move(operation)] { return cudaOutcome(operation()); }, keepAlive);
}

Napi::Object cudaExports(Napi::Env env) {
  Napi::Object cuda = Napi::Object::New(env);
  cuda.Set("compiled", true);
  cuda.Set("info", Napi::Function::New(env, Info));
  cuda.Set("memInfo", Napi::Function::New(env, MemInfo));
  cuda.Set("Buffer", CudaBufferWrap::Define(env));
  cuda.Set("Weights", CudaWeightsWrap::Define(env));
  // The pinned staging buffers of the host pipeline are process-wide: freed when the last environment that
  // loaded the addon ends (and so before Node unloads it), as the thread pool is.
  holdStagingBuffers();
  env.AddCleanupHook([] { releaseStagingBuffersIfLast(); });
  return cuda;
}

#endif  // TDF_WITH_CUDA

}  // namespace tdfast
