#include "cpu_features.h"

#if defined(TDF_HAVE_X86_KERNELS)
#include <cpuid.h>
#endif

#include <cstdlib>
#include <cstring>

#include "dense.h"

namespace tdfast {

extern const KernelTable kGenericKernels;
#if defined(TDF_HAVE_X86_KERNELS)
extern const KernelTable kAvx2Kernels;
extern const KernelTable kAvx512Kernels;
#endif
#if defined(TDF_HAVE_NEON_KERNELS)
extern const KernelTable kNeonKernels;
#endif

namespace {

#if defined(TDF_HAVE_X86_KERNELS)
bool hasF16c() {
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  return __get_cpuid(1, &eax, &ebx, &ecx, &edx) != 0 && (ecx & (1u << 29)) != 0;
}
#endif

// GCC's and Clang's __builtin_cpu_supports read CPUID and, for AVX and AVX-512, check with XGETBV that the
// operating system saves those registers, so a variant is only chosen where it can run.
bool cpuSupports(const KernelTable& table) {
#if defined(TDF_HAVE_X86_KERNELS)
  __builtin_cpu_init();
  if (&table == &kAvx512Kernels) return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq");
  // F16C (float16 x and out; CPUID leaf 1, ECX bit 29) came with Ivy Bridge and Piledriver, before AVX2, but
  // is checked all the same: __builtin_cpu_supports("f16c") is missing from older compilers. (AVX-512F has its
  // own 512-bit conversions.)
  if (&table == &kAvx2Kernels) return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && hasF16c();
#endif
#if defined(TDF_HAVE_NEON_KERNELS)
  if (&table == &kNeonKernels) return true;  // Advanced SIMD is part of the AArch64 base architecture
#endif
  return &table == &kGenericKernels;
}

// Best first.
const KernelTable* const kAllTables[] = {
#if defined(TDF_HAVE_X86_KERNELS)
    &kAvx512Kernels,
    &kAvx2Kernels,
#endif
#if defined(TDF_HAVE_NEON_KERNELS)
    &kNeonKernels,
#endif
    &kGenericKernels,
};

}  // namespace

const KernelTable* kernelsByName(const char* name) {
  for (const KernelTable* table : kAllTables)
    if (std::strcmp(table->name, name) == 0 && cpuSupports(*table)) return table;
  return nullptr;
}

const KernelTable& selectKernels() {
  static const KernelTable* chosen = [] {
    if (const char* forced = std::getenv("TDFAST_SIMD")) {
      if (const KernelTable* table = kernelsByName(forced)) return table;
    }
    for (const KernelTable* table : kAllTables)
      if (cpuSupports(*table)) return table;
    return &kGenericKernels;
  }();
  return *chosen;
}

}  // namespace tdfast
