#include "promise_job.h"

#include <memory>
#include <new>
#include <stdexcept>
#include <vector>

#include "../shared/error_codes.h"
#include "args.h"

namespace tdfast {
namespace {

struct PromiseJob {
  std::function<JobOutcome()> work;
  JobOutcome outcome;
  napi_deferred deferred = nullptr;
  napi_async_work asyncWork = nullptr;
  std::vector<napi_ref> references;
};

void execute(napi_env /*env*/, void* data) {
  auto* job = static_cast<PromiseJob*>(data);
  try {
    job->outcome = job->work();
  } catch (const std::bad_alloc&) {
    job->outcome = JobOutcome{JobOutcome::Kind::RangeError, codes::kOutOfMemory, "out of memory"};
  } catch (const std::length_error&) {
    job->outcome = JobOutcome{JobOutcome::Kind::RangeError, codes::kOutOfMemory, "out of memory"};
  } catch (const std::exception& error) {
    job->outcome = JobOutcome{JobOutcome::Kind::Error, codes::kInternal, error.what()};
  } catch (...) {
    job->outcome = JobOutcome{JobOutcome::Kind::Error, codes::kInternal, "unknown native exception"};
  }
}

// The rejection value for a failed job, or nullptr when it cannot be made (the environment is going away).
napi_value errorValue(napi_env env, const JobOutcome& outcome) {
  napi_value code = nullptr, message = nullptr, error = nullptr;
  if (napi_create_string_utf8(env, outcome.code.c_str(), NAPI_AUTO_LENGTH, &code) != napi_ok ||
      napi_create_string_utf8(env, outcome.message.c_str(), NAPI_AUTO_LENGTH, &message) != napi_ok)
    return nullptr;
  const napi_status made = outcome.kind == JobOutcome::Kind::RangeError
                               ? napi_create_range_error(env, code, message, &error)
                               : napi_create_error(env, code, message, &error);
  if (made != napi_ok) return nullptr;
  if (outcome.numberName != nullptr) {
    napi_value number = nullptr;
    if (napi_create_double(env, outcome.number, &number) == napi_ok)
      napi_set_named_property(env, error, outcome.numberName, number);
  }
  return error;
}

// Runs on the JavaScript thread after execute(), also while the environment is being torn down, when every
// call into JavaScript fails: nothing here throws, and each failure only means the promise stays unsettled.
void complete(napi_env env, napi_status status, void* data) {
  std::unique_ptr<PromiseJob> job(static_cast<PromiseJob*>(data));
  if (status == napi_ok) {
    if (job->outcome.ok()) {
      napi_value undefined = nullptr;
      if (napi_get_undefined(env, &undefined) == napi_ok) napi_resolve_deferred(env, job->deferred, undefined);
    } else if (napi_value error = errorValue(env, job->outcome)) {
      napi_reject_deferred(env, job->deferred, error);
    }
  }
  for (napi_ref reference : job->references) napi_delete_reference(env, reference);
  napi_delete_async_work(env, job->asyncWork);
}

}  // namespace

Napi::Promise queuePromiseJob(Napi::Env env, const char* name, std::function<JobOutcome()> work,
                              std::initializer_list<napi_value> keepAlive) {
  auto job = std::make_unique<PromiseJob>();
  job->work = std::move(work);
  job->references.reserve(keepAlive.size());
  napi_value promise = nullptr;
  // Undoes what was created and throws a coded error naming the N-API call that failed. The message is read
  // before the clean-up, whose own N-API calls would overwrite the last error.
  auto fail = [&](const char* step) {
    const napi_extended_error_info* info = nullptr;
    std::string message = std::string(name) + ": could not queue the call (" + step + ")";
    if (napi_get_last_error_info(env, &info) == napi_ok && info != nullptr && info->error_message != nullptr)
      message += ": " + std::string(info->error_message);
    for (napi_ref reference : job->references) napi_delete_reference(env, reference);
    if (job->asyncWork != nullptr) napi_delete_async_work(env, job->asyncWork);
    if (job->deferred != nullptr) {  // conclude it, so it is freed; nobody holds its promise
      napi_value undefined = nullptr;
      if (napi_get_undefined(env, &undefined) == napi_ok) napi_resolve_deferred(env, job->deferred, undefined);
    }
    Napi::Error error = Napi::Error::New(env, message);
    error.Set("code", Napi::String::New(env, codes::kInternal));
    throw error;
  };
  for (napi_value value : keepAlive) {
    napi_ref reference = nullptr;
    if (napi_create_reference(env, value, 1, &reference) != napi_ok) fail("napi_create_reference");
    job->references.push_back(reference);
  }
  if (napi_create_promise(env, &job->deferred, &promise) != napi_ok) fail("napi_create_promise");
  napi_value resourceName = nullptr;
  if (napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &resourceName) != napi_ok) fail("napi_create_string_utf8");
  if (napi_create_async_work(env, nullptr, resourceName, execute, complete, job.get(), &job->asyncWork) != napi_ok) {
    job->asyncWork = nullptr;
    fail("napi_create_async_work");
  }
  if (napi_queue_async_work(env, job->asyncWork) != napi_ok) fail("napi_queue_async_work");
  job.release();  // complete() owns it now
  return Napi::Promise(env, promise);
}

}  // namespace tdfast
