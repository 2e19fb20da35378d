// Standalone GPU harness for cuda/ (no Node.js): correctness against a float64 CPU reference,
// 64-bit indexing with a >2^32-element input, and timings with CUDA events.
//
//   check probe                   device info; exit 2 when no usable device (runs without a driver)
//   check correct                 all activations x shapes, device and host paths, NaN rows, poison,
//                                 misaligned pointers, OOM, memInfo, threads
//   check large                   M*F > 2^32 input generated on the GPU, sampled rows checked
//   check bench [--json FILE] [--only TEXT]
//                                 timings (median of reps) and copy bandwidth, JSON lines to FILE;
//                                 --only: just the shapes whose label ("BxTxF->U act") contains TEXT
//
// Exit status: 0 all passed, 1 a check failed, 2 no usable device.
#include <cuda_runtime.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "../../cuda/tdcuda.h"
#include "../../native/activation.h"

namespace {

const char* const kActivationNames[tdfast::kActivationCount] = {
    "linear", "sigmoid", "hard_sigmoid", "tanh",     "relu",        "relu6",       "leaky_relu", "elu",        "selu",
    "gelu",   "silu",    "softplus",     "softsign", "exponential", "mish",        "softmax",    "log_softmax"};
constexpr int kSoftmax = static_cast<int>(tdfast::Activation::Softmax);
constexpr int kLogSoftmax = static_cast<int>(tdfast::Activation::LogSoftmax);
constexpr uint32_t kPoisonBits = 0xFFBADBADu;  // a NaN the GPU never produces (its NaN is 0x7FFFFFFF)
constexpr int kGuardFloats = 64;               // poisoned floats after y that must stay untouched

int failures = 0;

#define CUDA_OK(call)                                                                                     \
  do {                                                                                                    \
    cudaError_t err_ = (call);                                                                            \
    if (err_ != cudaSuccess) {                                                                            \
      std::fprintf(stderr, "FATAL %s:%d %s: %s\n", __FILE__, __LINE__, #call, cudaGetErrorString(err_)); \
      std::exit(1);                                                                                       \
    }                                                                                                     \
  } while (0)

void mustOk(const tdcuda::Status& status, const char* what) {
  if (!status.ok()) {
    std::fprintf(stderr, "FATAL %s: %s\n", what, status.message.c_str());
    std::exit(1);
  }
}

// ---- float64 reference -------------------------------------------------------------------------

double softplusRef(double x) { return (x > 0 ? x : 0) + std::log1p(std::exp(-std::fabs(x))); }

double activationRef(int act, double x) {
  using A = tdfast::Activation;
  switch (static_cast<A>(act)) {
    case A::Linear: return x;
    case A::Sigmoid: return 1 / (1 + std::exp(-x));
    case A::HardSigmoid: {
      const double t = (x + 3) / 6;
      return t < 0 ? 0 : (t > 1 ? 1 : t);
    }
    case A::Tanh: return std::tanh(x);
    case A::Relu: return x < 0 ? 0 : x;
    case A::Relu6: return x < 0 ? 0 : (x > 6 ? 6 : x);
    case A::LeakyRelu: return x < 0 ? double(tdfast::kLeakyReluSlope) * x : x;
    case A::Elu: return x < 0 ? std::expm1(x) : x;
    case A::Selu: return double(tdfast::kSeluScale) * (x < 0 ? double(tdfast::kSeluAlpha) * std::expm1(x) : x);
    case A::Gelu: return 0.5 * x * (1 + std::erf(x / std::sqrt(2.0)));
    case A::Silu: return x / (1 + std::exp(-x));
    case A::Softplus: return softplusRef(x);
    case A::Softsign: return x / (1 + std::fabs(x));
    case A::Exponential: return std::exp(x);
    case A::Mish: return x * std::tanh(softplusRef(x));
    default: return x;
  }
}

// y[row][0..U) in float64 for one row of x (row-major, F features).
void referenceRow(const float* xRow, const float* kernel, const float* bias, int F, int U, int act, double* out) {
  for (int u = 0; u < U; ++u) out[u] = bias[u];
  for (int f = 0; f < F; ++f) {
    const double xv = xRow[f];
    const float* k = kernel + size_t(f) * U;
    for (int u = 0; u < U; ++u) out[u] += xv * double(k[u]);
  }
  if (act == kSoftmax || act == kLogSoftmax) {
    double rowMax = -INFINITY;
    for (int u = 0; u < U; ++u) rowMax = std::isnan(out[u]) || out[u] > rowMax ? out[u] : rowMax;
    double sum = 0;
    for (int u = 0; u < U; ++u) sum += std::exp(out[u] - rowMax);
    for (int u = 0; u < U; ++u)
      out[u] = act == kSoftmax ? std::exp(out[u] - rowMax) / sum : out[u] - rowMax - std::log(sum);
  } else {
    for (int u = 0; u < U; ++u) out[u] = activationRef(act, out[u]);
  }
}

// Compares got (with kGuardFloats poisoned guard floats after it) with the reference.
struct Comparison {
  int64_t unwritten = 0, guardTouched = 0, nanMismatch = 0, outOfTolerance = 0;
  double worstExcess = 0;  // largest |got-ref| / (1e-5 + 1e-4|ref|)
  std::string firstBad;
  bool ok() const { return unwritten + guardTouched + nanMismatch + outOfTolerance == 0; }
  std::string summary() const {
    char buf[256];
    std::snprintf(buf, sizeof buf, "unwritten=%lld guard=%lld nan=%lld tol=%lld worst=%.3g", (long long)unwritten,
                  (long long)guardTouched, (long long)nanMismatch, (long long)outOfTolerance, worstExcess);
    return buf;
  }
};

uint32_t bitsOf(float v) {
  uint32_t b;
  std::memcpy(&b, &v, 4);
  return b;
}
float poisonValue() {
  float v;
  std::memcpy(&v, &kPoisonBits, 4);
  return v;
}

void compareValue(float got, double ref, int64_t index, Comparison& c) {
  if (bitsOf(got) == kPoisonBits) {
    ++c.unwritten;
  } else if (std::isnan(ref) || std::isnan(got)) {
    if (std::isnan(ref) != std::isnan(got)) ++c.nanMismatch;
  } else if (std::isinf(ref) || std::isinf(got)) {
    if (double(got) != ref) ++c.outOfTolerance;
  } else {
    const double excess = std::fabs(double(got) - ref) / (1e-5 + 1e-4 * std::fabs(ref));
    c.worstExcess = std::max(c.worstExcess, excess);
    if (excess <= 1.0) return;
    ++c.outOfTolerance;
  }
  if (c.firstBad.empty()) {
    char buf[128];
    std::snprintf(buf, sizeof buf, "first bad at %lld: got %.9g ref %.9g", (long long)index, got, ref);
    c.firstBad = buf;
  }
}

Comparison compareAll(const std::vector<float>& got, const std::vector<double>& ref) {
  Comparison c;
  for (size_t i = 0; i < ref.size(); ++i) compareValue(got[i], ref[i], int64_t(i), c);
  for (size_t i = ref.size(); i < got.size(); ++i)
    if (bitsOf(got[i]) != kPoisonBits) ++c.guardTouched;
  return c;
}

// ---- problems ----------------------------------------------------------------------------------

struct Problem {
  int64_t M;
  int F, U, act;
  std::vector<float> x, kernel, bias;
  std::vector<int64_t> nanRows;
  std::vector<double> ref;
};

// Fresh random data: x in [-1, 1), z = x.kernel + bias with a standard deviation of about 1.5, and a
// NaN in a few rows (whose outputs must be NaN, and only theirs).
Problem makeProblem(int64_t M, int F, int U, int act, std::mt19937_64& rng) {
  Problem p{M, F, U, act, {}, {}, {}, {}, {}};
  std::uniform_real_distribution<float> unit(-1.0f, 1.0f);
  const float kernelScale = 4.5f / std::sqrt(float(F));
  p.x.resize(size_t(M) * F);
  for (float& v : p.x) v = unit(rng);
  p.kernel.resize(size_t(F) * U);
  for (float& v : p.kernel) v = unit(rng) * kernelScale;
  p.bias.resize(U);
  for (float& v : p.bias) v = 0.5f * unit(rng);
  if (M >= 4) {
    for (int i = 0; i < 3; ++i) {
      const int64_t row = int64_t(rng() % uint64_t(M));
      p.x[size_t(row) * F + rng() % F] = std::nanf("");
      p.nanRows.push_back(row);
    }
  }
  p.ref.resize(size_t(M) * U);
  for (int64_t m = 0; m < M; ++m)
    referenceRow(&p.x[size_t(m) * F], p.kernel.data(), p.bias.data(), F, U, act, &p.ref[size_t(m) * U]);
  return p;
}

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
    std::printf("FAIL %-8s (M=%lld F=%d U=%d %s) %s %s %s\n", path, (long long)p.M, p.F, p.U,
                kActivationNames[p.act], status.ok() ? "" : status.message.c_str(), c.summary().c_str(),
                c.firstBad.c_str());
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
  Problem p = makeProblem(999, 12, 5, 0, rng);
  std::fill(p.bias.begin(), p.bias.end(), 0.0f);
  for (int64_t m = 0; m < p.M; ++m)
    referenceRow(&p.x[size_t(m) * p.F], p.kernel.data(), p.bias.data(), p.F, p.U, p.act, &p.ref[size_t(m) * p.U]);
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

int runCorrect() {
  std::mt19937_64 rng(std::random_device{}());
  std::vector<int> all;
  for (int a = 0; a < tdfast::kActivationCount; ++a) all.push_back(a);
  struct Shape {
    int64_t M;
    int F, U;
  };
  const Shape shapes[] = {{1000, 64, 1}, {37, 1, 1},     {1001, 3, 1},   {513, 4096, 1},  {257, 5, 2},
                          {1000, 64, 7}, {1000, 64, 16}, {333, 130, 130}, {512, 256, 64}, {64, 4096, 130},
                          {0, 64, 1},    {1000, 12, 4},  {300, 2000, 8}, {77, 33, 300}};
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
  std::printf("correctness: %s (%d failure%s)\n", failures ? "FAIL" : "PASS", failures, failures == 1 ? "" : "s");
  return failures ? 1 : 0;
}

// ---- large M (64-bit indexing) -----------------------------------------------------------------

// The same value on host and device: splitmix64 of the element index, 24 bits -> [-1, 1).
__host__ __device__ inline float hashUniform(uint64_t seed, uint64_t i) {
  uint64_t z = seed + (i + 1) * 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  z ^= z >> 31;
  return float(z >> 40) * (2.0f / 16777216.0f) - 1.0f;
}

__global__ void hashFill(float* x, uint64_t n, uint64_t seed) {
  for (uint64_t i = blockIdx.x * uint64_t(blockDim.x) + threadIdx.x; i < n; i += uint64_t(gridDim.x) * blockDim.x)
    x[i] = hashUniform(seed, i);
}

__global__ void countBits(const float* y, uint64_t n, uint32_t bits, unsigned long long* count) {
  unsigned long long local = 0;
  for (uint64_t i = blockIdx.x * uint64_t(blockDim.x) + threadIdx.x; i < n; i += uint64_t(gridDim.x) * blockDim.x)
    local += __float_as_uint(y[i]) == bits;
  if (local) atomicAdd(count, local);
}

void fillDevice(float* x, uint64_t n, uint64_t seed) {
  hashFill<<<4096, 256>>>(x, n, seed);
  CUDA_OK(cudaGetLastError());
}

int runLarge() {
  const int64_t M = 70000000;  // x: 4.48e9 elements (> 2^32), 17.9 GB
  const int F = 64;
  const uint64_t xCount = uint64_t(M) * F;
  const uint64_t seed = std::random_device{}();
  std::printf("large: M=%lld F=%d, %.2f GB input, %.3g elements (2^32 = %.3g)\n", (long long)M, F, xCount * 4 / 1e9,
              double(xCount), 4294967296.0);
  float* x = nullptr;
  float* y = nullptr;
  mustOk(tdcuda::deviceAlloc(reinterpret_cast<void**>(&x), xCount * 4), "deviceAlloc large x");
  fillDevice(x, xCount, seed);
  CUDA_OK(cudaDeviceSynchronize());

  std::mt19937_64 rng(seed);
  std::vector<int64_t> rows = {0, 1, M - 2, M - 1};
  for (int64_t boundary : {int64_t(1) << 31, int64_t(1) << 32})
    for (int64_t d = -2; d <= 2; ++d) rows.push_back(boundary / F + d);
  for (int i = 0; i < 2000; ++i) rows.push_back(int64_t(rng() % uint64_t(M)));

  struct Case {
    int U, act;
  };
  for (Case c : {Case{1, 1}, Case{32, kSoftmax}}) {
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
    tdcuda::Status status = tdcuda::denseDevice(w, x, y, M, c.act);
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
      for (int f = 0; f < F; ++f) xRow[f] = hashUniform(seed, uint64_t(row) * F + f);
      referenceRow(xRow.data(), kernel.data(), bias.data(), F, c.U, c.act, ref.data());
      mustOk(tdcuda::copyToHost(got.data(), y + row * c.U, size_t(c.U) * 4), "copyToHost row");
      for (int u = 0; u < c.U; ++u) compareValue(got[u], ref[u], row * c.U + u, cmp);
    }
    const bool ok = status.ok() && unwritten == 0 && cmp.ok();
    if (!ok) ++failures;
    std::printf("%s large U=%d %s: %.1f ms, %zu sampled rows %s, unwritten outputs %llu %s %s\n", ok ? "PASS" : "FAIL",
                c.U, kActivationNames[c.act], ms, rows.size(), cmp.summary().c_str(), unwritten,
                status.ok() ? "" : status.message.c_str(), cmp.firstBad.c_str());
    tdcuda::releaseWeights(w);
    mustOk(tdcuda::deviceFree(y), "deviceFree large y");
  }
  mustOk(tdcuda::deviceFree(x), "deviceFree large x");
  return failures ? 1 : 0;
}

// ---- timing ------------------------------------------------------------------------------------

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
};

