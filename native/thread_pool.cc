#include "thread_pool.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>
#endif

namespace tdfast {
namespace {

inline void cpuRelax() {
#if defined(__x86_64__) || defined(_M_X64)
  _mm_pause();
#else
  std::this_thread::yield();
#endif
}

struct Job {
  const std::function<void(int64_t, int64_t)>* body;
  int64_t count;
  int64_t chunkSize;
  int64_t chunkCount;
  std::atomic<int64_t> nextChunk{0};
  std::atomic<int64_t> chunksDone{0};
  std::mutex doneMutex;
  std::condition_variable doneSignal;

  // Claims and runs chunks until none are left. Returns once this thread has nothing more to take.
  void work() {
    for (;;) {
      const int64_t chunk = nextChunk.fetch_add(1, std::memory_order_relaxed);
      if (chunk >= chunkCount) return;
      const int64_t begin = chunk * chunkSize;
      (*body)(begin, std::min(count, begin + chunkSize));
      if (chunksDone.fetch_add(1, std::memory_order_acq_rel) + 1 == chunkCount) {
        std::lock_guard<std::mutex> lock(doneMutex);
        doneSignal.notify_all();
      }
    }
  }
};

class Pool {
 public:
  explicit Pool(int workers) {
    for (int i = 0; i < workers; ++i) threads_.emplace_back([this] { loop(); });
  }
  ~Pool() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_.store(true, std::memory_order_relaxed);
    }
    wake_.notify_all();
    for (auto& t : threads_) t.join();
  }
  int workers() const { return static_cast<int>(threads_.size()); }

  void run(const std::shared_ptr<Job>& job) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      queue_.push_back(job);
      queued_.fetch_add(1, std::memory_order_release);
    }
    if (sleeping_.load(std::memory_order_acquire) > 0) wake_.notify_all();
    job->work();
    std::unique_lock<std::mutex> lock(job->doneMutex);
    job->doneSignal.wait(lock, [&] { return job->chunksDone.load(std::memory_order_acquire) == job->chunkCount; });
  }

 private:
  // After a job a worker spins for a short while (300 us) before it sleeps: back-to-back calls (the common case in
  // inference loops) then hand work over in well under a microsecond instead of a futex wake-up, which
  // costs tens of microseconds on a virtual machine.
  void spinForWork(uint64_t seen) const {
    const auto until = std::chrono::steady_clock::now() + kSpin;
    while (queued_.load(std::memory_order_acquire) == seen && !stopping_.load(std::memory_order_relaxed)) {
      for (int i = 0; i < 64; ++i) cpuRelax();
      if (std::chrono::steady_clock::now() > until) return;
    }
  }

  void loop() {
    for (;;) {
      spinForWork(queued_.load(std::memory_order_acquire));
      std::shared_ptr<Job> job;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        sleeping_.fetch_add(1, std::memory_order_acq_rel);
        wake_.wait(lock, [&] {
          while (!queue_.empty() && queue_.front()->nextChunk.load(std::memory_order_relaxed) >= queue_.front()->chunkCount)
            queue_.pop_front();  // every chunk of it is taken: its owner waits for the rest
          return stopping_ || !queue_.empty();
        });
        sleeping_.fetch_sub(1, std::memory_order_acq_rel);
        if (stopping_) return;
        job = queue_.front();
      }
      job->work();
    }
  }

  std::vector<std::thread> threads_;
  std::deque<std::shared_ptr<Job>> queue_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::atomic<bool> stopping_{false};  // set under mutex_ for the waiters; read without it by spinners
  std::atomic<uint64_t> queued_{0};  // jobs ever queued: spinning workers watch it change
  std::atomic<int> sleeping_{0};     // workers blocked on wake_, so run() can skip the notify syscall
  static constexpr std::chrono::microseconds kSpin{300};
};

int configuredThreads() {
  if (const char* env = std::getenv("TDFAST_THREADS")) {
    const int n = std::atoi(env);
    if (n >= 1 && n <= 1024) return n;
  }
  const unsigned hw = std::thread::hardware_concurrency();
  return hw == 0 ? 1 : static_cast<int>(hw);
}

// Created on first use and never destroyed: worker threads must not be joined from static destructors while
// Node is tearing down, and the OS reclaims them at exit.
Pool& pool() {
  static Pool* instance = new Pool(configuredThreads() - 1);
  return *instance;
}

}  // namespace

int threadCount() { return pool().workers() + 1; }

void parallelFor(int64_t count, int64_t grain, const std::function<void(int64_t, int64_t)>& body) {
  if (count <= 0) return;
  const int threads = threadCount();
  grain = std::max<int64_t>(1, grain);
  if (threads == 1 || count <= grain) {
    body(0, count);
    return;
  }
  // A few chunks per thread balance uneven progress without much claiming overhead.
  const int64_t chunks = std::min<int64_t>((count + grain - 1) / grain, static_cast<int64_t>(threads) * 4);
  auto job = std::make_shared<Job>();
  job->body = &body;
  job->count = count;
  job->chunkSize = (count + chunks - 1) / chunks;
  job->chunkCount = (count + job->chunkSize - 1) / job->chunkSize;
  pool().run(job);
}

}  // namespace tdfast
