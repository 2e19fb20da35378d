// Which instruction-set variant of the CPU kernels this machine runs: chosen once, from the CPU's features
// (or TDFAST_SIMD), and only ever among the variants this build compiled.
#pragma once

namespace tdfast {

struct KernelTable;

const KernelTable& selectKernels();                  // best table for this CPU, or the one TDFAST_SIMD names
const KernelTable* kernelsByName(const char* name);  // nullptr if unknown, not compiled, or unsupported here

}  // namespace tdfast
