// Thousands of malformed calls, through the public API and straight into the native binding (which must
// re-check everything memory safety depends on). Prints a JSON summary; a crash would end the process first.

import { nativeBinding } from "../../dist/cjs/binding.js";
import { TimeDense, tensor, timeDense, timeDenseSync } from "../../dist/esm/index.mjs";
import { randomGenerator } from "./reference.mjs";

const random = randomGenerator(Number(process.env.FUZZ_SEED ?? 1));
const pick = (items) => items[Math.floor(random() * items.length)];
const CALLS = Number(process.env.FUZZ_CALLS ?? 5000);

function detached(length) {
  const array = new Float32Array(length);
  structuredClone(array.buffer, { transfer: [array.buffer] });
  return array;
}

const dims = () => pick([0, 1, 2, 3, 7, 64, -1, 1.5, NaN, Infinity, 2 ** 31, 2 ** 53, 2 ** 60, "4", null, undefined, {}]);
const arrays = () =>
  pick([
    () => new Float32Array(Math.floor(random() * 70)),
    () => new Float64Array(8),
    () => new Int32Array(8),
    () => [1, 2, 3],
    () => "abcd",
    () => null,
    () => undefined,
    () => 42,
    () => detached(16),
    () => new Float32Array(new SharedArrayBuffer(64)),
    () => new Float32Array(new ArrayBuffer(64), 4, 3),
  ])();
const shapes = () => pick([() => [dims(), dims()], () => [dims()], () => [], () => [dims(), dims(), dims()], () => "2,3", () => null])();
const tensors = () => pick([() => ({ data: arrays(), shape: shapes() }), () => ({ data: arrays(), dims: shapes() }), arrays, () => ({})])();
const weights = () => ({
  kernel: pick([tensors, arrays, () => tensor(new Float32Array(12), [4, 3])])(),
  bias: pick([arrays, () => new Float32Array(3), () => null, () => undefined])(),
  activation: pick(["relu", "softmax", "nope", 3, null, undefined, "swish"]),
  ...(random() < 0.1 ? { extra: 1 } : {}),
});
const options = () =>
  pick([
    undefined,
    {},
    { backend: pick(["cpu", "onnx", "cuda", "auto", "gpu", 1]) },
    { out: arrays() },
    { out: tensors() },
    "cpu",
    { outt: 1 },
  ]);

const outcomes = {};
const note = (kind) => (outcomes[kind] = (outcomes[kind] ?? 0) + 1);
const classify = (error) =>
  note(
    error instanceof TypeError ? "TypeError" : error instanceof RangeError ? "RangeError" : error instanceof Error ? "Error" : "non-Error",
  );

// Called with random arguments on purpose: the native layer must refuse them itself, so the calls go around the types.
const binding = /** @type {any} */ (nativeBinding().binding);
const nativeArgs = () => Array.from({ length: Math.floor(random() * 6) }, () => pick([arrays, dims, tensors])());

const pending = [];
for (let i = 0; i < CALLS; i++) {
  const kind = i % 5;
  try {
    if (kind === 0) {
      timeDenseSync(tensors(), weights(), options());
      note("ok");
    } else if (kind === 1) {
      pending.push(timeDense(tensors(), weights(), options()).then(() => note("ok"), classify));
    } else if (kind === 2) {
      const layer = new TimeDense(weights());
      if (random() < 0.3) layer.dispose();
      layer.applySync(tensors(), options());
      note("ok");
    } else if (kind === 3 && binding) {
      const native = new binding.Weights(...nativeArgs());
      const result = native[pick(["runSync", "run", "dispose"])](...nativeArgs());
      if (result instanceof Promise) pending.push(result.then(() => note("ok"), classify));
      note("ok");
    } else if (binding?.cuda?.Buffer) {
      new binding.cuda.Buffer(...nativeArgs());
      note("ok");
    } else {
      binding?.sharesMemory?.(...nativeArgs().slice(0, 2));
      note("ok");
    }
  } catch (error) {
    classify(error);
  }
}
await Promise.all(pending);
console.log(JSON.stringify({ calls: CALLS, outcomes, alive: true }));
