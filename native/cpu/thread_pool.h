// A small process-wide pool of worker threads for splitting one large call over the machine's cores.
// Several callers (the main thread, libuv workers, worker_threads) may run jobs at once: each caller works on
// its own job too, so a job always finishes even when every pool thread is busy elsewhere.
//
// Lifetime: every Node.js environment that loads the addon holds the pool (holdPool / releasePool); the last
// one to go joins its threads, because Node unloads the addon's code after the last environment using it ends
// and a thread still running that code would then crash the process.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

namespace tdfast {

// Runs body(begin, end) over [0, count) in chunks of at least `grain`, on up to threadCount() threads
// (the caller included), and returns when all chunks are done.
void parallelFor(int64_t count, int64_t grain, const std::function<void(int64_t, int64_t)>& body);

int threadCount();  // worker threads + the caller; TDFAST_THREADS overrides the usable core count

// One more user of the pool (an environment that loaded the addon, with the thread count it validated from
// configuredThreads) / one fewer: the last release joins the threads. The first holder's count sizes the pool,
// so TDFAST_THREADS is read once, at load. A pool used without any holder (a native test program) lives until
// the process ends and is sized by configuredThreads when first used.
void holdPool(int threads);
void releasePool();

// The number of threads the pool should have: TDFAST_THREADS when set (a whole number from 1, capped at
// kMaxThreadsPerCore times the usable cores), else the cores this process may use (its CPU affinity mask and,
// on Linux, its cgroup CPU quota). Returns false with `error` set when TDFAST_THREADS is not a whole number.
constexpr int kMaxThreadsPerCore = 4;
bool configuredThreads(int& threads, std::string& error);
int usableCores();
}  // namespace tdfast
