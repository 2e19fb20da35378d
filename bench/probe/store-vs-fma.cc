// What widening float16 x costs the panel kernel's multiply-adds, on this core (docs/benchmarks.md, "Measurements
// behind design choices"). Each loop does 16 independent 512-bit FMAs (the panel kernel's work for 16 x values
// when U = 16) plus, in turn: nothing; 4 vcvtph2ps kept in registers; 4 stores of 64 bytes; and 4 vcvtph2ps
// with their stores, as the float16 panel path widens x into a buffer (there one conversion and one store per
// 16 FMAs: the extras here are 4 times as dense, to stand out from the noise). Prints cycles per loop at the given
// clock (the default, 3.45 GHz, is this machine's measured rate of dependent FMAs times their 4-cycle latency; only the
// differences between lines matter).
//
//   g++ -O3 -mavx512f -mfma -mf16c bench/probe/store-vs-fma.cc -o /tmp/store-vs-fma && /tmp/store-vs-fma [GHz]
#include <immintrin.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

namespace {

alignas(64) uint16_t halves[64 * 16];
alignas(64) float floats[64 * 16];

enum class Extra { None, Convert, Store, ConvertAndStore };

template <Extra kExtra>
double cyclesPerLoop(long loops, double ghz) {
  __m512 acc[16];
  for (int i = 0; i < 16; ++i) acc[i] = _mm512_set1_ps(static_cast<float>(i) * 0.001f);
  const __m512 a = _mm512_set1_ps(0.9999f), b = _mm512_set1_ps(0.0001f);
  __m512 sink = _mm512_setzero_ps();
  const uint16_t* source = halves;
  float* target = floats;
  const auto start = std::chrono::steady_clock::now();
  for (long loop = 0; loop < loops; ++loop) {
    asm volatile("" : "+r"(source), "+r"(target));  // the compiler may not hoist the loads or drop the stores
    for (int i = 0; i < 16; ++i) acc[i] = _mm512_fmadd_ps(acc[i], a, b);
    for (int c = 0; c < 4; ++c) {
      if constexpr (kExtra == Extra::Convert) {
        const __m512 v = _mm512_cvtph_ps(_mm256_load_si256(reinterpret_cast<const __m256i*>(source + c * 16)));
        sink = _mm512_castsi512_ps(_mm512_xor_si512(_mm512_castps_si512(sink), _mm512_castps_si512(v)));
      } else if constexpr (kExtra == Extra::Store) {
        _mm512_store_ps(target + c * 16, a);
      } else if constexpr (kExtra == Extra::ConvertAndStore) {
        _mm512_store_ps(target + c * 16,
                        _mm512_cvtph_ps(_mm256_load_si256(reinterpret_cast<const __m256i*>(source + c * 16))));
      }
    }
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  float keep = floats[5] + _mm512_reduce_add_ps(sink);
  for (int i = 0; i < 16; ++i) keep += _mm512_reduce_add_ps(acc[i]);
  std::fprintf(stderr, "%g\r", keep);  // keeps the results alive
  return seconds / loops * ghz * 1e9;
}

}  // namespace

int main(int argc, char** argv) {
  const double ghz = argc > 1 ? std::atof(argv[1]) : 3.45;
  constexpr long kLoops = 20000000;
  for (int pass = 0; pass < 2; ++pass) {
    std::printf("16 FMA                              %.2f cycles\n", cyclesPerLoop<Extra::None>(kLoops, ghz));
    std::printf("16 FMA + 4 vcvtph2ps                %.2f\n", cyclesPerLoop<Extra::Convert>(kLoops, ghz));
    std::printf("16 FMA + 4 stores of 64 bytes       %.2f\n", cyclesPerLoop<Extra::Store>(kLoops, ghz));
    std::printf("16 FMA + 4 vcvtph2ps and 4 stores   %.2f\n", cyclesPerLoop<Extra::ConvertAndStore>(kLoops, ghz));
  }
  return 0;
}
