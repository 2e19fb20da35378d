#include "thread_pool.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>
#endif
#if defined(__linux__)
#include <sched.h>
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
    do chunks_.run(chunk, completion_);
    while (claim(chunk));
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
      if (state_.compare_exchange_weak(state, state + kNextChunk, std::memory_order_acq_rel,
                                       std::memory_order_acquire)) {
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
  // A thread that cannot be started (a process or cgroup thread limit) throws std::system_error out of here,
  // after the threads already started have been stopped and joined (a joinable std::thread destroyed would
  // terminate the process); callers turn it into a JavaScript error.
  explicit Pool(int workers) {
    try {
      for (int i = 0; i < workers; ++i) threads_.emplace_back([this] { loop(); });
    } catch (...) {
      stop();
      throw;
    }
  }
  ~Pool() { stop(); }
  int workers() const { return static_cast<int>(threads_.size()); }

  void stop() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_.store(true, std::memory_order_relaxed);
    }
    wake_.notify_all();
    for (auto& t : threads_) t.join();
    threads_.clear();
  }

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
      spinUntil(
          [&] {
            return posted_.claimable() || queued_.load(std::memory_order_acquire) != seen ||
                   stopping_.load(std::memory_order_relaxed);
          },
          kSpin);
      if (posted_.help()) continue;
      std::shared_ptr<QueuedJob> job;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        const auto hasWork = [&] {
          while (!queue_.empty() &&
                 queue_.front()->nextChunk.load(std::memory_order_relaxed) >= queue_.front()->chunks.chunkCount)
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
  std::atomic<bool> stopping_{false};         // set under mutex_ for the waiters; read without it by spinners
  std::atomic<uint64_t> queued_{0};           // jobs ever queued: spinning workers watch it change
  alignas(64) std::atomic<int> sleeping_{0};  // workers blocked on wake_, so run() can skip the notify
  std::atomic<bool> wakeSent_{false};         // a notify is on its way to the sleepers (written under mutex_)
};

// ceil(quota / period) from a cgroup's CPU limit, or 0 when none is set or it cannot be read.
int cgroupCpuLimit() {
#if defined(__linux__)
  // cgroup v2: "<quota> <period>" or "max <period>" in cpu.max; the process's own cgroup is in /proc/self/cgroup.
  std::string own;
  if (std::FILE* file = std::fopen("/proc/self/cgroup", "r")) {
    char line[512];
    while (std::fgets(line, sizeof line, file)) {
      if (std::strncmp(line, "0::", 3) == 0) {
        own = line + 3;
        while (!own.empty() && (own.back() == '\n' || own.back() == '\r')) own.pop_back();
      }
    }
    std::fclose(file);
  }
  // The tightest limit of the process's own cgroup and its ancestors (a pod's or a systemd slice's quota sits
  // above the process's own "max").
  int limit = 0;
  bool sawV2 = false;
  for (std::string path = own;;) {
    if (std::FILE* file = std::fopen(("/sys/fs/cgroup" + path + "/cpu.max").c_str(), "r")) {
      char quota[32] = {0};
      long long period = 0;
      const int read = std::fscanf(file, "%31s %lld", quota, &period);
      std::fclose(file);
      sawV2 = sawV2 || read == 2;
      const long long q = read == 2 && std::strcmp(quota, "max") != 0 ? std::atoll(quota) : 0;
      if (q > 0 && period > 0) {
        const int cpus = static_cast<int>(std::max<long long>(1, (q + period - 1) / period));
        limit = limit == 0 ? cpus : std::min(limit, cpus);
      }
    }
    if (path.empty() || path == "/") break;
    const size_t slash = path.find_last_of('/');
    path = slash == std::string::npos || slash == 0 ? std::string() : path.substr(0, slash);
  }
  if (sawV2) return limit;
  // cgroup v1
  long long quota = 0, period = 0;
  if (std::FILE* file = std::fopen("/sys/fs/cgroup/cpu/cpu.cfs_quota_us", "r")) {
    if (std::fscanf(file, "%lld", &quota) != 1) quota = 0;
    std::fclose(file);
  }
  if (std::FILE* file = std::fopen("/sys/fs/cgroup/cpu/cpu.cfs_period_us", "r")) {
    if (std::fscanf(file, "%lld", &period) != 1) period = 0;
    std::fclose(file);
  }
  if (quota > 0 && period > 0) return static_cast<int>(std::max<long long>(1, (quota + period - 1) / period));
#endif
  return 0;
}

// Guards creating and destroying the pool; the pointer itself is read without it on every call.
std::mutex gPoolMutex;
std::atomic<Pool*> gPool{nullptr};
int gHolders = 0;
int gHeldThreads = 0;  // the count the holders validated; 0 before any holder

Pool& pool() {
  if (Pool* existing = gPool.load(std::memory_order_acquire)) return *existing;
  std::lock_guard<std::mutex> lock(gPoolMutex);
  if (Pool* existing = gPool.load(std::memory_order_relaxed)) return *existing;
  int threads = gHeldThreads;
  std::string ignored;  // a holder validated TDFAST_THREADS at load; without one, a bad value means the default
  if (threads < 1 && !configuredThreads(threads, ignored)) threads = usableCores();
  Pool* created = new Pool(threads - 1);
  gPool.store(created, std::memory_order_release);
  return *created;
}

}  // namespace

int usableCores() {
  int cores = 0;
#if defined(__linux__)
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) == 0) cores = CPU_COUNT(&set);
#endif
  if (cores <= 0) {
    const unsigned hw = std::thread::hardware_concurrency();
    cores = hw == 0 ? 1 : static_cast<int>(hw);
  }
  const int quota = cgroupCpuLimit();
  if (quota > 0 && quota < cores) cores = quota;
  return std::max(1, cores);
}

bool configuredThreads(int& threads, std::string& error) {
  const int cores = usableCores();
  const char* value = std::getenv("TDFAST_THREADS");
  if (value == nullptr || *value == '\0') {
    threads = cores;
    return true;
  }
  const int cap = kMaxThreadsPerCore * cores;
  long long parsed = 0;
  bool digits = true;
  for (const char* c = value; *c != '\0'; ++c) {
    if (*c < '0' || *c > '9') {
      digits = false;
      break;
    }
    parsed = std::min<long long>(parsed * 10 + (*c - '0'), 1 << 30);  // saturates: a huge count is capped below
  }
  if (!digits || parsed < 1) {
    error = std::string("TDFAST_THREADS: expected a whole number of threads from 1 (at most ") + std::to_string(cap) +
            " are used here), got \"" + std::string(value).substr(0, 40) + "\"";
    return false;
  }
  threads = static_cast<int>(std::min<long long>(parsed, cap));
  return true;
}

void holdPool(int threads) {
  std::lock_guard<std::mutex> lock(gPoolMutex);
  if (gHolders++ == 0 && gPool.load(std::memory_order_relaxed) == nullptr) gHeldThreads = threads;
}

void releasePool() {
  Pool* finished = nullptr;
  {
    std::lock_guard<std::mutex> lock(gPoolMutex);
    if (gHolders == 0 || --gHolders > 0) return;
    finished = gPool.exchange(nullptr, std::memory_order_acq_rel);
  }
  delete finished;  // joins the threads; no call can be running: every environment that could make one is gone
}

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
