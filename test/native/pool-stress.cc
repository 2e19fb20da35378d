// Thread-pool stress for ThreadSanitizer (run by scripts/sanitize.sh): several callers at once, so that jobs go
// through both the posted slot and the queue, with pauses long enough for the workers to fall asleep. Every
// index of every job must be visited exactly once. Exits non-zero on a miscount; TSan reports races itself.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <functional>
#include <thread>
#include <vector>

#include "../../native/cpu/thread_pool.h"

int main() {
  std::atomic<long> errors{0};
  auto caller = [&](int id) {
    std::vector<int> visits(1000);
    for (int iteration = 0; iteration < 3000; ++iteration) {
      const int64_t count = 1 + (iteration * 37 + id * 11) % 997;
      for (int& v : visits) v = 0;
      const std::function<void(int64_t, int64_t)> body = [&](int64_t begin, int64_t end) {
        for (int64_t i = begin; i < end; ++i) visits[i] += 1;
      };
      if (iteration % 200 == 0) std::this_thread::sleep_for(std::chrono::microseconds(500 + 100 * id));
      tdfast::parallelFor(count, 1 + iteration % 50, body);
      for (int64_t i = 0; i < 1000; ++i)
        if (visits[i] != (i < count ? 1 : 0)) errors++;
    }
  };
  std::vector<std::thread> callers;
  for (int id = 1; id < 4; ++id) callers.emplace_back(caller, id);
  caller(0);
  for (auto& t : callers) t.join();
  std::printf("pool stress: %d threads, 4 callers, %ld miscounted visits\n", tdfast::threadCount(), errors.load());
  return errors == 0 ? 0 : 1;
}
