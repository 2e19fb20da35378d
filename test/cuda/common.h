// Shared by the standalone CUDA harnesses (test/cuda/check.cu for correctness, bench/gpu/timing.cu
// for timings), in the manner of llm.c's dev/cuda/common.h: error checks, the device probe line,
// the float64 CPU reference, comparison against it with poisoned outputs, random problems, and data
// generated identically on the host and on the device.
// Each harness is one translation unit, so everything here is local to the program that includes it.
#pragma once

#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "../../cuda/tdcuda.h"
#include "../../native/shared/activation.h"

#define CUDA_OK(call)                                                                                    \
  do {                                                                                                   \
    cudaError_t err_ = (call);                                                                           \
    if (err_ != cudaSuccess) {                                                                           \
      std::fprintf(stderr, "FATAL %s:%d %s: %s\n", __FILE__, __LINE__, #call, cudaGetErrorString(err_)); \
      std::exit(1);                                                                                      \
    }                                                                                                    \
  } while (0)

namespace {

const char* const kActivationNames[tdfast::kActivationCount] = {
    "linear", "sigmoid", "hard_sigmoid", "tanh",     "relu",        "relu6", "leaky_relu", "elu",        "selu",
    "gelu",   "silu",    "softplus",     "softsign", "exponential", "mish",  "softmax",    "log_softmax"};
constexpr int kSoftmax = static_cast<int>(tdfast::Activation::Softmax);
constexpr int kLogSoftmax = static_cast<int>(tdfast::Activation::LogSoftmax);
constexpr uint32_t kPoisonBits = 0xFFBADBADu;  // a NaN the GPU never produces (its NaN is 0x7FFFFFFF)
constexpr int kGuardFloats = 64;               // poisoned floats after y that must stay untouched

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
    case A::Linear:
      return x;
    case A::Sigmoid:
      return 1 / (1 + std::exp(-x));
    case A::HardSigmoid: {
      const double t = (x + 3) / 6;
      return t < 0 ? 0 : (t > 1 ? 1 : t);
    }
    case A::Tanh:
      return std::tanh(x);
    case A::Relu:
      return x < 0 ? 0 : x;
    case A::Relu6:
      return x < 0 ? 0 : (x > 6 ? 6 : x);
    case A::LeakyRelu:
      return x < 0 ? double(tdfast::kLeakyReluSlope) * x : x;
    case A::Elu:
      return x < 0 ? std::expm1(x) : x;
    case A::Selu:
      return double(tdfast::kSeluScale) * (x < 0 ? double(tdfast::kSeluAlpha) * std::expm1(x) : x);
    case A::Gelu:
      return 0.5 * x * (1 + std::erf(x / std::sqrt(2.0)));
    case A::Silu:
      return x / (1 + std::exp(-x));
    case A::Softplus:
      return softplusRef(x);
    case A::Softsign:
      return x / (1 + std::fabs(x));
    case A::Exponential:
      return std::exp(x);
    case A::Mish:
      return x * std::tanh(softplusRef(x));
    default:
      return x;
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
  double worstExcess = 0;  // largest |got-ref| / (1e-5 + relTolerance|ref|)
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

// relTolerance: 1e-4 for float32 results; float16 results add their rounding (2^-10, one ulp).
void compareValue(float got, double ref, int64_t index, Comparison& c, double relTolerance = 1e-4) {
  if (bitsOf(got) == kPoisonBits) {
    ++c.unwritten;
  } else if (std::isnan(ref) || std::isnan(got)) {
    if (std::isnan(ref) == std::isnan(got)) return;
    ++c.nanMismatch;
  } else if (std::isinf(ref) || std::isinf(got)) {
    if (double(got) == ref) return;
    ++c.outOfTolerance;
  } else {
    const double excess = std::fabs(double(got) - ref) / (1e-5 + relTolerance * std::fabs(ref));
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

// p.ref from p.x, p.kernel and p.bias (after a caller changed them).
void computeReference(Problem& p) {
  p.ref.resize(size_t(p.M) * p.U);
  for (int64_t m = 0; m < p.M; ++m)
    referenceRow(&p.x[size_t(m) * p.F], p.kernel.data(), p.bias.data(), p.F, p.U, p.act, &p.ref[size_t(m) * p.U]);
}

// Fresh random inputs without the reference: x in [-1, 1), z = x.kernel + bias with a standard deviation of
// about 1.5, and a NaN in a few rows (whose outputs must be NaN, and only theirs).
Problem makeInputs(int64_t M, int F, int U, int act, std::mt19937_64& rng) {
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
  return p;
}

// makeInputs with its reference.
Problem makeProblem(int64_t M, int F, int U, int act, std::mt19937_64& rng) {
  Problem p = makeInputs(M, F, U, act, rng);
  computeReference(p);
  return p;
}

// "f32->f32", "f16->f32", ...: the element types of x and y in names and JSON.
const char* dtypeLabel(bool halfX, bool halfY) {
  return halfX ? (halfY ? "f16->f16" : "f16->f32") : (halfY ? "f32->f16" : "f32->f32");
}
tdcuda::Element elementOf(bool half) { return half ? tdcuda::Element::Float16 : tdcuda::Element::Float32; }

// ---- data generated on the device ---------------------------------------------------------------

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

void fillDevice(float* x, uint64_t n, uint64_t seed) {
  hashFill<<<4096, 256>>>(x, n, seed);
  CUDA_OK(cudaGetLastError());
}

// float16 x: the same values rounded to float16.
__global__ void hashFillHalf(__half* x, uint64_t n, uint64_t seed) {
  for (uint64_t i = blockIdx.x * uint64_t(blockDim.x) + threadIdx.x; i < n; i += uint64_t(gridDim.x) * blockDim.x)
    x[i] = __float2half_rn(hashUniform(seed, i));
}

void fillDeviceHalf(__half* x, uint64_t n, uint64_t seed) {
  hashFillHalf<<<4096, 256>>>(x, n, seed);
  CUDA_OK(cudaGetLastError());
}

// ---- device -------------------------------------------------------------------------------------

// Prints what probe() found; 0 when the device is usable, else 2 (the harnesses' exit status).
int runProbe() {
  const tdcuda::DeviceInfo info = tdcuda::probe();
  std::printf(
      "probe: available=%d reason=\"%s\" name=\"%s\" cc=%d.%d mem=%.1f GB SMs=%d driver=%d runtime=%d "
      "devices=%d\n",
      info.available, info.reason.c_str(), info.name.c_str(), info.major, info.minor, info.totalMem / 1e9,
      info.multiProcessorCount, info.driverVersion, info.runtimeVersion, info.deviceCount);
  return info.available ? 0 : 2;
}

}  // namespace
