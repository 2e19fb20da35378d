// Activation ids and their Keras 3 definitions, shared by the CPU kernels and the CUDA kernels.
// The scalar functions here are the definition every vectorised path must agree with.
#pragma once

#include <math.h>

#if defined(__CUDACC__)
#define TDF_HD __host__ __device__ __forceinline__
#else
#define TDF_HD inline
#endif

namespace tdfast {

// The numbering is part of the binding's contract with lib/activations.ts: append only.
enum class Activation : int {
  Linear = 0,
  Sigmoid = 1,
  HardSigmoid = 2,
  Tanh = 3,
  Relu = 4,
  Relu6 = 5,
  LeakyRelu = 6,
  Elu = 7,
  Selu = 8,
  Gelu = 9,
  Silu = 10,
  Softplus = 11,
  Softsign = 12,
  Exponential = 13,
  Mish = 14,
  Softmax = 15,
  LogSoftmax = 16,
};

constexpr int kActivationCount = 17;

TDF_HD bool isRowwise(Activation act) { return act == Activation::Softmax || act == Activation::LogSoftmax; }

constexpr float kLeakyReluSlope = 0.2f;            // keras.activations.leaky_relu default
constexpr float kSeluAlpha = 1.6732632423543772f;  // keras.activations.selu
constexpr float kSeluScale = 1.0507009873554805f;

// Comparisons are written so that NaN propagates (NaN < 0 is false, so NaN falls through to x).
TDF_HD float softplusScalar(float x) {
  // log(1 + e^x) without overflow: max(x, 0) + log1p(e^-|x|)
  return (x > 0.0f ? x : 0.0f) + log1pf(expf(-fabsf(x)));
}

TDF_HD float activateScalar(Activation act, float x) {
  switch (act) {
    case Activation::Linear:
      return x;
    case Activation::Sigmoid:
      return 1.0f / (1.0f + expf(-x));
    case Activation::HardSigmoid: {
      float t = (x + 3.0f) * (1.0f / 6.0f);
      return t < 0.0f ? 0.0f : (t > 1.0f ? 1.0f : t);
    }
    case Activation::Tanh:
      return tanhf(x);
    case Activation::Relu:
      return x < 0.0f ? 0.0f : x;
    case Activation::Relu6:
      return x < 0.0f ? 0.0f : (x > 6.0f ? 6.0f : x);
    case Activation::LeakyRelu:
      return x < 0.0f ? kLeakyReluSlope * x : x;
    case Activation::Elu:
      return x < 0.0f ? expm1f(x) : x;
    case Activation::Selu:
      return kSeluScale * (x < 0.0f ? kSeluAlpha * expm1f(x) : x);
    case Activation::Gelu:
      return 0.5f * x * (1.0f + erff(x * 0.70710678118654752f));
    case Activation::Silu:
      return x / (1.0f + expf(-x));
    case Activation::Softplus:
      return softplusScalar(x);
    case Activation::Softsign:
      return x / (1.0f + fabsf(x));
    case Activation::Exponential:
      return expf(x);
    case Activation::Mish:
      return x * tanhf(softplusScalar(x));
    case Activation::Softmax:
    case Activation::LogSoftmax:
      return x;  // row-wise: handled by the callers over the units axis
  }
  return x;
}

}  // namespace tdfast
