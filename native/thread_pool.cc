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

using Body = std::function<void(int64_t, int64_t)>;

inline void cpuRelax() {
#if defined(__x86_64__) || defined(_M_X64)
  _mm_pause();
#else
  std::this_thread::yield();
#endif
}

// Spins until ready() or until `spin` has passed, one pause per look (a pause is ~140 cycles on recent Intel
// cores) and the clock every 64 looks. Returns ready().
template <class Ready>
bool spinUntil(Ready ready, std::chrono::microseconds spin) {
  const auto until = std::chrono::steady_clock::now() + spin;
  for (uint32_t looks = 1; !ready(); ++looks) {
    cpuRelax();
    if (looks % 64 == 0 && std::chrono::steady_clock::now() > until) return ready();
  }
  return true;
}

// How long a thread spins before it blocks: a worker after a job, waiting for the next; a caller, waiting for
// the last chunks. Back-to-back calls (the common case in inference loops) then hand work over in well under
// a microsecond instead of through a futex wake-up, which costs tens of microseconds on a virtual machine.
constexpr std::chrono::microseconds kSpin{300};

// Completion of a job's chunks: counted, and signalled to a caller that stopped spinning and blocked.
struct Completion {
  alignas(64) std::atomic<int64_t> chunksDone{0};
  std::atomic<bool> blocked{false};
  std::mutex mutex;
  std::condition_variable signal;

  void chunkDone(int64_t chunkCount) {
    if (chunksDone.fetch_add(1, std::memory_order_seq_cst) + 1 != chunkCount) return;
    if (!blocked.load(std::memory_order_seq_cst)) return;  // the caller is still spinning: no system call
    std::lock_guard<std::mutex> lock(mutex);
    signal.notify_all();
  }

  void wait(int64_t chunkCount) {
    const auto done = [&] { return chunksDone.load(std::memory_order_acquire) == chunkCount; };
    if (spinUntil(done, kSpin)) return;
    std::unique_lock<std::mutex> lock(mutex);
    blocked.store(true, std::memory_order_seq_cst);
    signal.wait(lock, done);
    blocked.store(false, std::memory_order_relaxed);
  }
};

// A job: body over [0, count) in chunkCount chunks of chunkSize (the last one shorter).
struct Chunks {
  const Body* body = nullptr;
  int64_t count = 0;
  int64_t chunkSize = 0;
  int64_t chunkCount = 0;

  // Runs one chunk and counts it done.
  void run(int64_t chunk, Completion& completion) const {
    const int64_t begin = chunk * chunkSize;
    (*body)(begin, std::min(count, begin + chunkSize));
    completion.chunkDone(chunkCount);
  }
};

// A job handed out through the queue (when the posted slot below is taken): shared with the workers that take
// it, claimed chunk by chunk.
struct QueuedJob {
  explicit QueuedJob(const Chunks& job) : chunks(job) {}
  const Chunks chunks;
  alignas(64) std::atomic<int64_t> nextChunk{0};
  Completion completion;

  // Claims and runs chunks until none are left.
  void work() {
    for (;;) {
      const int64_t chunk = nextChunk.fetch_add(1, std::memory_order_relaxed);
      if (chunk >= chunks.chunkCount) return;
      chunks.run(chunk, completion);
    }
  }
};

// The pool's one posted job: owned by one caller at a time, never freed. Workers claim chunks with a
// compare-and-swap on `state`, which packs (generation, next chunk, chunk count): a claim succeeds only while
// chunks are left, and the job's fields cannot change while any claimed chunk is unfinished (the owner rewrites
// them only after every chunk is done), so a worker reads them safely between its claim and its chunkDone().
// A hand-over then costs a few cache-line transfers: no lock, no allocation, no reference count.
class PostedJob {
 public:
  static constexpr int64_t kMaxChunks = 0xffff;

  bool tryOwn() { return !owned_.exchange(true, std::memory_order_acquire); }

  // Publishes the job with chunk 0 already claimed by the owner, runs chunks until none are left, waits for
  // the workers' chunks and gives the slot up.
  template <class AfterPublish>
  void run(const Chunks& job, AfterPublish afterPublish) {
    chunks_ = job;
    completion_.chunksDone.store(0, std::memory_order_relaxed);
    const uint64_t generation = (state_.load(std::memory_order_relaxed) >> 32) + 1;
    state_.store(generation << 32 | kNextChunk | static_cast<uint64_t>(job.chunkCount), std::memory_order_seq_cst);
    afterPublish();
    int64_t chunk = 0;
    do chunks_.run(chunk, completion_); while (claim(chunk));
    completion_.wait(job.chunkCount);
    owned_.store(false, std::memory_order_release);
  }

  bool claimable() const {
    const uint64_t state = state_.load(std::memory_order_seq_cst);
    return nextChunk(state) < chunkCount(state);
  }

  // A worker's part: claims and runs chunks while any are left. Returns whether it ran one. Its chunkDone() is
  // the last touch of chunks_: the owner may reuse them after it.
  bool help() {
    int64_t chunk;
    bool ran = false;
    while (claim(chunk)) {
      chunks_.run(chunk, completion_);
      ran = true;
    }
    return ran;
  }

