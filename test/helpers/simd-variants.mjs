// The instruction-set variants of the CPU kernels a build for this architecture compiles, best first (the names
// TDFAST_SIMD takes; native/cpu/cpu_features.cc). A variant this CPU cannot run falls back to the best it can;
// those in SIMD_BASELINE run on every CPU of the architecture, so a fallback from one of them is a failure.
/** @type {Record<string, string[]>} */
const BY_ARCH = { x64: ["avx512", "avx2", "generic"], arm64: ["neon", "generic"] };

export const SIMD_VARIANTS = BY_ARCH[process.arch] ?? ["generic"];
/** Advanced SIMD is part of AArch64's base architecture; the portable kernels run everywhere. */
export const SIMD_BASELINE = process.arch === "arm64" ? ["neon", "generic"] : ["generic"];
