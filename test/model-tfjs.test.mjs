// TF.js model.json: the seed architecture built and saved by tfjs itself, loaded by tdfast, compared with tfjs's
// own output of the head layer; quantized weights compared with tfjs's own decoder (tf.io.decodeWeights).

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import test from "ava";

import { inspectModel, TimeDense, tensor } from "../dist/esm/index.mjs";
import { syncBackends } from "./helpers/backends.mjs";
import { HEAD_FEATURES, quantize, saveArtifacts, seedModel, T, writeModel } from "./helpers/tfjs-model.mjs";

const backend = syncBackends.includes("cpu") ? "cpu" : "auto";
const root = mkdtempSync(join(tmpdir(), "tdfast-tfjs-"));
test.after.always(() => rmSync(root, { recursive: true, force: true }));

const { tf, model, head } = await seedModel();
const artifacts = await saveArtifacts(model);
const x = Float32Array.from({ length: 3 * T * HEAD_FEATURES }, () => Math.random() * 4 - 2);

/** tfjs's output of the head on x, with the head's weights set to `weights` if given. */
function tfjsHead(weights) {
  // Copies: getWeights() returns the variables themselves, which setWeights() overwrites.
  const saved = head.getWeights().map((w) => w.clone());
  if (weights) head.setWeights(weights.map((w) => tf.tensor(w.data, w.shape)));
  try {
    return /** @type {import("@tensorflow/tfjs").Tensor} */ (head.apply(tf.tensor(x, [3, T, HEAD_FEATURES]))).dataSync();
  } finally {
    if (weights) head.setWeights(saved);
    tf.dispose(saved);
  }
}

function maxError(a, b) {
  let worst = 0;
  for (let i = 0; i < b.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}

async function tdfastHead(path, options) {
  const layer = await TimeDense.load(path, { backend, ...options });
  const y = layer.applySync(tensor(x, [3, T, HEAD_FEATURES]));
  layer.dispose();
  return { layer, y: y.data };
}

test("float32: tfjs's save, two shards; tdfast's head equals tfjs's", async (t) => {
  const path = writeModel(join(root, "f32"), artifacts);
  const { layer, y } = await tdfastHead(path);
  t.is(layer.activation, "sigmoid");
  t.is(layer.features, HEAD_FEATURES);
  t.true(maxError(y, tfjsHead()) < 2e-6, `max error ${maxError(y, tfjsHead())}`);
  const list = await inspectModel(path);
  t.deepEqual(
    list.map((l) => [l.name, l.className, l.features, l.units, l.activation, l.dtype, l.weights]),
    [["output", "TimeDistributed", HEAD_FEATURES, 1, "sigmoid", "float32", "output/kernel"]],
  );
});

test("weights matched by topology order and shape when names differ (Keras 3 paths, anonymous names)", async (t) => {
  const keras3 = artifacts.weightSpecs.map((s) =>
    s.name.startsWith("output/") ? { ...s, name: `layers/time_distributed/layer/vars/${s.name.endsWith("kernel") ? 0 : 1}` } : s,
  );
  const anonymous = artifacts.weightSpecs.map((s, i) => ({ ...s, name: `w${i}` }));
  for (const [name, specs] of [
    ["keras3", keras3],
    ["anonymous", anonymous],
  ]) {
    const path = writeModel(join(root, name), artifacts, { specs, shards: 3 });
    t.true(maxError((await tdfastHead(path)).y, tfjsHead()) < 2e-6, name);
  }
});

test("the converter's modelTopology wrapper ({ keras_version, backend, model_config })", async (t) => {
  const wrapped = {
    ...artifacts,
    modelTopology: { keras_version: "2.15.0", backend: "tensorflow", model_config: artifacts.modelTopology },
  };
  const path = writeModel(join(root, "converter"), wrapped, { shards: 1 });
  t.true(maxError((await tdfastHead(path)).y, tfjsHead()) < 2e-6);
});

test("TF.js's hard_sigmoid (clip(0.2 x + 0.5)) is refused: tdfast computes Keras 3's", async (t) => {
  const topology = structuredClone(artifacts.modelTopology);
  topology.config.layers.at(-1).config.layer.config.activation = "hard_sigmoid";
  const path = writeModel(join(root, "hard"), { ...artifacts, modelTopology: topology }, { shards: 1 });
  await t.throwsAsync(() => TimeDense.load(path), { code: "ERR_TDFAST_MODEL_LAYER", message: /"hard_sigmoid" as TF\.js defines it/ });
});

for (const dtype of ["float16", "uint8", "uint16"]) {
  test(`${dtype} quantization (the converter's layout) dequantizes as tfjs's decodeWeights does`, async (t) => {
    const { specs, data } = quantize(artifacts, dtype);
    const path = writeModel(join(root, dtype), artifacts, { specs, data, shards: 1 });
    // tfjs's own decoding of the same bytes: the reference for the weights.
    const decoded = tf.io.decodeWeights(data, specs);
    const kernel = decoded["output/kernel"];
    const bias = decoded["output/bias"];
    const { y } = await tdfastHead(path);
    const reference = tfjsHead([
      { data: kernel.dataSync(), shape: kernel.shape },
      { data: bias.dataSync(), shape: bias.shape },
    ]);
    t.true(maxError(y, reference) < 2e-6, `max error ${maxError(y, reference)}`);
    // And close to the float32 model, as quantization allows.
    t.true(maxError(y, tfjsHead()) < (dtype === "uint8" ? 5e-2 : 5e-3));
    t.is((await inspectModel(path))[0].dtype, dtype);
  });
}
