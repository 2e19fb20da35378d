// Timings of the cuda/ kernels (no Node.js): CUDA-event medians of denseDeviceAsync per shape against
// a device-to-device copy of the same bytes, and denseHost on pageable memory against pinned and
// pageable cudaMemcpy. Prints JSON lines for bench/gpu/table.py. Correctness is checked by
// test/cuda/check.cu, not here; both build with bench/gpu/run.sh.
//
//   timing bench [--json FILE] [--only TEXT]
//                                 timings (median of reps) and copy bandwidth, JSON lines to FILE;
//                                 --only: just the shapes whose label ("BxTxF->U act") contains TEXT
//
// Exit status: 0 done, 1 a CUDA call failed, 2 no usable device.
#include <cuda_runtime.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "../../test/cuda/common.h"

namespace {

// Keeps the stream busy while the timed launches are queued, so that the events time the GPU work
// and not the host's launch rate (torch_ref.py does the same with torch.cuda._sleep).
__global__ void spin(long long cycles) {
  const long long start = clock64();
  while (clock64() - start < cycles) {
  }
}

constexpr int kWarmup = 5;
constexpr int kReps = 30;
constexpr long long kSpinCycles = 20000000;  // ~10 ms

struct Timing {
  double median, p10, p90;
};

// Times kReps calls of launch(rep) with events around each; median and spread in ms.
template <class Launch>
Timing timeReps(cudaStream_t stream, Launch launch) {
  for (int i = 0; i < kWarmup; ++i) launch(i);
  CUDA_OK(cudaStreamSynchronize(stream));
  std::vector<cudaEvent_t> events(2 * kReps);
  for (cudaEvent_t& e : events) CUDA_OK(cudaEventCreate(&e));
  spin<<<1, 1, 0, stream>>>(kSpinCycles);
  for (int i = 0; i < kReps; ++i) {
    CUDA_OK(cudaEventRecord(events[2 * i], stream));
    launch(i);
    CUDA_OK(cudaEventRecord(events[2 * i + 1], stream));
  }
  CUDA_OK(cudaStreamSynchronize(stream));
  std::vector<double> ms(kReps);
  for (int i = 0; i < kReps; ++i) {
    float t = 0;
    CUDA_OK(cudaEventElapsedTime(&t, events[2 * i], events[2 * i + 1]));
    ms[i] = t;
  }
  for (cudaEvent_t e : events) CUDA_OK(cudaEventDestroy(e));
  std::sort(ms.begin(), ms.end());
  return {ms[kReps / 2], ms[kReps / 10], ms[kReps - 1 - kReps / 10]};
}

struct BenchShape {
  int B, T, F, U, act;
  bool halfX = false, halfY = false;  // float16 x, float16 y
};

const char* dtypeName(const BenchShape& s) { return dtypeLabel(s.halfX, s.halfY); }

FILE* jsonFile = nullptr;

void emitJson(const std::string& line) {
  std::printf("%s\n", line.c_str());
  if (jsonFile) std::fprintf(jsonFile, "%s\n", line.c_str());
}

void benchShape(const BenchShape& s, cudaStream_t stream) {
  const int64_t M = int64_t(s.B) * s.T;
  const size_t xSize = s.halfX ? 2 : 4, ySize = s.halfY ? 2 : 4;
  const size_t inBytes = size_t(M) * s.F * xSize, outBytes = size_t(M) * s.U * ySize;
  // Rotate over enough buffers that the inputs do not stay in L2 (50 MB on an H100).
  const size_t rotation = inBytes >= (size_t(200) << 20) ? 1 : std::max<size_t>(2, (size_t(256) << 20) / inBytes);
  unsigned char *x = nullptr, *y = nullptr;
  CUDA_OK(cudaMalloc(&x, inBytes * rotation));
  CUDA_OK(cudaMalloc(&y, outBytes * rotation));
  if (s.halfX)
    fillDeviceHalf(reinterpret_cast<__half*>(x), uint64_t(M) * s.F * rotation, 12345);
  else
    fillDevice(reinterpret_cast<float*>(x), uint64_t(M) * s.F * rotation, 12345);
  CUDA_OK(cudaMemset(y, 0, outBytes * rotation));

  std::mt19937_64 rng(7);
  std::uniform_real_distribution<float> unit(-1.0f, 1.0f);
  std::vector<float> kernel(size_t(s.F) * s.U), bias(s.U);
  for (float& v : kernel) v = unit(rng) * 4.5f / std::sqrt(float(s.F));
  for (float& v : bias) v = 0.5f * unit(rng);
  tdcuda::Weights* w = nullptr;
  mustOk(tdcuda::uploadWeights(kernel.data(), bias.data(), s.F, s.U, &w), "uploadWeights");

  const Timing td = timeReps(stream, [&](int rep) {
    const size_t r = size_t(rep) % rotation;
    mustOk(tdcuda::denseDeviceAsync(w, x + r * inBytes, elementOf(s.halfX), y + r * outBytes, elementOf(s.halfY), M,
                                    s.act, stream),
           "denseDeviceAsync");
  });
  // A copy moving the same bytes: (in + out) / 2 read and as much written.
  const size_t copyBytes = (inBytes + outBytes) / 2;
  char *copySrc = nullptr, *copyDst = nullptr;
  CUDA_OK(cudaMalloc(&copySrc, copyBytes * rotation));
  CUDA_OK(cudaMalloc(&copyDst, copyBytes * rotation));
  CUDA_OK(cudaMemset(copySrc, 1, copyBytes * rotation));
  const Timing copy = timeReps(stream, [&](int rep) {
    const size_t r = size_t(rep) % rotation;
    CUDA_OK(
        cudaMemcpyAsync(copyDst + r * copyBytes, copySrc + r * copyBytes, copyBytes, cudaMemcpyDeviceToDevice, stream));
  });
  CUDA_OK(cudaFree(copySrc));
  CUDA_OK(cudaFree(copyDst));

  const double bytes = double(inBytes + outBytes);
  const double gbps = bytes / (td.median * 1e-3) / 1e9;
  const double copyGbps = 2.0 * copyBytes / (copy.median * 1e-3) / 1e9;
  const double flops = 2.0 * double(M) * s.F * s.U;
  char line[768];
  std::snprintf(
      line, sizeof line,
      "{\"source\":\"tdfast\",\"shape\":\"%dx%dx%d->%d\",\"act\":\"%s\",\"dtype\":\"%s\",\"M\":%lld,\"F\":%d,\"U\":%d,"
      "\"bytes\":%.0f,\"ms\":%.5f,\"ms_p10\":%.5f,\"ms_p90\":%.5f,\"gbps\":%.1f,\"tflops\":%.2f,"
      "\"copy_ms\":%.5f,\"copy_gbps\":%.1f,\"pct_copy\":%.1f,\"rotation\":%zu}",
      s.B, s.T, s.F, s.U, kActivationNames[s.act], dtypeName(s), (long long)M, s.F, s.U, bytes, td.median, td.p10,
      td.p90, gbps, flops / (td.median * 1e-3) / 1e12, copy.median, copyGbps, 100.0 * gbps / copyGbps, rotation);
  emitJson(line);
  tdcuda::releaseWeights(w);
  CUDA_OK(cudaFree(x));
  CUDA_OK(cudaFree(y));
}

// denseHost on pageable memory (1 GB of float32 x, or 0.5 GB of float16 x) against a pinned cudaMemcpy of
// the same bytes.
void benchHost(bool halfX) {
  const int B = 1024, T = 4096, F = 64, U = 1, act = 1;
  const int64_t M = int64_t(B) * T;
  const size_t inBytes = size_t(M) * F * (halfX ? 2 : 4), outBytes = size_t(M) * U * 4;
  std::vector<float> x(halfX ? 0 : size_t(M) * F), y(size_t(M) * U);
  std::vector<__half> xHalf(halfX ? size_t(M) * F : 0);
  for (size_t i = 0; i < x.size(); ++i) x[i] = hashUniform(99, i);
  for (size_t i = 0; i < xHalf.size(); ++i) xHalf[i] = __float2half_rn(hashUniform(99, i));
  const void* xData = halfX ? static_cast<const void*>(xHalf.data()) : x.data();
  const tdcuda::Element xType = elementOf(halfX);
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<float> unit(-1.0f, 1.0f);
  std::vector<float> kernel(size_t(F) * U), bias(U);
  for (float& v : kernel) v = unit(rng) * 4.5f / 8.0f;
  for (float& v : bias) v = 0.5f * unit(rng);
  tdcuda::Weights* w = nullptr;
  mustOk(tdcuda::uploadWeights(kernel.data(), bias.data(), F, U, &w), "uploadWeights");

  auto hostMs = [](auto&& fn) {
    std::vector<double> ms;
    fn();  // warm-up: pinned staging buffers are allocated on first use
    for (int i = 0; i < 5; ++i) {
      const auto t0 = std::chrono::steady_clock::now();
      fn();
      ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    }
    std::sort(ms.begin(), ms.end());
    return ms[ms.size() / 2];
  };
  const double denseMs = hostMs(
      [&] { mustOk(tdcuda::denseHost(w, xData, xType, y.data(), tdcuda::Element::Float32, M, act), "denseHost"); });

  float* pinned = nullptr;
  float* dev = nullptr;
  CUDA_OK(cudaHostAlloc(&pinned, inBytes + outBytes, cudaHostAllocDefault));
  CUDA_OK(cudaMalloc(&dev, inBytes + outBytes));
  std::memcpy(pinned, xData, inBytes);
  const double pinnedMs = hostMs([&] { CUDA_OK(cudaMemcpy(dev, pinned, inBytes + outBytes, cudaMemcpyHostToDevice)); });
  const double pageableMs = hostMs([&] { CUDA_OK(cudaMemcpy(dev, xData, inBytes, cudaMemcpyHostToDevice)); });
  const double bytes = double(inBytes + outBytes);
  char line[512];
  std::snprintf(line, sizeof line,
                "{\"source\":\"tdfast_host\",\"shape\":\"%dx%dx%d->%d\",\"act\":\"sigmoid\",\"dtype\":\"%s\","
                "\"bytes\":%.0f,\"ms\":%.3f,"
                "\"gbps\":%.2f,\"pinned_h2d_ms\":%.3f,\"pinned_h2d_gbps\":%.2f,\"pageable_h2d_gbps\":%.2f,"
                "\"pct_pinned\":%.1f}",
                B, T, F, U, dtypeLabel(halfX, false), bytes, denseMs, bytes / (denseMs * 1e-3) / 1e9, pinnedMs,
                bytes / (pinnedMs * 1e-3) / 1e9, inBytes / (pageableMs * 1e-3) / 1e9, 100.0 * pinnedMs / denseMs);
  emitJson(line);
  CUDA_OK(cudaFreeHost(pinned));
  CUDA_OK(cudaFree(dev));
  tdcuda::releaseWeights(w);
}

std::string benchLabel(const BenchShape& s) {
  return std::to_string(s.B) + "x" + std::to_string(s.T) + "x" + std::to_string(s.F) + "->" + std::to_string(s.U) +
         " " + kActivationNames[s.act] + " " + dtypeName(s);
}

int runBench(const std::string& only) {
  cudaStream_t stream;
  CUDA_OK(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));
  const BenchShape shapes[] = {{1, 1000, 64, 1, 1},
                               {32, 1000, 64, 1, 1},
                               {64, 4096, 128, 1, 1},
                               {1024, 4096, 64, 1, 1},
                               {256, 16384, 64, 1, 1},
                               {32, 1000, 64, 16, 4},
                               {8, 512, 256, 64, kSoftmax},
                               {64, 4096, 128, 16, kSoftmax},
                               {64, 4096, 128, 64, kSoftmax},
                               // float16 x (and y): the same shapes, half the input bytes
                               {32, 1000, 64, 1, 1, true},
                               {64, 4096, 128, 1, 1, true},
                               {1024, 4096, 64, 1, 1, true},
                               {32, 1000, 64, 16, 4, true},
                               {64, 4096, 128, 16, kSoftmax, true, true},
                               {64, 4096, 128, 64, kSoftmax, true, true},
                               {64, 4096, 128, 64, kSoftmax, true, false},
                               {64, 4096, 128, 64, kSoftmax, false, true}};
  for (const BenchShape& s : shapes)
    if (benchLabel(s).find(only) != std::string::npos) benchShape(s, stream);
  if (only.empty() || std::string("host").find(only) != std::string::npos) {
    benchHost(false);
    benchHost(true);
  }
  CUDA_OK(cudaStreamDestroy(stream));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  if (runProbe() != 0) return 2;
  if (mode == "bench") {
    std::string only;
    for (int i = 2; i + 1 < argc; i += 2) {
      if (std::string(argv[i]) == "--json") jsonFile = std::fopen(argv[i + 1], "w");
      if (std::string(argv[i]) == "--only") only = argv[i + 1];
    }
    const int rc = runBench(only);
    if (jsonFile) std::fclose(jsonFile);
    return rc;
  }
  std::fprintf(stderr, "usage: timing bench [--json FILE] [--only TEXT]\n");
  return 2;
}
