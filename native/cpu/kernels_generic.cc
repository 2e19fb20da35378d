// Portable variant of the row kernels: a 4-float "register" of plain arrays that compilers turn into SSE or
// NEON code. Used on CPUs without AVX2 and on non-x86 machines.
#include <math.h>

#define TDF_ISA generic

namespace tdfast {
namespace generic {

struct Vec {
  struct Reg {
    float v[4];
  };
  static constexpr bool kMaskedFma = false;  // gemvShifted is AVX-512 only
  static constexpr int kWidth = 4;
  static constexpr int kRegisters = 16;
  template <class Op>
  static Reg map(Reg a, Reg b, Op op) {
    Reg r;
    for (int i = 0; i < 4; ++i) r.v[i] = op(a.v[i], b.v[i]);
    return r;
  }
  static Reg zero() { return set1(0.0f); }
  static Reg set1(float s) {
    Reg r;
    for (float& v : r.v) v = s;
    return r;
  }
  static Reg load(const float* p) {
    Reg r;
    for (int i = 0; i < 4; ++i) r.v[i] = p[i];
    return r;
  }
  static Reg loadN(const float* p, int n) {
    Reg r = zero();
    for (int i = 0; i < n; ++i) r.v[i] = p[i];
    return r;
  }
  static void store(float* p, Reg r) {
    for (int i = 0; i < 4; ++i) p[i] = r.v[i];
  }
  static void storeN(float* p, Reg r, int n) {
    for (int i = 0; i < n; ++i) p[i] = r.v[i];
  }
  static Reg add(Reg a, Reg b) {
    return map(a, b, [](float x, float y) { return x + y; });
  }
  static Reg sub(Reg a, Reg b) {
    return map(a, b, [](float x, float y) { return x - y; });
  }
  static Reg mul(Reg a, Reg b) {
    return map(a, b, [](float x, float y) { return x * y; });
  }
  static Reg div(Reg a, Reg b) {
    return map(a, b, [](float x, float y) { return x / y; });
  }
  static Reg recip(Reg a) { return div(set1(1.0f), a); }
  static Reg fma(Reg a, Reg b, Reg c) {
    Reg r;
    for (int i = 0; i < 4; ++i) r.v[i] = a.v[i] * b.v[i] + c.v[i];
    return r;
  }
  static Reg abs(Reg a) {
    Reg r;
    for (int i = 0; i < 4; ++i) r.v[i] = fabsf(a.v[i]);
    return r;
  }
  static float sum(Reg r) { return (r.v[0] + r.v[1]) + (r.v[2] + r.v[3]); }
  static float maxLane(Reg r) { return fmaxf(fmaxf(r.v[0], r.v[1]), fmaxf(r.v[2], r.v[3])); }
  static Reg sumRows(const Reg* acc) {
    Reg r;
    for (int i = 0; i < 4; ++i) r.v[i] = sum(acc[i]);
    return r;
  }
  static Reg round(Reg a) {
    Reg r;
    for (int i = 0; i < 4; ++i) r.v[i] = nearbyintf(a.v[i]);
    return r;
  }
  static Reg scale2(Reg p, Reg n) {  // a NaN exponent stays NaN (casting it to int would be undefined)
    Reg r;
    for (int i = 0; i < 4; ++i) r.v[i] = n.v[i] == n.v[i] ? ldexpf(p.v[i], static_cast<int>(n.v[i])) : n.v[i];
    return r;
  }
  static Reg whereLess(Reg a, Reg b, Reg t, Reg f) {
    Reg r;
    for (int i = 0; i < 4; ++i) r.v[i] = a.v[i] < b.v[i] ? t.v[i] : f.v[i];
    return r;
  }
  static Reg whereGreater(Reg a, Reg b, Reg t, Reg f) {
    Reg r;
    for (int i = 0; i < 4; ++i) r.v[i] = a.v[i] > b.v[i] ? t.v[i] : f.v[i];
    return r;
  }
};

}  // namespace generic
}  // namespace tdfast

#include "dense_impl.h"

namespace tdfast {

extern const KernelTable kGenericKernels = {"generic", generic::Vec::kWidth, 2, generic::denseRows<generic::Vec>};

}  // namespace tdfast
