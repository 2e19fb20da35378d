#include "dense.h"

#include <algorithm>

#include "half.h"
#include "thread_pool.h"

namespace tdfast {
namespace {

// Calls with less work than this (floats streamed plus multiply-adds) run on the calling thread alone; larger
// ones are split into chunks of about this much work (at least two), spread over the thread pool. The seed's
// 1000 x 64 -> 1 (128 Ki) gains from the second core (docs/architecture.md has the measurements).
constexpr double kParallelWork = 64.0 * 1024;

// Rows go to threads in blocks of this many: a multiple of every kernel's rows per step.
constexpr int64_t kRowBlock = 16;

}  // namespace

PackedWeights packWeights(const float* kernel, const float* biasOrNull, int features, int units, Activation activation,
                          const KernelTable& kernels) {
  PackedWeights w;
  w.features = features;
  w.units = units;
  w.activation = activation;
  w.kernels = &kernels;
  const int64_t F = features;
  if (units <= kDotPathMaxUnits) {
    w.kernelByUnit.resize(static_cast<size_t>(F) * units);
    for (int64_t f = 0; f < F; ++f)
      for (int u = 0; u < units; ++u) w.kernelByUnit[u * F + f] = kernel[f * units + u];
    w.bias.assign(units, 0.0f);
  } else if (units <= kernels.quadMaxUnits && features % 4 == 0) {
    constexpr int kQuadLanes = 16;  // 4 units x 4 features
    const int groups = quadGroups(units);
    w.quads.assign(static_cast<size_t>(F / 4) * groups * kQuadLanes, 0.0f);
    for (int64_t q = 0; q < F / 4; ++q)
      for (int g = 0; g < groups; ++g)
        for (int c = 0; c < 4; ++c)
          for (int e = 0; e < 4; ++e) {
            const int u = 4 * g + c;
            if (u < units) w.quads[(q * groups + g) * kQuadLanes + 4 * c + e] = kernel[(4 * q + e) * units + u];
          }
    w.bias.assign(kQuadLanes, 0.0f);
  } else {
    const int vectorsNeeded = (units + kernels.vectorWidth - 1) / kernels.vectorWidth;
    w.panelWidth = std::min(vectorsNeeded, kernels.maxPanelVectors) * kernels.vectorWidth;
    w.panelCount = (units + w.panelWidth - 1) / w.panelWidth;
    w.panels.assign(static_cast<size_t>(w.panelCount) * F * w.panelWidth, 0.0f);
    for (int p = 0; p < w.panelCount; ++p)
      for (int64_t f = 0; f < F; ++f)
        for (int c = 0; c < w.panelWidth; ++c) {
          const int u = p * w.panelWidth + c;
          if (u < units) w.panels[(p * F + f) * w.panelWidth + c] = kernel[f * units + u];
        }
    w.bias.assign(static_cast<size_t>(w.panelCount) * w.panelWidth, 0.0f);
  }
  if (biasOrNull != nullptr) std::copy(biasOrNull, biasOrNull + units, w.bias.begin());
  return w;
}

void denseForward(const PackedWeights& weights, const void* x, ElementType xType, void* y, ElementType yType,
                  int64_t rows) {
  if (rows <= 0) return;
  const int64_t units = weights.units;
  if (yType == ElementType::Float16 && units > kHalfOutputMaxUnits) {
    // A row of these does not fit the kernels' staging buffer: the whole result goes through float32 here
    // (rows * U floats, twice the float16 result), then is rounded in parallel.
    std::vector<float> staged(static_cast<size_t>(rows * units));
    denseForward(weights, x, xType, staged.data(), ElementType::Float32, rows);
    uint16_t* out = static_cast<uint16_t*>(y);
    const int64_t count = rows * units;
    constexpr int64_t kGrain = 1 << 16;
    parallelFor((count + kGrain - 1) / kGrain, 1, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin * kGrain, stop = std::min(count, end * kGrain); i < stop; ++i)
        out[i] = floatToHalf(staged[i]);
    });
    return;
  }
  const double work = denseWork(rows, weights.features, weights.units);
  if (work < kParallelWork || threadCount() == 1) {
    weights.kernels->rows(weights, x, xType, y, yType, 0, rows);
    return;
  }
  const int64_t blocks = (rows + kRowBlock - 1) / kRowBlock;
  const int64_t chunks = std::max<int64_t>(2, static_cast<int64_t>(work / kParallelWork));
  parallelFor(blocks, (blocks + chunks - 1) / chunks, [&](int64_t begin, int64_t end) {
    weights.kernels->rows(weights, x, xType, y, yType, begin * kRowBlock, std::min(rows, end * kRowBlock));
  });
}

}  // namespace tdfast
