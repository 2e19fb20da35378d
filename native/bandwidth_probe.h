// Measures the machine's memory read bandwidth, so benchmarks can state how close a memory-bound kernel comes.
#pragma once

#include <cstdint>

namespace tdfast {

// Reads a buffer of `bytes` `repeats` times over the thread pool; returns the median bytes per second.
double measureReadBandwidth(int64_t bytes, int repeats);

}  // namespace tdfast
