// Dense on host memory (denseHost): the rows of ordinary pageable buffers go through pinned staging
// buffers in chunks, with several worker threads each driving its own stream, so that the host
// copies, the uploads, the kernels and the downloads of different chunks overlap. Copies from
// pageable memory do not overlap with anything, and registering the caller's buffers
// (cudaHostRegister) would be paid on every call.
#include "internal.cuh"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <mutex>
#include <thread>
#include <vector>

namespace tdcuda {

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
  unsigned char* pinned = nullptr;
  unsigned char* device = nullptr;
  size_t bytesPerBuffer = 0;
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

// Ensures the slot's buffers hold `bytes` bytes each on `device`, reallocating when too small.
Status prepareSlot(StagingSlot* slot, size_t bytes, int device) {
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
  if (slot->bytesPerBuffer >= bytes) return Status();
  cudaFreeHost(slot->pinned);
  cudaFree(slot->device);
  slot->pinned = nullptr;
  slot->device = nullptr;
  slot->bytesPerBuffer = 0;
  err = cudaHostAlloc(reinterpret_cast<void**>(&slot->pinned), 2 * bytes, cudaHostAllocDefault);
  if (err != cudaSuccess) return makeStatus(err, "allocating pinned staging memory");
  err = cudaMalloc(reinterpret_cast<void**>(&slot->device), 2 * bytes);
  if (err != cudaSuccess) return makeStatus(err, "allocating device staging memory");
  slot->bytesPerBuffer = bytes;
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
  const unsigned char* x;
  unsigned char* y;
  Element xType, yType;
  size_t xRowBytes, yRowBytes;
  int activation;
  int device;
  int smCount;
  int64_t chunkRows;
  size_t xBytesPerChunk;  // offset of the y rows inside a staging buffer (keeps y 256-byte aligned)
  size_t bytesPerBuffer;
};

// Runs chunks [rowBegin, rowEnd) through one slot: while chunk i computes on the GPU, the host
// copies chunk i+1 into the other buffer, then collects chunk i-1's output.
Status runRows(const HostJob& job, StagingSlot* slot, int64_t rowBegin, int64_t rowEnd,
               const std::atomic<bool>& abort) {
  int64_t pendingRow[2] = {0, 0}, pendingRows[2] = {0, 0};
  auto collect = [&](int b) -> Status {
    if (pendingRows[b] == 0) return Status();
    cudaError_t err = cudaEventSynchronize(slot->done[b]);
    if (err != cudaSuccess) return makeStatus(err, "computing a staged chunk");
    std::memcpy(job.y + pendingRow[b] * job.yRowBytes, slot->pinned + b * slot->bytesPerBuffer + job.xBytesPerChunk,
                size_t(pendingRows[b]) * job.yRowBytes);
    pendingRows[b] = 0;
    return Status();
  };

  int b = 0;
  for (int64_t row = rowBegin; row < rowEnd && !abort.load(std::memory_order_relaxed); row += job.chunkRows) {
    Status status = collect(b);  // frees buffer b (its last upload finished before its download)
    if (!status.ok()) return status;
    const int64_t rows = std::min(job.chunkRows, rowEnd - row);
    unsigned char* hostX = slot->pinned + b * slot->bytesPerBuffer;
    unsigned char* devX = slot->device + b * slot->bytesPerBuffer;
    const size_t xBytes = size_t(rows) * job.xRowBytes;
    const size_t yBytes = size_t(rows) * job.yRowBytes;
    std::memcpy(hostX, job.x + row * job.xRowBytes, xBytes);
    cudaError_t err = cudaMemcpyAsync(devX, hostX, xBytes, cudaMemcpyHostToDevice, slot->stream);
    if (err != cudaSuccess) return makeStatus(err, "uploading a staged chunk");
    status = launchDense(job.w, devX, job.xType, devX + job.xBytesPerChunk, job.yType, rows, job.activation,
                         job.smCount, slot->stream);
    if (!status.ok()) return status;
    err = cudaMemcpyAsync(hostX + job.xBytesPerChunk, devX + job.xBytesPerChunk, yBytes, cudaMemcpyDeviceToHost,
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
    status = prepareSlot(slot, job.bytesPerBuffer, job.device);
    if (status.ok()) status = runRows(job, slot, rowBegin, rowEnd, abort);
  } catch (...) {
    status = exceptionStatus("denseHost worker");
  }
  if (!status.ok()) abort.store(true);
  stagingPool().release(slot, status.ok());
  return status;
}

}  // namespace

Status denseHost(const Weights* w, const void* xHost, Element xType, void* yHost, Element yType, int64_t M,
                 int activation) {
  Status status = validateDense(w, xHost, xType, yHost, yType, M, activation);
  if (!status.ok() || M == 0) return status;
  HostJob job;
  job.w = w;
  job.x = static_cast<const unsigned char*>(xHost);
  job.y = static_cast<unsigned char*>(yHost);
  job.xType = xType;
  job.yType = yType;
  job.xRowBytes = size_t(w->F) * elementBytes(xType);
  job.yRowBytes = size_t(w->U) * elementBytes(yType);
  job.activation = activation;
  cudaError_t err = cudaGetDevice(&job.device);
  if (err != cudaSuccess) return makeStatus(err, "querying the device");
  status = smCountOfCurrentDevice(&job.smCount);
  if (!status.ok()) return status;
  const size_t rowBytes = job.xRowBytes + job.yRowBytes;
  job.chunkRows = std::max<int64_t>(1, int64_t(kChunkBytes / rowBytes));
  job.chunkRows = std::min(job.chunkRows, M);
  job.xBytesPerChunk = (size_t(job.chunkRows) * job.xRowBytes + 255) / 256 * 256;
  job.bytesPerBuffer = (job.xBytesPerChunk + size_t(job.chunkRows) * job.yRowBytes + 255) / 256 * 256;

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
