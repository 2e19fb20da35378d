#!/usr/bin/env bash
# Runs a thread-pool stress test under ThreadSanitizer, then builds the native code with AddressSanitizer and
# UndefinedBehaviorSanitizer (CPU backend, cmake-js, into build-sanitize/) and runs the test suite against that
# binary (TDFAST_ADDON points tdfast at it).
# Any sanitizer report aborts the test process that hit it, so the suite fails. Usage: npm run sanitize
set -euo pipefail
cd "$(dirname "$0")/.."

# The thread pool under ThreadSanitizer first: its lock-free hand-over is where a data race would hide.
mkdir -p build-sanitize
g++ -std=c++17 -O1 -g -fsanitize=thread test/native/pool-stress.cc native/cpu/thread_pool.cc -lpthread \
  -o build-sanitize/pool-stress
TSAN_OPTIONS="halt_on_error=1" TDFAST_THREADS=3 build-sanitize/pool-stress

flags="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer -g"
cmake_js=node_modules/cmake-js/bin/cmake-js
node "$cmake_js" configure -O build-sanitize --CDTDFAST_CUDA=OFF --CDCMAKE_BUILD_TYPE=RelWithDebInfo \
  "--CDCMAKE_CXX_FLAGS=$flags" "--CDCMAKE_SHARED_LINKER_FLAGS=-fsanitize=address,undefined" >&2
node "$cmake_js" build -O build-sanitize >&2
npm run --silent build:ts

export TDFAST_ADDON="$PWD/build-sanitize/Release/tdfast.node"
# Node itself is not built with ASan, so the runtime is preloaded; Node's own allocations are never freed at
# exit, so leak reports would be noise about Node, not tdfast.
export LD_PRELOAD="$(gcc -print-file-name=libasan.so) $(gcc -print-file-name=libubsan.so)"
export ASAN_OPTIONS="detect_leaks=0:abort_on_error=1:detect_odr_violation=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
# The packaging test installs a tarball (its own binary), so it says nothing about this build.
# The robustness scenarios run their children under the sanitizers too (worker teardown, buffers during async
# calls), except the out-of-memory one: ASan's shadow memory cannot live under a lowered address-space limit.
node node_modules/ava/entrypoints/cli.mjs --timeout=10m test/time-dense.test.mjs test/errors.test.mjs test/async.test.mjs \
  test/properties.test.mjs test/fuzz.test.mjs test/simd.test.mjs test/onnx.test.mjs test/cuda.test.mjs \
  test/buffers.test.mjs test/error-codes.test.mjs test/precision.test.mjs test/robustness.test.mjs \
  --match='!*native allocation that fails*'