FILE* jsonFile = nullptr;

void emitJson(const std::string& line) {
  std::printf("%s\n", line.c_str());
  if (jsonFile) std::fprintf(jsonFile, "%s\n", line.c_str());
}

void benchShape(const BenchShape& s, cudaStream_t stream) {
  const int64_t M = int64_t(s.B) * s.T;
  const size_t inBytes = size_t(M) * s.F * 4, outBytes = size_t(M) * s.U * 4;
  // Rotate over enough buffers that the inputs do not stay in L2 (50 MB on an H100).
  const size_t rotation = inBytes >= (size_t(200) << 20) ? 1 : std::max<size_t>(2, (size_t(256) << 20) / inBytes);
  float *x = nullptr, *y = nullptr;
  CUDA_OK(cudaMalloc(&x, inBytes * rotation));
  CUDA_OK(cudaMalloc(&y, outBytes * rotation));
  fillDevice(x, uint64_t(M) * s.F * rotation, 12345);
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
    mustOk(tdcuda::denseDeviceAsync(w, x + r * M * s.F, y + r * M * s.U, M, s.act, stream), "denseDeviceAsync");
  });
  // A copy moving the same bytes: (in + out) / 2 read and as much written.
  const size_t copyBytes = (inBytes + outBytes) / 2;
  char *copySrc = nullptr, *copyDst = nullptr;
  CUDA_OK(cudaMalloc(&copySrc, copyBytes * rotation));
  CUDA_OK(cudaMalloc(&copyDst, copyBytes * rotation));
  CUDA_OK(cudaMemset(copySrc, 1, copyBytes * rotation));
  const Timing copy = timeReps(stream, [&](int rep) {
    const size_t r = size_t(rep) % rotation;
    CUDA_OK(cudaMemcpyAsync(copyDst + r * copyBytes, copySrc + r * copyBytes, copyBytes, cudaMemcpyDeviceToDevice,
                            stream));
  });
  CUDA_OK(cudaFree(copySrc));
  CUDA_OK(cudaFree(copyDst));

  const double bytes = double(inBytes + outBytes);
  const double gbps = bytes / (td.median * 1e-3) / 1e9;
  const double copyGbps = 2.0 * copyBytes / (copy.median * 1e-3) / 1e9;
  const double flops = 2.0 * double(M) * s.F * s.U;
  char line[768];
  std::snprintf(line, sizeof line,
                "{\"source\":\"tdfast\",\"shape\":\"%dx%dx%d->%d\",\"act\":\"%s\",\"M\":%lld,\"F\":%d,\"U\":%d,"
                "\"bytes\":%.0f,\"ms\":%.5f,\"ms_p10\":%.5f,\"ms_p90\":%.5f,\"gbps\":%.1f,\"tflops\":%.2f,"
                "\"copy_ms\":%.5f,\"copy_gbps\":%.1f,\"pct_copy\":%.1f,\"rotation\":%zu}",
                s.B, s.T, s.F, s.U, kActivationNames[s.act], (long long)M, s.F, s.U, bytes, td.median, td.p10, td.p90,
                gbps, flops / (td.median * 1e-3) / 1e12, copy.median, copyGbps, 100.0 * gbps / copyGbps, rotation);
  emitJson(line);
  tdcuda::releaseWeights(w);
  CUDA_OK(cudaFree(x));
  CUDA_OK(cudaFree(y));
}

