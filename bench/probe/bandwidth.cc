// The machine's memory read bandwidth, so the benchmark can state how close a memory-bound call comes to it.
// A standalone program, built by bench/run.mjs (not part of the addon): it reads a buffer `repeats` times
// over tdfast's own thread pool, with the widest loads this CPU has and several sums in flight, and prints the
// median bytes per second as JSON.
//   bandwidth <bytes> <repeats>   ->   {"bytesPerSecond": ..., "threads": ...}
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <vector>

#include "../../native/cpu/thread_pool.h"

namespace {

typedef float Wide __attribute__((vector_size(64)));  // one AVX-512 register, or two AVX2 ones
typedef float WideUnaligned __attribute__((vector_size(64), aligned(4), may_alias));  // loads straight from the buffer
constexpr int64_t kWide = sizeof(Wide) / sizeof(float);

// One clone per instruction set, chosen at load time from the CPU (as the addon chooses its kernels): -march=native
// is no substitute, since a compiler older than the CPU maps it to an older architecture without AVX-512.
__attribute__((target_clones("avx512f", "avx2", "default"))) float streamSum(const float* data, int64_t count) {
  Wide a = {}, b = {}, c = {}, d = {};
  int64_t i = 0;
  for (; i + 4 * kWide <= count; i += 4 * kWide) {
    const auto* v = reinterpret_cast<const WideUnaligned*>(data + i);
    a += v[0];
    b += v[1];
    c += v[2];
    d += v[3];
  }
  const Wide all = (a + b) + (c + d);
  float sum = 0;
  for (int64_t k = 0; k < kWide; ++k) sum += all[k];
  for (; i < count; ++i) sum += data[i];
  return sum;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: bandwidth <bytes> <repeats>\n");
    return 2;
  }
  const int64_t count = std::max<int64_t>(1, std::atoll(argv[1]) / 4);
  const int repeats = std::max(1, std::atoi(argv[2]));
  std::unique_ptr<float[]> buffer(new float[count]);
  tdfast::parallelFor(count, 1 << 16, [&](int64_t begin, int64_t end) {  // touch every page on the threads that read it
    for (int64_t i = begin; i < end; ++i) buffer[i] = static_cast<float>(i & 1023);
  });
  std::atomic<int64_t> sink{0};
  std::vector<double> rates;
  for (int r = 0; r < repeats; ++r) {
    const auto start = std::chrono::steady_clock::now();
    tdfast::parallelFor(count, 1 << 16, [&](int64_t begin, int64_t end) {
      // keeps the reads from being optimised away
      sink.fetch_add(static_cast<int64_t>(streamSum(buffer.get() + begin, end - begin)), std::memory_order_relaxed);
    });
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    rates.push_back(static_cast<double>(count) * 4 / seconds);
  }
  std::sort(rates.begin(), rates.end());
  std::printf("{\"bytesPerSecond\": %.0f, \"threads\": %d, \"sink\": %lld}\n", rates[rates.size() / 2],
              tdfast::threadCount(), static_cast<long long>(sink.load()));
  return 0;
}
