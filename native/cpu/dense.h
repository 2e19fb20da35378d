// The CPU dense kernel: y[m, u] = act(sum_f x[m, f] * kernel[f, u] + bias[u]) over M rows.
// Plain functions over pointers and sizes: nothing here knows about N-API.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "../shared/activation.h"
#include "cpu_features.h"

namespace tdfast {

struct PackedWeights;

// What x and y hold: float32, or IEEE binary16 bits (uint16_t) widened on load / rounded on store.
enum class ElementType { Float32 = 0, Float16 = 1 };
inline size_t elementBytes(ElementType type) { return type == ElementType::Float16 ? 2 : 4; }

// One instruction-set variant of the row kernel. The addon picks one table at start-up (cpu_features.cc).
struct KernelTable {
  const char* name;     // "avx512", "avx2", "neon", "generic"
  int vectorWidth;      // floats per SIMD register
  int maxPanelVectors;  // widest column panel, in registers, the GEMM-like micro-kernel handles
  // Computes rows [rowBegin, rowEnd) of y, bias and activation included. x and y point at element 0 of
  // xType and yType; float16 y only for units <= kHalfOutputMaxUnits.
  void (*rows)(const PackedWeights& weights, const void* x, ElementType xType, void* y, ElementType yType,
               int64_t rowBegin, int64_t rowEnd);
  // The most units the quad kernel handles (dense_impl.h, quadRows), 0 where the table has none.
  int quadMaxUnits = 0;
};

// float16 results are computed into a float32 buffer of this many floats on the kernel's stack, activated,
// then rounded; rows of more units than kHalfOutputMaxUnits are staged by denseForward in a heap buffer.
constexpr int kHalfOutputBlockFloats = 8192;
constexpr int kHalfOutputMaxUnits = 512;

// Weights rearranged once for the selected kernel table, so that every call streams x only.
struct PackedWeights {
  int features = 0;  // F
  int units = 0;     // U
  Activation activation = Activation::Linear;
  const KernelTable* kernels = nullptr;
  // Small U ("dot" path): the kernel transposed to U rows of F, so each output is a dot product over a row of x.
  std::vector<float> kernelByUnit;
  // Larger U ("panel" path): columns grouped into panels of panelWidth, each panel stored as F rows of panelWidth
  // floats, zero-padded past U, so the micro-kernel loads whole registers without bounds checks.
  std::vector<float> panels;
  int panelWidth = 0;
  int panelCount = 0;
  // U from kDotPathMaxUnits + 1 to kernels->quadMaxUnits with F a multiple of 4 ("quad" path, which then
  // replaces the panels): for each 4 features 4q .. 4q+3, ceil(U / 4) registers of 16 floats, register g
  // holding kernel[4q + e, 4g + c] in lane 4c + e (zero past U).
  std::vector<float> quads;
  // Bias, zero where absent, padded to panelCount * panelWidth (at least U; 16 on the quad path).
  std::vector<float> bias;

  bool usesDotPath() const { return !kernelByUnit.empty(); }
  bool usesQuads() const { return !quads.empty(); }
};

// Registers of 4 units a row of the quad kernel needs (ceil(U / 4)): packWeights' layout and quadRows agree on it.
inline int quadGroups(int units) { return (units + 3) / 4; }

// The dot path handles up to this many units; beyond it the register-blocked panel kernel wins.
constexpr int kDotPathMaxUnits = 4;

PackedWeights packWeights(const float* kernel, const float* biasOrNull, int features, int units, Activation activation,
                          const KernelTable& kernels);

// Whole computation; splits rows over the thread pool when the input is large enough to pay for it. May throw
// std::bad_alloc (float16 results of more than kHalfOutputMaxUnits units are staged in float32 first).
void denseForward(const PackedWeights& weights, const void* x, ElementType xType, void* y, ElementType yType,
                  int64_t rows);
inline void denseForward(const PackedWeights& weights, const float* x, float* y, int64_t rows) {
  denseForward(weights, x, ElementType::Float32, y, ElementType::Float32, rows);
}

// Rough cost in multiply-adds plus floats streamed: used to choose inline vs threaded vs async execution.
inline double denseWork(int64_t rows, int features, int units) {
  return static_cast<double>(rows) * features * (units + 1.0);
}

}  // namespace tdfast