 private:
  static constexpr uint64_t kNextChunk = uint64_t{1} << 16;  // one in the next-chunk field of state_
  static uint64_t nextChunk(uint64_t state) { return (state >> 16) & 0xffff; }
  static uint64_t chunkCount(uint64_t state) { return state & 0xffff; }

  bool claim(int64_t& chunk) {
    uint64_t state = state_.load(std::memory_order_acquire);
    for (;;) {
      if (nextChunk(state) >= chunkCount(state)) return false;
      if (state_.compare_exchange_weak(state, state + kNextChunk, std::memory_order_acq_rel, std::memory_order_acquire)) {
        chunk = static_cast<int64_t>(nextChunk(state));
        return true;
      }
    }
  }

  // Workers spin on this line; the job they read after a claim sits in it too.
  alignas(64) std::atomic<uint64_t> state_{0};
  Chunks chunks_;
  Completion completion_;
  alignas(64) std::atomic<bool> owned_{false};
};

// Runs each job on the calling thread and on the pool's workers. One caller at a time gets the posted slot;
// others (several callers at once: libuv workers, worker_threads) go through a queue under a mutex. Either
// way the caller works on its own job too, so a job finishes even if no worker ever comes.
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

  void run(const Chunks& chunks) {
    if (chunks.chunkCount <= PostedJob::kMaxChunks && posted_.tryOwn()) {
      posted_.run(chunks, [&] { wakeSleepers(); });
      return;
    }
    auto job = std::make_shared<QueuedJob>(chunks);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      queue_.push_back(job);
      queued_.fetch_add(1, std::memory_order_seq_cst);
    }
    wakeSleepers();
    job->work();
    job->completion.wait(chunks.chunkCount);
  }

 private:
  // New work has been published (with seq_cst): wakes workers blocked on wake_, once per sleep. A woken
  // worker can take a few hundred microseconds to run again on a virtual machine; notifying it again on every
  // call meanwhile cost each call a system call. wakeSent_ and sleeping_ are decided under mutex_: a worker
  // counted in sleeping_ is then inside wait(), and it clears wakeSent_ (under mutex_) once it runs again.
  void wakeSleepers() {
    if (sleeping_.load(std::memory_order_seq_cst) == 0 || wakeSent_.load(std::memory_order_relaxed)) return;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (sleeping_.load(std::memory_order_relaxed) == 0 || wakeSent_.load(std::memory_order_relaxed)) return;
      wakeSent_.store(true, std::memory_order_relaxed);
    }
    wake_.notify_all();
  }

  void loop() {
    uint64_t seen = queued_.load(std::memory_order_acquire);
    for (;;) {
      spinUntil([&] {
        return posted_.claimable() || queued_.load(std::memory_order_acquire) != seen || stopping_.load(std::memory_order_relaxed);
      }, kSpin);
      if (posted_.help()) continue;
      std::shared_ptr<QueuedJob> job;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        const auto hasWork = [&] {
          while (!queue_.empty() && queue_.front()->nextChunk.load(std::memory_order_relaxed) >= queue_.front()->chunks.chunkCount)
            queue_.pop_front();  // every chunk of it is taken: its owner waits for the rest
          return stopping_.load(std::memory_order_relaxed) || !queue_.empty() || posted_.claimable();
        };
        // Counted as sleeping before the last look for work, so that a caller publishing meanwhile notifies.
        // Any wake-up, even a spurious one, goes back to spinning: calls are coming in again.
        sleeping_.fetch_add(1, std::memory_order_seq_cst);
        if (!hasWork()) wake_.wait(lock);
        sleeping_.fetch_sub(1, std::memory_order_relaxed);
        wakeSent_.store(false, std::memory_order_relaxed);
        if (stopping_.load(std::memory_order_relaxed)) return;
        if (!queue_.empty()) job = queue_.front();
        seen = queued_.load(std::memory_order_acquire);
      }
      if (job) job->work();
    }
  }

  PostedJob posted_;
  std::vector<std::thread> threads_;
  std::deque<std::shared_ptr<QueuedJob>> queue_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::atomic<bool> stopping_{false};  // set under mutex_ for the waiters; read without it by spinners
  std::atomic<uint64_t> queued_{0};    // jobs ever queued: spinning workers watch it change
  alignas(64) std::atomic<int> sleeping_{0};  // workers blocked on wake_, so run() can skip the notify
  std::atomic<bool> wakeSent_{false};         // a notify is on its way to the sleepers (written under mutex_)
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

void parallelFor(int64_t count, int64_t grain, const Body& body) {
  if (count <= 0) return;
  const int threads = threadCount();
  grain = std::max<int64_t>(1, grain);
  if (threads == 1 || count <= grain) {
    body(0, count);
    return;
  }
  // A few chunks per thread balance uneven progress without much claiming overhead.
  const int64_t chunks = std::min<int64_t>((count + grain - 1) / grain, static_cast<int64_t>(threads) * 4);
  const int64_t chunkSize = (count + chunks - 1) / chunks;
  pool().run(Chunks{&body, count, chunkSize, (count + chunkSize - 1) / chunkSize});
}

}  // namespace tdfast