// denseHost on pageable memory (1 GB of x) against a pinned cudaMemcpy of the same bytes.
void benchHost() {
  const int B = 1024, T = 4096, F = 64, U = 1, act = 1;
  const int64_t M = int64_t(B) * T;
  const size_t inBytes = size_t(M) * F * 4, outBytes = size_t(M) * U * 4;
  std::vector<float> x(size_t(M) * F), y(size_t(M) * U);
  for (size_t i = 0; i < x.size(); ++i) x[i] = hashUniform(99, i);
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
  const double denseMs = hostMs([&] { mustOk(tdcuda::denseHost(w, x.data(), y.data(), M, act), "denseHost"); });

  float* pinned = nullptr;
  float* dev = nullptr;
  CUDA_OK(cudaHostAlloc(&pinned, inBytes + outBytes, cudaHostAllocDefault));
  CUDA_OK(cudaMalloc(&dev, inBytes + outBytes));
  std::memcpy(pinned, x.data(), inBytes);
  const double pinnedMs = hostMs([&] { CUDA_OK(cudaMemcpy(dev, pinned, inBytes + outBytes, cudaMemcpyHostToDevice)); });
  const double pageableMs = hostMs([&] { CUDA_OK(cudaMemcpy(dev, x.data(), inBytes, cudaMemcpyHostToDevice)); });
  const double bytes = double(inBytes + outBytes);
  char line[512];
  std::snprintf(line, sizeof line,
                "{\"source\":\"tdfast_host\",\"shape\":\"%dx%dx%d->%d\",\"act\":\"sigmoid\",\"bytes\":%.0f,\"ms\":%.3f,"
                "\"gbps\":%.2f,\"pinned_h2d_ms\":%.3f,\"pinned_h2d_gbps\":%.2f,\"pageable_h2d_gbps\":%.2f,"
                "\"pct_pinned\":%.1f}",
                B, T, F, U, bytes, denseMs, bytes / (denseMs * 1e-3) / 1e9, pinnedMs, bytes / (pinnedMs * 1e-3) / 1e9,
                inBytes / (pageableMs * 1e-3) / 1e9, 100.0 * pinnedMs / denseMs);
  emitJson(line);
  CUDA_OK(cudaFreeHost(pinned));
  CUDA_OK(cudaFree(dev));
  tdcuda::releaseWeights(w);
}

