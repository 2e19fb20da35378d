// An independent float64 reference of the op, written from the Keras 3 definitions (not from native/).

const SQRT_PI = Math.sqrt(Math.PI);

// erf to about 1e-13: Taylor series near 0, a continued fraction for erfc beyond |x| = 3.
export function erf(x) {
  if (Number.isNaN(x)) return NaN;
  const a = Math.abs(x);
  if (a <= 3) {
    let term = a;
    let sum = a;
    for (let n = 1; n < 80; n++) {
      term *= (-a * a) / n;
      const next = term / (2 * n + 1);
      sum += next;
      if (Math.abs(next) < 1e-17 * Math.abs(sum)) break;
    }
    return Math.sign(x) * (2 / SQRT_PI) * sum;
  }
  if (!Number.isFinite(a)) return Math.sign(x);
  let t = a;
  for (let k = 80; k >= 1; k--) t = a + k / 2 / t;
  const erfc = Math.exp(-a * a) / SQRT_PI / t;
  return Math.sign(x) * (1 - erfc);
}

const softplus = (x) => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
// Written so that NaN propagates like the native definitions (a comparison with NaN is false).
const max0 = (x) => (x < 0 ? 0 : x);

export const ELEMENTWISE = {
  linear: (x) => x,
  sigmoid: (x) => 1 / (1 + Math.exp(-x)),
  hard_sigmoid: (x) => {
    const t = (x + 3) / 6;
    return t < 0 ? 0 : t > 1 ? 1 : t;
  },
  tanh: Math.tanh,
  relu: max0,
  relu6: (x) => (x < 0 ? 0 : x > 6 ? 6 : x),
  leaky_relu: (x) => (x < 0 ? 0.2 * x : x),
  elu: (x) => (x < 0 ? Math.expm1(x) : x),
  selu: (x) => 1.0507009873554805 * (x < 0 ? 1.6732632423543772 * Math.expm1(x) : x),
  gelu: (x) => 0.5 * x * (1 + erf(x / Math.SQRT2)),
  silu: (x) => x / (1 + Math.exp(-x)),
  swish: (x) => x / (1 + Math.exp(-x)),
  softplus,
  softsign: (x) => x / (1 + Math.abs(x)),
  exponential: Math.exp,
  mish: (x) => x * Math.tanh(softplus(x)),
};

function rowwise(z, logarithm) {
  let max = -Infinity;
  for (const v of z) if (v > max) max = v;
  let sum = 0;
  for (const v of z) sum += Math.exp(v - max);
  return logarithm ? z.map((v) => v - max - Math.log(sum)) : z.map((v) => Math.exp(v - max) / sum);
}

/** y = act(x · kernel + bias) in float64 over rows×F inputs; returns a Float64Array of rows×U. */
export function referenceDense(x, rows, features, kernel, bias, units, activation) {
  const y = new Float64Array(rows * units);
  const z = new Array(units);
  for (let m = 0; m < rows; m++) {
    for (let u = 0; u < units; u++) {
      let s = bias ? bias[u] : 0;
      for (let f = 0; f < features; f++) s += x[m * features + f] * kernel[f * units + u];
      z[u] = s;
    }
    const out =
      activation === "softmax" || activation === "log_softmax" ? rowwise(z, activation === "log_softmax") : z.map(ELEMENTWISE[activation]);
    for (let u = 0; u < units; u++) y[m * units + u] = out[u];
  }
  return y;
}

/**
 * The first index where |got - ref| > absolute + relative·|ref| (NaN must match NaN), or -1. The default
 * tolerance is the suite's (1e-5 + 1e-4·|ref|); the precision checks pass a tiny `absolute` so that small
 * outputs (a sigmoid's tail, tanh near 0) must keep their relative accuracy.
 */
export function firstMismatch(got, ref, { absolute = 1e-5, relative = 1e-4 } = {}) {
  if (got.length !== ref.length) return 0;
  for (let i = 0; i < ref.length; i++) {
    const g = got[i];
    const r = ref[i];
    if (Number.isNaN(r) || Number.isNaN(g)) {
      if (Number.isNaN(r) && Number.isNaN(g)) continue;
      return i;
    }
    if (g === r) continue; // equal infinities included
    if (!(Math.abs(g - r) <= absolute + relative * Math.abs(r))) return i;
  }
  return -1;
}

// A small seeded generator so that a failing case can be replayed; values are never all zero.
export function randomGenerator(seed) {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state / 4294967296;
  };
}

export function randomArray(length, random, scale = 1) {
  const a = new Float32Array(length);
  for (let i = 0; i < length; i++) a[i] = (random() * 2 - 1) * scale;
  return a;
}
