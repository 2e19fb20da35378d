// Work that runs on a libuv worker thread and settles a JavaScript promise: the one async mechanism of every
// native class (CPU and CUDA).
//
// Written on the C N-API rather than Napi::AsyncWorker because the completion must survive the environment's
// teardown: when a worker_thread is terminated, or the process exits, while work is in flight, Node still
// waits for the work and then runs its completion, but no JavaScript can run any more. Napi::AsyncWorker then
// throws a C++ exception out of a C callback (the process aborts); here every N-API status is checked and a
// promise that can no longer be settled is simply dropped.
#pragma once

#include <napi.h>

#include <functional>
#include <initializer_list>
#include <string>

namespace tdfast {

// How a job ended: `code` empty for success, else the error to reject with.
struct JobOutcome {
  enum class Kind { Error, RangeError };
  Kind kind = Kind::Error;
  std::string code;
  std::string message;
  // One numeric property to add to the error (e.g. "cudaError"), when named.
  const char* numberName = nullptr;
  double number = 0;

  bool ok() const { return code.empty(); }
};

// Queues `work` on the libuv pool; returns the promise it settles. `keepAlive` are JavaScript values whose
// memory the work uses (typed arrays, the native objects owning device memory): referenced until the work
// has ended. C++ exceptions thrown by `work` reject the promise (std::bad_alloc with ERR_TDFAST_OUT_OF_MEMORY).
Napi::Promise queuePromiseJob(Napi::Env env, const char* name, std::function<JobOutcome()> work,
                              std::initializer_list<napi_value> keepAlive);

}  // namespace tdfast
