// A small process-wide pool of worker threads for splitting one large call over the machine's cores.
// Several callers (the main thread, libuv workers, worker_threads) may run jobs at once: each caller works on
// its own job too, so a job always finishes even when every pool thread is busy elsewhere.
#pragma once

#include <cstdint>
#include <functional>

namespace tdfast {

// Runs body(begin, end) over [0, count) in chunks of at least `grain`, on up to threadCount() threads
// (the caller included), and returns when all chunks are done.
void parallelFor(int64_t count, int64_t grain, const std::function<void(int64_t, int64_t)>& body);

int threadCount();  // worker threads + the caller; TDFAST_THREADS overrides the core count

}  // namespace tdfast
