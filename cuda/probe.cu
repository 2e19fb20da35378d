// Device probe: whether device 0 can run this backend, and if not, why in words a user can act on
// (no driver, driver older than the runtime, no device, compute capability below 7.5, no kernel
// image for this GPU). Must never crash on a machine without a driver, since the addon that holds
// it also loads on machines without a GPU.
#include "internal.cuh"

#include <mutex>
#include <string>

#include "kernels.cuh"

namespace tdcuda {

namespace {

std::string versionString(int version) {
  return std::to_string(version / 1000) + "." + std::to_string((version % 1000) / 10);
}

DeviceInfo probeDevice() {
  DeviceInfo info;
  cudaDriverGetVersion(&info.driverVersion);  // 0 when no driver is installed
  cudaRuntimeGetVersion(&info.runtimeVersion);
  cudaError_t err = cudaGetDeviceCount(&info.deviceCount);
  if (err != cudaSuccess) {
    info.deviceCount = 0;
    if (err == cudaErrorInsufficientDriver && info.driverVersion == 0)
      info.reason = "no CUDA driver found";
    else if (err == cudaErrorInsufficientDriver)
      info.reason = "CUDA driver too old (driver " + versionString(info.driverVersion) + ", runtime " +
                    versionString(info.runtimeVersion) + ")";
    else if (err == cudaErrorNoDevice)
      info.reason = "no CUDA device";
    else
      info.reason = cudaGetErrorName(err);
    cudaGetLastError();
    return info;
  }
  if (info.deviceCount == 0) {
    info.reason = "no CUDA device";
    return info;
  }
  cudaDeviceProp prop;
  err = cudaGetDeviceProperties(&prop, 0);
  if (err != cudaSuccess) {
    info.reason = cudaGetErrorName(err);
    cudaGetLastError();
    return info;
  }
  info.name = prop.name;
  info.major = prop.major;
  info.minor = prop.minor;
  info.totalMem = prop.totalGlobalMem;
  info.multiProcessorCount = prop.multiProcessorCount;
  if (prop.major * 10 + prop.minor < 75) {
    info.reason =
        "GPU compute capability " + std::to_string(prop.major) + "." + std::to_string(prop.minor) + " is below 7.5";
    return info;
  }
  err = kernels::checkKernelImage();  // e.g. a newer GPU than this binary has code for
  if (err != cudaSuccess) {
    info.reason = cudaGetErrorName(err);
    cudaGetLastError();
    return info;
  }
  info.available = true;
  return info;
}

}  // namespace

DeviceInfo probe() {
  static std::once_flag once;
  static DeviceInfo info;
  std::call_once(once, [] {
    try {
      info = probeDevice();
    } catch (...) {
      info = DeviceInfo();
      info.reason = "host allocation failed while probing";
    }
  });
  return info;
}

}  // namespace tdcuda
