#include "bandwidth_probe.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <vector>

#include "dense.h"
#include "thread_pool.h"

namespace tdfast {

double measureReadBandwidth(int64_t bytes, int repeats) {
  const int64_t count = std::max<int64_t>(1, bytes / 4);
  std::unique_ptr<float[]> buffer(new float[count]);
  parallelFor(count, 1 << 16, [&](int64_t begin, int64_t end) {  // touch every page on the threads that read it
    for (int64_t i = begin; i < end; ++i) buffer[i] = static_cast<float>(i & 1023);
  });
  const KernelTable& kernels = selectKernels();
  std::atomic<int64_t> sink{0};
  std::vector<double> rates;
  for (int r = 0; r < std::max(1, repeats); ++r) {
    const auto start = std::chrono::steady_clock::now();
    parallelFor(count, 1 << 16, [&](int64_t begin, int64_t end) {
      const float sum = kernels.streamSum(buffer.get() + begin, end - begin);
      sink.fetch_add(static_cast<int64_t>(sum), std::memory_order_relaxed);  // keeps the reads from being optimised away
    });
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    rates.push_back(static_cast<double>(count) * 4 / seconds);
  }
  std::sort(rates.begin(), rates.end());
  return rates[rates.size() / 2];
}

}  // namespace tdfast