std::string benchLabel(const BenchShape& s) {
  return std::to_string(s.B) + "x" + std::to_string(s.T) + "x" + std::to_string(s.F) + "->" + std::to_string(s.U) +
         " " + kActivationNames[s.act];
}

int runBench(const std::string& only) {
  cudaStream_t stream;
  CUDA_OK(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));
  const BenchShape shapes[] = {
      {1, 1000, 64, 1, 1},     {32, 1000, 64, 1, 1},   {64, 4096, 128, 1, 1},        {1024, 4096, 64, 1, 1},
      {256, 16384, 64, 1, 1},  {32, 1000, 64, 16, 4},  {8, 512, 256, 64, kSoftmax}, {64, 4096, 128, 16, kSoftmax},
      {64, 4096, 128, 64, kSoftmax}};
  for (const BenchShape& s : shapes)
    if (benchLabel(s).find(only) != std::string::npos) benchShape(s, stream);
  if (only.empty() || std::string("host").find(only) != std::string::npos) benchHost();
  CUDA_OK(cudaStreamDestroy(stream));
  return 0;
}

int runProbe() {
  const tdcuda::DeviceInfo info = tdcuda::probe();
  std::printf("probe: available=%d reason=\"%s\" name=\"%s\" cc=%d.%d mem=%.1f GB SMs=%d driver=%d runtime=%d "
              "devices=%d\n",
              info.available, info.reason.c_str(), info.name.c_str(), info.major, info.minor, info.totalMem / 1e9,
              info.multiProcessorCount, info.driverVersion, info.runtimeVersion, info.deviceCount);
  return info.available ? 0 : 2;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "probe";
  if (runProbe() != 0) return 2;
  if (mode == "probe") return 0;
  if (mode == "correct") return runCorrect();
  if (mode == "large") return runLarge();
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
  std::fprintf(stderr, "usage: check probe|correct|large|bench [--json FILE]\n");
  return 2;
}
