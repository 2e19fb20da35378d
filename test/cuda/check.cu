// CUDA correctness suite for cuda/ (no Node.js): every activation and odd shape against a float64
// CPU reference on both the device and the host path, error reporting, and 64-bit indexing with a
// >2^32-element input. Timings are in bench/gpu/timing.cu; both build with bench/gpu/run.sh.
//
//   check probe                   device info; exit 2 when no usable device (runs without a driver)
//   check correct                 all activations x shapes, device and host paths, NaN rows, poison,
//                                 misaligned pointers, OOM, memInfo, threads
//   check large                   M*F > 2^32 input generated on the GPU, sampled rows checked
//
// Exit status: 0 all passed, 1 a check failed, 2 no usable device.
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "common.h"

namespace {

int failures = 0;

// ---- running a problem --------------------------------------------------------------------------

// Runs one problem through denseDevice (offsets in floats shift x and y off 16-byte alignment).
std::vector<float> runDevice(const Problem& p, const tdcuda::Weights* w, int xOffset, int yOffset,
                             tdcuda::Status* status) {
  const size_t xFloats = p.x.size() + xOffset, yFloats = p.ref.size() + kGuardFloats + yOffset;
  void *xDev = nullptr, *yDev = nullptr;
  mustOk(tdcuda::deviceAlloc(&xDev, xFloats * 4), "deviceAlloc x");
  mustOk(tdcuda::deviceAlloc(&yDev, yFloats * 4), "deviceAlloc y");
  std::vector<float> y(yFloats, poisonValue());
  mustOk(tdcuda::copyToDevice(static_cast<float*>(xDev) + xOffset, p.x.data(), p.x.size() * 4), "copyToDevice x");
  mustOk(tdcuda::copyToDevice(yDev, y.data(), yFloats * 4), "copyToDevice y");
  *status =
      tdcuda::denseDevice(w, static_cast<float*>(xDev) + xOffset, static_cast<float*>(yDev) + yOffset, p.M, p.act);
  mustOk(tdcuda::copyToHost(y.data(), yDev, yFloats * 4), "copyToHost y");
  mustOk(tdcuda::deviceFree(xDev), "deviceFree x");
  mustOk(tdcuda::deviceFree(yDev), "deviceFree y");
  return std::vector<float>(y.begin() + yOffset, y.end());
}

std::vector<float> runHost(const Problem& p, const tdcuda::Weights* w, tdcuda::Status* status) {
  std::vector<float> y(p.ref.size() + kGuardFloats, poisonValue());
  *status = tdcuda::denseHost(w, p.x.data(), y.data(), p.M, p.act);
  return y;
}

bool report(const Problem& p, const char* path, const tdcuda::Status& status, const Comparison& c) {
  const bool ok = status.ok() && c.ok();
  if (!ok) {
    ++failures;
    std::printf("FAIL %-8s (M=%lld F=%d U=%d %s) %s %s %s\n", path, (long long)p.M, p.F, p.U, kActivationNames[p.act],
                status.ok() ? "" : status.message.c_str(), c.summary().c_str(), c.firstBad.c_str());
  }
  return ok;
}

// ---- correctness -------------------------------------------------------------------------------

void checkShape(int64_t M, int F, int U, const std::vector<int>& activations, std::mt19937_64& rng) {
  int passed = 0, total = 0;
  double worst = 0;
  for (int act : activations) {
    Problem p = makeProblem(M, F, U, act, rng);
    tdcuda::Weights* w = nullptr;
    mustOk(tdcuda::uploadWeights(p.kernel.data(), p.bias.data(), F, U, &w), "uploadWeights");
    tdcuda::Status status;
    Comparison dev = compareAll(runDevice(p, w, 0, 0, &status), p.ref);
    passed += report(p, "device", status, dev);
    Comparison host = compareAll(runHost(p, w, &status), p.ref);
    passed += report(p, "host", status, host);
    total += 2;
    worst = std::max({worst, dev.worstExcess, host.worstExcess});
    tdcuda::releaseWeights(w);
  }
  std::printf("%s (M=%lld F=%d U=%d) %d/%d runs, worst error %.3f of tolerance\n", passed == total ? "PASS" : "FAIL",
              (long long)M, F, U, passed, total, worst);
}

void checkMisaligned(std::mt19937_64& rng) {
  int passed = 0, total = 0;
  for (int U : {1, 3, 16}) {
    for (int act : {1, kSoftmax}) {
      Problem p = makeProblem(1000, 64, U, act, rng);
      tdcuda::Weights* w = nullptr;
      mustOk(tdcuda::uploadWeights(p.kernel.data(), p.bias.data(), p.F, U, &w), "uploadWeights");
      tdcuda::Status status;
      passed += report(p, "device+1", status, compareAll(runDevice(p, w, 1, 1, &status), p.ref));
      ++total;
      tdcuda::releaseWeights(w);
    }
  }
  std::printf("%s misaligned x/y pointers: %d/%d\n", passed == total ? "PASS" : "FAIL", passed, total);
}

void checkWithoutBias(std::mt19937_64& rng) {
  Problem p = makeInputs(999, 12, 5, 0, rng);
  std::fill(p.bias.begin(), p.bias.end(), 0.0f);
  computeReference(p);
  tdcuda::Weights* w = nullptr;
  mustOk(tdcuda::uploadWeights(p.kernel.data(), nullptr, p.F, p.U, &w), "uploadWeights");
  tdcuda::Status status;
  const bool ok = report(p, "device", status, compareAll(runDevice(p, w, 0, 0, &status), p.ref));
  tdcuda::releaseWeights(w);
  std::printf("%s null bias\n", ok ? "PASS" : "FAIL");
}

void checkErrorsAndMemory(std::mt19937_64& rng) {
  // Out of memory: a Status, and the process keeps working.
  void* huge = nullptr;
  tdcuda::Status oom = tdcuda::deviceAlloc(&huge, size_t(1) << 40);
  const bool oomOk = oom.code == cudaErrorMemoryAllocation && oom.message.rfind("cudaErrorMemoryAllocation", 0) == 0 &&
                     huge == nullptr;
  if (!oomOk) ++failures;
  std::printf("%s 1 TB deviceAlloc -> code %d \"%s\"\n", oomOk ? "PASS" : "FAIL", oom.code, oom.message.c_str());
  checkShape(1000, 64, 1, {1, kSoftmax}, rng);  // still computes correctly

  // Invalid arguments are reported, not crashed on.
  tdcuda::Weights* w = nullptr;
  const bool badArgs = tdcuda::uploadWeights(nullptr, nullptr, 4, 4, &w).code == cudaErrorInvalidValue &&
                       tdcuda::denseDevice(nullptr, nullptr, nullptr, 1, 0).code == cudaErrorInvalidValue;
  if (!badArgs) ++failures;
  std::printf("%s invalid arguments give cudaErrorInvalidValue\n", badArgs ? "PASS" : "FAIL");

  // Free memory returns after alloc + free of 1 GB.
  size_t free0 = 0, free1 = 0, free2 = 0, total = 0;
  mustOk(tdcuda::memInfo(&free0, &total), "memInfo");
  void* block = nullptr;
  mustOk(tdcuda::deviceAlloc(&block, size_t(1) << 30), "deviceAlloc 1 GB");
  mustOk(tdcuda::memInfo(&free1, &total), "memInfo");
  mustOk(tdcuda::deviceFree(block), "deviceFree 1 GB");
  mustOk(tdcuda::memInfo(&free2, &total), "memInfo");
  const double mb = 1024.0 * 1024.0;
  const bool memOk = free0 - free1 >= (size_t(1) << 30) && std::fabs(double(free2) - double(free0)) < 8 * mb;
  if (!memOk) ++failures;
  std::printf("%s memInfo free %.1f MB -> %.1f MB (1 GB held) -> %.1f MB (freed), total %.1f MB\n",
              memOk ? "PASS" : "FAIL", free0 / mb, free1 / mb, free2 / mb, total / mb);
}

// Several threads at once, both paths, different layers: results must match the reference.
void checkThreads(std::mt19937_64& rng) {
  struct Job {
    Problem p;
    bool host;
  };
  std::vector<Job> jobs;
  jobs.push_back({makeProblem(600001, 64, 1, 1, rng), true});
  jobs.push_back({makeProblem(200003, 32, 16, kSoftmax, rng), true});
  jobs.push_back({makeProblem(100000, 64, 1, 4, rng), false});
  jobs.push_back({makeProblem(50001, 96, 64, 3, rng), false});
  std::vector<int> ok(jobs.size(), 0);
  std::vector<std::thread> threads;
  for (size_t i = 0; i < jobs.size(); ++i) {
    threads.emplace_back([&, i] {
      const Problem& p = jobs[i].p;
      tdcuda::Weights* w = nullptr;
      if (!tdcuda::uploadWeights(p.kernel.data(), p.bias.data(), p.F, p.U, &w).ok()) return;
      int good = 0;
      for (int rep = 0; rep < 3; ++rep) {
        tdcuda::Status status;
        std::vector<float> y = jobs[i].host ? runHost(p, w, &status) : runDevice(p, w, 0, 0, &status);
        good += status.ok() && compareAll(y, p.ref).ok();
      }
      ok[i] = good == 3;
      tdcuda::releaseWeights(w);
    });
  }
  for (std::thread& t : threads) t.join();
  const bool all = std::all_of(ok.begin(), ok.end(), [](int v) { return v != 0; });
  if (!all) ++failures;
  std::printf("%s 4 threads (2 denseHost multi-chunk, 2 denseDevice), 3 reps each\n", all ? "PASS" : "FAIL");
}

// ---- float16 x and y -------------------------------------------------------------------------

constexpr uint16_t kPoisonHalf = 0xFEBAu;  // a float16 NaN the GPU never produces (its NaN is 0x7FFF)

uint16_t halfBits(float v) {
  const __half h = __float2half_rn(v);
  uint16_t bits;
  std::memcpy(&bits, &h, 2);
  return bits;
}
float halfValue(uint16_t bits) {
  __half h;
  std::memcpy(&h, &bits, 2);
  return __half2float(h);
}

// A problem whose x holds float16 values (the reference is computed from them): besides makeProblem's
// NaN rows, a row of subnormal halves, a row with +inf and one with -inf. largeOutputs makes every x and
// weight positive (sums that cannot cancel, where float32 rounding would exceed the relative tolerance) and
// scales the weights so that the median z is float16's overflow threshold: about half the results are
// beyond 65504. (A fixed scale would not do: with U = 1 every row shares one column of weights, whose sum
// moves the whole problem above or below the threshold.)
Problem makeHalfProblem(int64_t M, int F, int U, int act, std::mt19937_64& rng, bool largeOutputs = false) {
  Problem p = makeInputs(M, F, U, act, rng);
  if (largeOutputs) {
    for (float& v : p.x) v = std::fabs(v);
    for (float& k : p.kernel) k = std::fabs(k);
    std::vector<double> z;
    for (int64_t m = 0; m < M; ++m)
      for (int u = 0; u < U; ++u) {
        double sum = 0;
        for (int f = 0; f < F; ++f) sum += double(p.x[size_t(m) * F + f]) * p.kernel[size_t(f) * U + u];
        if (std::isfinite(sum)) z.push_back(sum);
      }
    std::nth_element(z.begin(), z.begin() + z.size() / 2, z.end());
    const double scale = 65520.0 / z[z.size() / 2];
    for (float& k : p.kernel) k = float(k * scale);
  }
  if (M >= 8) {
    const int64_t tiny = int64_t(rng() % uint64_t(M));
    for (int f = 0; f < F; ++f) p.x[size_t(tiny) * F + f] *= 5e-5f;  // below 2^-14: subnormal halves
    p.x[size_t(rng() % uint64_t(M)) * F + rng() % F] = INFINITY;
    p.x[size_t(rng() % uint64_t(M)) * F + rng() % F] = -INFINITY;
  }
  for (float& v : p.x) v = halfValue(halfBits(v));
  computeReference(p);
  return p;
}

std::vector<uint16_t> toHalves(const std::vector<float>& values) {
  std::vector<uint16_t> bits(values.size());
  for (size_t i = 0; i < values.size(); ++i) bits[i] = halfBits(values[i]);
  return bits;
}

// float16 results as floats, the poison mapped to the float poison so that compareAll counts it.
std::vector<float> fromHalves(const std::vector<uint16_t>& bits) {
  std::vector<float> values(bits.size());
  for (size_t i = 0; i < bits.size(); ++i) values[i] = bits[i] == kPoisonHalf ? poisonValue() : halfValue(bits[i]);
  return values;
}

// Compares float16 results: within float32's tolerance plus one float16 ulp, and +-inf exactly where the
// reference rounds beyond 65504. Within float32's tolerance of the threshold (65520) both the largest half
// and infinity (of the reference's sign) are right: float32 rounding decides which.
Comparison compareHalf(const std::vector<float>& got, const std::vector<double>& ref) {
  constexpr double kRelative = 1e-4 + 1.0 / 1024;
  Comparison c;
  for (size_t i = 0; i < ref.size(); ++i) {
    const float rounded = halfValue(halfBits(float(ref[i])));
    const bool nearThreshold = std::fabs(std::fabs(ref[i]) - 65520.0) <= 1e-4 * 65520.0;
    if (nearThreshold && (got[i] == std::copysign(INFINITY, ref[i]) || got[i] == std::copysign(65504.0f, ref[i])))
      continue;
    const bool overflow = std::isinf(rounded) && std::isfinite(ref[i]);
    compareValue(got[i], overflow ? double(rounded) : ref[i], int64_t(i), c, kRelative);
  }
  for (size_t i = ref.size(); i < got.size(); ++i)
    if (bitsOf(got[i]) != kPoisonBits) ++c.guardTouched;
  return c;
}

struct Types {
  bool halfX, halfY;
  const char* name() const { return dtypeLabel(halfX, halfY); }
};

// Runs a problem with x and y of the given types; offsets in elements (off 16-byte alignment).
std::vector<float> runTyped(const Problem& p, const tdcuda::Weights* w, Types t, bool device, int xOffset, int yOffset,
                            tdcuda::Status* status) {
  const size_t xSize = t.halfX ? 2 : 4, ySize = t.halfY ? 2 : 4;
  const std::vector<uint16_t> xHalves = t.halfX ? toHalves(p.x) : std::vector<uint16_t>();
  const void* xHost = t.halfX ? static_cast<const void*>(xHalves.data()) : p.x.data();
  const size_t yCount = p.ref.size() + kGuardFloats;
  std::vector<uint16_t> yHalves(t.halfY ? yCount + yOffset : 0, kPoisonHalf);
  std::vector<float> yFloats(t.halfY ? 0 : yCount + yOffset, poisonValue());
  void* yHost = t.halfY ? static_cast<void*>(yHalves.data()) : yFloats.data();
  if (device) {
    unsigned char *xDev = nullptr, *yDev = nullptr;
    mustOk(tdcuda::deviceAlloc(reinterpret_cast<void**>(&xDev), (p.x.size() + xOffset) * xSize), "deviceAlloc x");
    mustOk(tdcuda::deviceAlloc(reinterpret_cast<void**>(&yDev), (yCount + yOffset) * ySize), "deviceAlloc y");
    mustOk(tdcuda::copyToDevice(xDev + xOffset * xSize, xHost, p.x.size() * xSize), "copyToDevice x");
    mustOk(tdcuda::copyToDevice(yDev, yHost, (yCount + yOffset) * ySize), "copyToDevice y");
    *status = tdcuda::denseDevice(w, xDev + xOffset * xSize, elementOf(t.halfX), yDev + yOffset * ySize,
                                  elementOf(t.halfY), p.M, p.act);
    mustOk(tdcuda::copyToHost(yHost, yDev, (yCount + yOffset) * ySize), "copyToHost y");
    mustOk(tdcuda::deviceFree(xDev), "deviceFree x");
    mustOk(tdcuda::deviceFree(yDev), "deviceFree y");
  } else {
    *status = tdcuda::denseHost(w, xHost, elementOf(t.halfX), static_cast<unsigned char*>(yHost) + yOffset * ySize,
                                elementOf(t.halfY), p.M, p.act);
  }
  if (t.halfY) return fromHalves(std::vector<uint16_t>(yHalves.begin() + yOffset, yHalves.end()));
  return std::vector<float>(yFloats.begin() + yOffset, yFloats.end());
}

const Types kHalfTypes[] = {{true, false}, {false, true}, {true, true}};

void checkHalfShape(int64_t M, int F, int U, const std::vector<int>& activations, std::mt19937_64& rng,
                    bool largeOutputs = false, int xOffset = 0, int yOffset = 0) {
  int passed = 0, total = 0;
  int64_t beyond = 0;  // reference values that round to +-inf in float16
  double worst = 0;
  for (int act : activations) {
    Problem p = makeHalfProblem(M, F, U, act, rng, largeOutputs);
    for (double r : p.ref) beyond += std::isfinite(r) && std::fabs(r) >= 65520.0;
    tdcuda::Weights* w = nullptr;
    mustOk(tdcuda::uploadWeights(p.kernel.data(), p.bias.data(), F, U, &w), "uploadWeights");
    for (Types t : kHalfTypes) {
      for (bool device : {true, false}) {
        if (!device && (xOffset || yOffset)) continue;
        tdcuda::Status status;
        const std::vector<float> got = runTyped(p, w, t, device, xOffset, yOffset, &status);
        const Comparison c = t.halfY ? compareHalf(got, p.ref) : compareAll(got, p.ref);
        char path[48];
        std::snprintf(path, sizeof path, "%s %s", device ? "device" : "host", t.name());
        passed += report(p, path, status, c);
        ++total;
        worst = std::max(worst, c.worstExcess);
      }
    }
    tdcuda::releaseWeights(w);
  }
  // The large-output problems must reach float16's overflow, or they would test nothing.
  if (largeOutputs && beyond == 0) {
    ++failures;
    passed = -1;
  }
  std::printf("%s float16 (M=%lld F=%d U=%d%s%s) %d/%d runs, worst error %.3f of tolerance%s\n",
              passed == total ? "PASS" : "FAIL", (long long)M, F, U, largeOutputs ? " large outputs" : "",
              xOffset || yOffset ? " misaligned" : "", passed, total, worst,
              largeOutputs ? (", " + std::to_string(beyond) + " results beyond 65504").c_str() : "");
}

void checkHalf(const std::vector<int>& all, std::mt19937_64& rng) {
  struct Shape {
    int64_t M;
    int F, U;
  };
  // Small units with 16-byte loads (F % 8 == 0), one element at a time (F odd, F = 4, 12), the tiled path
  // with 8-byte and single loads, softmax split over unit tiles (U > 256) through float32 scratch.
  const Shape shapes[] = {{1000, 64, 1}, {37, 1, 1},      {1001, 3, 1},   {513, 4096, 1}, {1000, 8, 1},
                          {257, 5, 2},   {1000, 64, 7},   {1000, 12, 4},  {300, 2000, 8}, {1000, 64, 16},
                          {1000, 24, 3}, {333, 130, 130}, {512, 256, 64}, {77, 33, 300},  {0, 64, 1}};
  for (const Shape& s : shapes) checkHalfShape(s.M, s.F, s.U, all, rng);
  checkHalfShape(5, 7, 4096, {kSoftmax, kLogSoftmax, 1}, rng);
  checkHalfShape(120001, 16, 300, {kSoftmax}, rng);  // two scratch chunks of the split softmax
  checkHalfShape(1000003, 64, 1, {1}, rng);          // several staging chunks and workers
  checkHalfShape(300001, 64, 16, {kSoftmax}, rng);
  // Results beyond 65504 become +-inf in float16 y.
  checkHalfShape(1000, 64, 1, {0}, rng, true);
  checkHalfShape(1000, 64, 16, {0, 4}, rng, true);
  // Misaligned: by one element (scalar loads and stores), by four (8-byte aligned float16 rows).
  for (int U : {1, 3, 16, 300})
    for (int offset : {1, 4}) checkHalfShape(1000, 64, U, {1, kSoftmax}, rng, false, offset, offset);
}

int runCorrect() {
  std::mt19937_64 rng(std::random_device{}());
  std::vector<int> all;
  for (int a = 0; a < tdfast::kActivationCount; ++a) all.push_back(a);
  struct Shape {
    int64_t M;
    int F, U;
  };
  const Shape shapes[] = {{1000, 64, 1}, {37, 1, 1},     {1001, 3, 1},    {513, 4096, 1}, {257, 5, 2},
                          {1000, 64, 7}, {1000, 64, 16}, {333, 130, 130}, {512, 256, 64}, {64, 4096, 130},
                          {0, 64, 1},    {1000, 12, 4},  {300, 2000, 8},  {77, 33, 300}};
  for (const Shape& s : shapes) checkShape(s.M, s.F, s.U, all, rng);
  checkShape(5, 7, 4096, {kSoftmax, kLogSoftmax, 1}, rng);
  // Several staging chunks and workers on the host path, odd sizes.
  checkShape(1000003, 64, 1, {1}, rng);
  checkShape(300001, 64, 16, {kSoftmax}, rng);
  checkShape(200003, 7, 3, {0}, rng);
  checkMisaligned(rng);
  checkWithoutBias(rng);
  checkErrorsAndMemory(rng);
  checkThreads(rng);
  checkHalf(all, rng);
  std::printf("correctness: %s (%d failure%s)\n", failures ? "FAIL" : "PASS", failures, failures == 1 ? "" : "s");
  return failures ? 1 : 0;
}

// ---- large M (64-bit indexing) -----------------------------------------------------------------

__global__ void countBits(const float* y, uint64_t n, uint32_t bits, unsigned long long* count) {
  unsigned long long local = 0;
  for (uint64_t i = blockIdx.x * uint64_t(blockDim.x) + threadIdx.x; i < n; i += uint64_t(gridDim.x) * blockDim.x)
    local += __float_as_uint(y[i]) == bits;
  if (local) atomicAdd(count, local);
}

int runLarge() {
  const int64_t M = 70000000;  // x: 4.48e9 elements (> 2^32), 17.9 GB
  const int F = 64;
  const uint64_t xCount = uint64_t(M) * F;
  const uint64_t seed = std::random_device{}();
  std::printf("large: M=%lld F=%d, %.2f GB input, %.3g elements (2^32 = %.3g)\n", (long long)M, F, xCount * 4 / 1e9,
              double(xCount), 4294967296.0);
  float* x = nullptr;
  __half* xHalf = nullptr;  // the same values rounded to float16 (8.96 GB)
  float* y = nullptr;
  mustOk(tdcuda::deviceAlloc(reinterpret_cast<void**>(&x), xCount * 4), "deviceAlloc large x");
  mustOk(tdcuda::deviceAlloc(reinterpret_cast<void**>(&xHalf), xCount * 2), "deviceAlloc large float16 x");
  fillDevice(x, xCount, seed);
  fillDeviceHalf(xHalf, xCount, seed);
  CUDA_OK(cudaDeviceSynchronize());

  std::mt19937_64 rng(seed);
  std::vector<int64_t> rows = {0, 1, M - 2, M - 1};
  for (int64_t boundary : {int64_t(1) << 31, int64_t(1) << 32})
    for (int64_t d = -2; d <= 2; ++d) rows.push_back(boundary / F + d);
  for (int i = 0; i < 2000; ++i) rows.push_back(int64_t(rng() % uint64_t(M)));

  struct Case {
    int U, act;
    bool halfX;
  };
  for (Case c : {Case{1, 1, false}, Case{32, kSoftmax, false}, Case{1, 1, true}, Case{16, 4, true}}) {
    const uint64_t yCount = uint64_t(M) * c.U;
    mustOk(tdcuda::deviceAlloc(reinterpret_cast<void**>(&y), yCount * 4), "deviceAlloc large y");
    CUDA_OK(cudaMemset(y, 0xFF, yCount * 4));  // poison: 0xFFFFFFFF
    std::vector<float> kernel(size_t(F) * c.U), bias(c.U);
    std::uniform_real_distribution<float> unit(-1.0f, 1.0f);
    for (float& v : kernel) v = unit(rng) * 4.5f / 8.0f;
    for (float& v : bias) v = 0.5f * unit(rng);
    tdcuda::Weights* w = nullptr;
    mustOk(tdcuda::uploadWeights(kernel.data(), bias.data(), F, c.U, &w), "uploadWeights");
    const auto t0 = std::chrono::steady_clock::now();
    tdcuda::Status status =
        c.halfX ? tdcuda::denseDevice(w, xHalf, tdcuda::Element::Float16, y, tdcuda::Element::Float32, M, c.act)
                : tdcuda::denseDevice(w, x, y, M, c.act);
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();

    unsigned long long* count = nullptr;
    CUDA_OK(cudaMalloc(&count, sizeof *count));
    CUDA_OK(cudaMemset(count, 0, sizeof *count));
    countBits<<<4096, 256>>>(y, yCount, 0xFFFFFFFFu, count);
    unsigned long long unwritten = 0;
    CUDA_OK(cudaMemcpy(&unwritten, count, sizeof unwritten, cudaMemcpyDeviceToHost));
    CUDA_OK(cudaFree(count));

    Comparison cmp;
    std::vector<float> xRow(F), got(c.U);
    std::vector<double> ref(c.U);
    for (int64_t row : rows) {
      for (int f = 0; f < F; ++f) {
        xRow[f] = hashUniform(seed, uint64_t(row) * F + f);
        if (c.halfX) xRow[f] = halfValue(halfBits(xRow[f]));
      }
      referenceRow(xRow.data(), kernel.data(), bias.data(), F, c.U, c.act, ref.data());
      mustOk(tdcuda::copyToHost(got.data(), y + row * c.U, size_t(c.U) * 4), "copyToHost row");
      for (int u = 0; u < c.U; ++u) compareValue(got[u], ref[u], row * c.U + u, cmp);
    }
    const bool ok = status.ok() && unwritten == 0 && cmp.ok();
    if (!ok) ++failures;
    std::printf("%s large%s U=%d %s: %.1f ms, %zu sampled rows %s, unwritten outputs %llu %s %s\n",
                ok ? "PASS" : "FAIL", c.halfX ? " float16 x" : "", c.U, kActivationNames[c.act], ms, rows.size(),
                cmp.summary().c_str(), unwritten, status.ok() ? "" : status.message.c_str(), cmp.firstBad.c_str());
    tdcuda::releaseWeights(w);
    mustOk(tdcuda::deviceFree(y), "deviceFree large y");
  }
  mustOk(tdcuda::deviceFree(x), "deviceFree large x");
  mustOk(tdcuda::deviceFree(xHalf), "deviceFree large float16 x");
  return failures ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "probe";
  if (runProbe() != 0) return 2;
  if (mode == "probe") return 0;
  if (mode == "correct") return runCorrect();
  if (mode == "large") return runLarge();
  std::fprintf(stderr, "usage: check probe|correct|large\n");
  return 2;
}
