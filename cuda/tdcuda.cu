// Host side of the CUDA backend: device probe, weights, memory helpers, kernel dispatch and the
// pinned-staging pipeline for host-resident inputs.
#include "tdcuda.h"

#include <cuda_runtime.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "../native/activation.h"
#include "kernels.cuh"

namespace tdcuda {

namespace {

Status makeStatus(cudaError_t err, const std::string& what) {
  Status status;
  status.code = static_cast<int>(err);
  status.message = std::string(cudaGetErrorName(err)) + ": " + cudaGetErrorString(err) + " (" + what + ")";
  cudaGetLastError();  // a non-sticky error must not be reported again by a later, unrelated call
  return status;
}

Status invalidArgument(const std::string& what) { return makeStatus(cudaErrorInvalidValue, what); }

// Turns an exception escaping into the C++ side (allocation failure, thread creation) into a Status.
Status exceptionStatus(const char* what) {
  try {
    throw;
  } catch (const std::bad_alloc&) {
    return makeStatus(cudaErrorMemoryAllocation, std::string("host allocation failed in ") + what);
  } catch (const std::exception& e) {
    return makeStatus(cudaErrorUnknown, std::string(what) + ": " + e.what());
  } catch (...) {
    return makeStatus(cudaErrorUnknown, what);
  }
}

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
    info.reason = "GPU compute capability " + std::to_string(prop.major) + "." + std::to_string(prop.minor) +
                  " is below 7.5";
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

Status smCountOfCurrentDevice(int* smCount) {
  int device = 0;
  cudaError_t err = cudaGetDevice(&device);
  if (err == cudaSuccess) err = cudaDeviceGetAttribute(smCount, cudaDevAttrMultiProcessorCount, device);
  return err == cudaSuccess ? Status() : makeStatus(err, "querying the device");
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

// ---------------------------------------------------------------------------------------------
// Weights

struct Weights {
  enum class Layout { SmallUnits, Tiled };
  Layout layout = Layout::SmallUnits;
  int F = 0, U = 0;
  int paddedF = 0, paddedU = 0;  // SmallUnits: F and a power of two <= 8; Tiled: multiples of the tile sizes
  float* data = nullptr;  // device: kernel in the layout's order, then bias[paddedU]
  const float* bias() const { return data + size_t(paddedF) * size_t(paddedU); }
};

Status uploadWeights(const float* kernelHost, const float* biasHostOrNull, int F, int U, Weights** out) {
  if (!out) return invalidArgument("uploadWeights: out is null");
  *out = nullptr;
  if (!kernelHost) return invalidArgument("uploadWeights: kernel is null");
  if (F < 1 || U < 1) return invalidArgument("uploadWeights: F and U must be >= 1");
  try {
    std::unique_ptr<Weights> owner(new Weights());
    Weights& w = *owner;
    w.F = F;
    w.U = U;
    const int smallPadded = kernels::smallUnitsPadded(U);
    std::vector<float> host;
    if (U <= kernels::kSmallUnitsMax && kernels::smallUnitsSmemBytes(F, smallPadded) <= kernels::kSmallUnitsSmemLimit) {
      w.layout = Weights::Layout::SmallUnits;
      w.paddedF = F;
      w.paddedU = smallPadded;
      host.assign(size_t(w.paddedU) * F + w.paddedU, 0.0f);
      for (int f = 0; f < F; ++f)
        for (int u = 0; u < U; ++u) host[size_t(u) * F + f] = kernelHost[size_t(f) * U + u];
    } else {
      const int tile = kernels::tiledUnitTile(U);
      if ((int64_t(U) + tile - 1) / tile > 65535) return invalidArgument("uploadWeights: U is too large");
      w.layout = Weights::Layout::Tiled;
      w.paddedF = (F + kernels::kTileK - 1) / kernels::kTileK * kernels::kTileK;
      w.paddedU = (U + tile - 1) / tile * tile;
      host.assign(size_t(w.paddedF) * w.paddedU + w.paddedU, 0.0f);
      for (int f = 0; f < F; ++f)
        std::memcpy(&host[size_t(f) * w.paddedU], kernelHost + size_t(f) * U, size_t(U) * sizeof(float));
    }
    if (biasHostOrNull)
      std::memcpy(&host[size_t(w.paddedF) * w.paddedU], biasHostOrNull, size_t(U) * sizeof(float));

    const size_t bytes = host.size() * sizeof(float);
    cudaError_t err = cudaMalloc(&w.data, bytes);
    if (err != cudaSuccess) return makeStatus(err, "allocating the weights");
    err = cudaMemcpyAsync(w.data, host.data(), bytes, cudaMemcpyHostToDevice, cudaStreamPerThread);
    if (err == cudaSuccess) err = cudaStreamSynchronize(cudaStreamPerThread);
    if (err != cudaSuccess) {
      cudaFree(w.data);
      return makeStatus(err, "uploading the weights");
    }
    *out = owner.release();
    return Status();
  } catch (...) {
    return exceptionStatus("uploadWeights");
  }
}

void releaseWeights(Weights* w) {
  if (!w) return;
  cudaFree(w->data);
  cudaGetLastError();
  delete w;
}

// ---------------------------------------------------------------------------------------------
// Memory helpers. Copies go through the per-thread default stream so that calls from different
// threads do not serialize on the legacy default stream.

Status deviceAlloc(void** ptr, size_t bytes) {
  if (!ptr) return invalidArgument("deviceAlloc: ptr is null");
  *ptr = nullptr;
  if (bytes == 0) return Status();
  cudaError_t err = cudaMalloc(ptr, bytes);
  if (err != cudaSuccess) {
    *ptr = nullptr;
    return makeStatus(err, "allocating " + std::to_string(bytes) + " bytes of device memory");
  }
  return Status();
}

Status deviceFree(void* ptr) {
  cudaError_t err = cudaFree(ptr);
  return err == cudaSuccess ? Status() : makeStatus(err, "freeing device memory");
}

namespace {
Status copySync(void* dst, const void* src, size_t bytes, cudaMemcpyKind kind, const char* what) {
  if (bytes == 0) return Status();
  if (!dst || !src) return invalidArgument(std::string(what) + ": null pointer");
  cudaError_t err = cudaMemcpyAsync(dst, src, bytes, kind, cudaStreamPerThread);
  if (err == cudaSuccess) err = cudaStreamSynchronize(cudaStreamPerThread);
  return err == cudaSuccess ? Status() : makeStatus(err, what);
}
}  // namespace

Status copyToDevice(void* dst, const void* src, size_t bytes) {
  return copySync(dst, src, bytes, cudaMemcpyHostToDevice, "copying to the device");
}

Status copyToHost(void* dst, const void* src, size_t bytes) {
  return copySync(dst, src, bytes, cudaMemcpyDeviceToHost, "copying to the host");
}

Status memInfo(size_t* freeBytes, size_t* totalBytes) {
  size_t freeB = 0, totalB = 0;
  cudaError_t err = cudaMemGetInfo(&freeB, &totalB);
  if (err != cudaSuccess) return makeStatus(err, "querying device memory");
  if (freeBytes) *freeBytes = freeB;
  if (totalBytes) *totalBytes = totalB;
  return Status();
}

// ---------------------------------------------------------------------------------------------
// Dense on device memory

namespace {

Status validateDense(const Weights* w, const void* x, const void* y, int64_t M, int activation) {
  if (!w) return invalidArgument("dense: weights are null");
  if (activation < 0 || activation >= tdfast::kActivationCount) return invalidArgument("dense: unknown activation");
  if (M < 0) return invalidArgument("dense: M is negative");
  if (M > 0 && (!x || !y)) return invalidArgument("dense: null input or output");
  return Status();
}

Status launchDense(const Weights* w, const float* x, float* y, int64_t M, int activation, int smCount,
                   cudaStream_t stream) {
  cudaGetLastError();  // discard a stale non-sticky error so that it is not blamed on this launch
  cudaError_t err;
  if (w->layout == Weights::Layout::SmallUnits) {
    err = kernels::launchSmallUnits({x, w->data, y, M, w->F, w->U, w->paddedU, activation}, smCount, stream);
  } else {
    err = kernels::launchTiled({x, w->data, w->bias(), y, M, w->F, w->U, w->paddedU, activation}, smCount, stream);
  }
  return err == cudaSuccess ? Status() : makeStatus(err, "launching the dense kernel");
}

}  // namespace

Status denseDeviceAsync(const Weights* w, const float* xDev, float* yDev, int64_t M, int activation, void* stream) {
  Status status = validateDense(w, xDev, yDev, M, activation);
  if (!status.ok() || M == 0) return status;
  int smCount = 0;
  status = smCountOfCurrentDevice(&smCount);
  if (!status.ok()) return status;
  return launchDense(w, xDev, yDev, M, activation, smCount, static_cast<cudaStream_t>(stream));
}

Status denseDevice(const Weights* w, const float* xDev, float* yDev, int64_t M, int activation) {
  Status status = denseDeviceAsync(w, xDev, yDev, M, activation, cudaStreamPerThread);
  if (!status.ok() || M == 0) return status;
  cudaError_t err = cudaStreamSynchronize(cudaStreamPerThread);
  return err == cudaSuccess ? Status() : makeStatus(err, "running the dense kernel");
}

// ---------------------------------------------------------------------------------------------
// Dense on host memory: pinned staging pipeline

namespace {

constexpr size_t kChunkBytes = size_t(8) << 20;  // x + y bytes per chunk of rows
// Host threads, each with its own stream: one thread's memcpy into pinned memory runs at well under
// the PCIe rate, so several copy in parallel (half the hardware threads, 2 to 8).
int stagingWorkers() {
  const int hardware = static_cast<int>(std::thread::hardware_concurrency());
  return std::max(2, std::min(8, hardware / 2));
}

// One worker's resources: a stream and two buffers (pinned and device), each holding one chunk's
// x rows followed by its y rows, so that one chunk computes while the next is copied in.
struct StagingSlot {
  cudaStream_t stream = nullptr;
  cudaEvent_t done[2] = {nullptr, nullptr};
  float* pinned = nullptr;
  float* device = nullptr;
  size_t floatsPerBuffer = 0;
  int deviceId = -1;
};

void destroySlot(StagingSlot* slot) {
  if (!slot) return;
  if (slot->stream) cudaStreamSynchronize(slot->stream);  // no transfer may still touch the buffers
  for (cudaEvent_t e : slot->done)
    if (e) cudaEventDestroy(e);
  if (slot->stream) cudaStreamDestroy(slot->stream);
  cudaFreeHost(slot->pinned);
  cudaFree(slot->device);
  cudaGetLastError();
  delete slot;
}

// Ensures the slot's buffers hold `floats` floats each on `device`, reallocating when too small.
Status prepareSlot(StagingSlot* slot, size_t floats, int device) {
  cudaError_t err = cudaSuccess;
  if (slot->deviceId != device) {
    if (slot->deviceId >= 0) return invalidArgument("staging slot belongs to another device");
    slot->deviceId = device;
    err = cudaStreamCreateWithFlags(&slot->stream, cudaStreamNonBlocking);
    if (err != cudaSuccess) return makeStatus(err, "creating a staging stream");
    for (cudaEvent_t& e : slot->done) {
      err = cudaEventCreateWithFlags(&e, cudaEventDisableTiming);
      if (err != cudaSuccess) return makeStatus(err, "creating a staging event");
    }
  }
  if (slot->floatsPerBuffer >= floats) return Status();
  cudaFreeHost(slot->pinned);
  cudaFree(slot->device);
  slot->pinned = nullptr;
  slot->device = nullptr;
  slot->floatsPerBuffer = 0;
  err = cudaHostAlloc(reinterpret_cast<void**>(&slot->pinned), 2 * floats * sizeof(float), cudaHostAllocDefault);
  if (err != cudaSuccess) return makeStatus(err, "allocating pinned staging memory");
  err = cudaMalloc(reinterpret_cast<void**>(&slot->device), 2 * floats * sizeof(float));
  if (err != cudaSuccess) return makeStatus(err, "allocating device staging memory");
  slot->floatsPerBuffer = floats;
  return Status();
}

// Slots are kept between calls: pinned allocations cost milliseconds.
class StagingPool {
 public:
  StagingSlot* acquire(int device) {
    std::lock_guard<std::mutex> lock(mutex_);
    for (size_t i = 0; i < free_.size(); ++i) {
      if (free_[i]->deviceId == device) {
        StagingSlot* slot = free_[i];
        free_.erase(free_.begin() + i);
        return slot;
      }
    }
    return new StagingSlot();
  }
  // A slot that saw an error is destroyed rather than reused.
  void release(StagingSlot* slot, bool healthy) {
    if (!slot) return;
    if (healthy) {
      try {
        std::lock_guard<std::mutex> lock(mutex_);
        free_.push_back(slot);
        return;
      } catch (...) {
      }
    }
    destroySlot(slot);
  }
  void clear() {
    std::vector<StagingSlot*> slots;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      slots.swap(free_);
    }
    for (StagingSlot* slot : slots) destroySlot(slot);
  }

 private:
  std::mutex mutex_;
  std::vector<StagingSlot*> free_;
};

StagingPool& stagingPool() {
  static StagingPool* pool = new StagingPool();  // never destroyed: no CUDA calls during static teardown
  return *pool;
}

struct HostJob {
  const Weights* w;
  const float* x;
  float* y;
  int activation;
  int device;
  int smCount;
  int64_t chunkRows;
  size_t xFloatsPerChunk;  // offset of the y rows inside a staging buffer (keeps x 16-byte aligned)
  size_t floatsPerBuffer;
};

// Runs chunks [rowBegin, rowEnd) through one slot: while chunk i computes on the GPU, the host
// copies chunk i+1 into the other buffer, then collects chunk i-1's output.
Status runRows(const HostJob& job, StagingSlot* slot, int64_t rowBegin, int64_t rowEnd,
               const std::atomic<bool>& abort) {
  const int F = job.w->F, U = job.w->U;
  int64_t pendingRow[2] = {0, 0}, pendingRows[2] = {0, 0};
  auto collect = [&](int b) -> Status {
    if (pendingRows[b] == 0) return Status();
    cudaError_t err = cudaEventSynchronize(slot->done[b]);
    if (err != cudaSuccess) return makeStatus(err, "computing a staged chunk");
    std::memcpy(job.y + pendingRow[b] * U, slot->pinned + b * slot->floatsPerBuffer + job.xFloatsPerChunk,
                size_t(pendingRows[b]) * U * sizeof(float));
    pendingRows[b] = 0;
    return Status();
  };

  int b = 0;
  for (int64_t row = rowBegin; row < rowEnd && !abort.load(std::memory_order_relaxed); row += job.chunkRows) {
    Status status = collect(b);  // frees buffer b (its last upload finished before its download)
    if (!status.ok()) return status;
    const int64_t rows = std::min(job.chunkRows, rowEnd - row);
    float* hostX = slot->pinned + b * slot->floatsPerBuffer;
    float* devX = slot->device + b * slot->floatsPerBuffer;
    const size_t xBytes = size_t(rows) * F * sizeof(float);
    const size_t yBytes = size_t(rows) * U * sizeof(float);
    std::memcpy(hostX, job.x + row * F, xBytes);
    cudaError_t err = cudaMemcpyAsync(devX, hostX, xBytes, cudaMemcpyHostToDevice, slot->stream);
    if (err != cudaSuccess) return makeStatus(err, "uploading a staged chunk");
    status = launchDense(job.w, devX, devX + job.xFloatsPerChunk, rows, job.activation, job.smCount, slot->stream);
    if (!status.ok()) return status;
    err = cudaMemcpyAsync(hostX + job.xFloatsPerChunk, devX + job.xFloatsPerChunk, yBytes, cudaMemcpyDeviceToHost,
                          slot->stream);
    if (err == cudaSuccess) err = cudaEventRecord(slot->done[b], slot->stream);
    if (err != cudaSuccess) return makeStatus(err, "downloading a staged chunk");
    pendingRow[b] = row;
    pendingRows[b] = rows;
    b ^= 1;
  }
  Status status = collect(b);  // the older of the two
  if (status.ok()) status = collect(b ^ 1);
  return status;
}

Status runWorker(const HostJob& job, int64_t rowBegin, int64_t rowEnd, std::atomic<bool>& abort) {
  cudaError_t err = cudaSetDevice(job.device);  // a new thread starts on device 0
  if (err != cudaSuccess) return makeStatus(err, "selecting the device in a staging worker");
  StagingSlot* slot = nullptr;
  Status status;
  try {
    slot = stagingPool().acquire(job.device);
    status = prepareSlot(slot, job.floatsPerBuffer, job.device);
    if (status.ok()) status = runRows(job, slot, rowBegin, rowEnd, abort);
  } catch (...) {
    status = exceptionStatus("denseHost worker");
  }
  if (!status.ok()) abort.store(true);
  stagingPool().release(slot, status.ok());
  return status;
}

}  // namespace

Status denseHost(const Weights* w, const float* xHost, float* yHost, int64_t M, int activation) {
  Status status = validateDense(w, xHost, yHost, M, activation);
  if (!status.ok() || M == 0) return status;
  HostJob job;
  job.w = w;
  job.x = xHost;
  job.y = yHost;
  job.activation = activation;
  cudaError_t err = cudaGetDevice(&job.device);
  if (err != cudaSuccess) return makeStatus(err, "querying the device");
  status = smCountOfCurrentDevice(&job.smCount);
  if (!status.ok()) return status;
  const size_t rowBytes = (size_t(w->F) + size_t(w->U)) * sizeof(float);
  job.chunkRows = std::max<int64_t>(1, int64_t(kChunkBytes / rowBytes));
  job.chunkRows = std::min(job.chunkRows, M);
  job.xFloatsPerChunk = (size_t(job.chunkRows) * w->F + 63) / 64 * 64;
  job.floatsPerBuffer = (job.xFloatsPerChunk + size_t(job.chunkRows) * w->U + 63) / 64 * 64;

  // Contiguous ranges of whole chunks per worker; the calling thread is worker 0.
  const int64_t chunks = (M + job.chunkRows - 1) / job.chunkRows;
  const int workers = static_cast<int>(std::min<int64_t>(stagingWorkers(), chunks));
  std::atomic<bool> abort(false);
  auto rangeOf = [&](int i, int64_t* begin, int64_t* end) {
    *begin = std::min(M, chunks * i / workers * job.chunkRows);
    *end = std::min(M, chunks * (i + 1) / workers * job.chunkRows);
  };
  std::vector<Status> results;
  std::vector<std::thread> threads;
  try {
    results.resize(workers);
    threads.reserve(workers);  // no reallocation below, so emplace_back only throws for a failed thread
    for (int i = 1; i < workers; ++i) {
      int64_t begin, end;
      rangeOf(i, &begin, &end);
      try {
        threads.emplace_back([&, i, begin, end] { results[i] = runWorker(job, begin, end, abort); });
      } catch (...) {  // no thread available: do this range on the calling thread
        results[i] = runWorker(job, begin, end, abort);
      }
    }
    int64_t begin, end;
    rangeOf(0, &begin, &end);
    results[0] = runWorker(job, begin, end, abort);
    for (std::thread& t : threads) t.join();
  } catch (...) {
    return exceptionStatus("denseHost");
  }
  for (const Status& result : results)
    if (!result.ok()) return result;
  return Status();
}

void releaseStagingBuffers() { stagingPool().clear(); }

}  // namespace tdcuda
