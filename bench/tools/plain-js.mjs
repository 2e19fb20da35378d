// A plain JavaScript loop, as one would write it without a library: for every row, for every unit, a dot
// product plus bias, then the activation.

const ACTIVATIONS = {
  sigmoid: (z, n) => {
    for (let u = 0; u < n; u++) z[u] = 1 / (1 + Math.exp(-z[u]));
  },
  relu: (z, n) => {
    for (let u = 0; u < n; u++) z[u] = z[u] > 0 ? z[u] : 0;
  },
  tanh: (z, n) => {
    for (let u = 0; u < n; u++) z[u] = Math.tanh(z[u]);
  },
  linear: () => {},
  softmax: (z, n) => {
    let max = -Infinity;
    for (let u = 0; u < n; u++) max = Math.max(max, z[u]);
    let sum = 0;
    for (let u = 0; u < n; u++) sum += z[u] = Math.exp(z[u] - max);
    for (let u = 0; u < n; u++) z[u] /= sum;
  },
};

export function timeDistributedDenseLoop(x, kernel, bias, rows, features, units, activation) {
  const y = new Float32Array(rows * units);
  const z = new Float64Array(units);
  const activate = ACTIVATIONS[activation];
  for (let r = 0; r < rows; r++) {
    const offset = r * features;
    for (let u = 0; u < units; u++) {
      let sum = bias[u];
      for (let f = 0; f < features; f++) sum += x[offset + f] * kernel[f * units + u];
      z[u] = sum;
    }
    activate(z, units);
    for (let u = 0; u < units; u++) y[r * units + u] = z[u];
  }
  return y;
}

export const plainJsTool = () => ({
  id: "plain-js",
  label: "plain JS loop",
  family: "plain-js",
  async init() {
    return { available: true };
  },
  async setup({ rows, features, units, activation }, { x, kernel, bias }) {
    return {
      run: () => timeDistributedDenseLoop(x, kernel, bias, rows, features, units, activation),
      dispose: () => {},
    };
  },
});
