// TimeDense.load and inspectModel on files written by Keras 3 itself (test/fixtures/models, made by
// scripts/fixtures/make_model_fixtures.py), against Keras's own output of each head on a fixed input.

import { readFileSync } from "node:fs";
import test from "ava";

import { inspectModel, TimeDense, tensor } from "../dist/esm/index.mjs";
import { syncBackends } from "./helpers/backends.mjs";

const DIR = new URL("./fixtures/models/", import.meta.url);
const file = (name) => new URL(name, DIR).pathname;
const expected = (name) => JSON.parse(readFileSync(new URL(`${name}.expected.json`, DIR), "utf8"));
const backend = syncBackends.includes("cpu") ? "cpu" : "auto";

/** Largest |a - b| / (atol + rtol |b|); <= 1 passes. */
function closeness(actual, wanted, atol, rtol) {
  let worst = 0;
  for (let i = 0; i < wanted.length; i++) worst = Math.max(worst, Math.abs(actual[i] - wanted[i]) / (atol + rtol * Math.abs(wanted[i])));
  return worst;
}

async function checkHead(t, layer, exp, reference = exp.y) {
  t.is(layer.activation, exp.activation);
  t.is(layer.features, exp.features);
  t.is(layer.units, exp.units);
  const y = await layer.apply(tensor(new Float32Array(exp.x.data), exp.x.shape));
  t.deepEqual(y.shape, exp.y.shape);
  t.true(closeness(y.data, reference.data, 1e-6, 1e-5) <= 1, `max error ratio ${closeness(y.data, reference.data, 1e-6, 1e-5)}`);
  if (reference !== exp.y) {
    // Keras computed in its policy's 16-bit type: close to that too, within the 16-bit type's precision.
    t.true(closeness(y.data, exp.y.data, 2e-2, 2e-2) <= 1);
  }
}

const CASES = [
  { title: "seed .keras", path: "seed.keras", exp: "seed" },
  { title: "seed legacy .h5", path: "seed.h5", exp: "seed" },
  { title: "tf.keras 2 legacy .h5 layout (kernel:0 names, weight_names0/1)", path: "seed_tf2.h5", exp: "seed" },
  {
    title: "seed .weights.h5 + to_json() config path",
    path: "seed.weights.h5",
    exp: "seed",
    options: { config: file("seed.config.json") },
  },
  {
    title: "legacy weights-only .h5 (Keras's legacy writer) + config",
    path: "seed_legacy.weights.h5",
    exp: "seed",
    options: { config: file("seed.config.json") },
  },
  { title: "TF 2.13-2.15 layout (_layer_checkpoint_dependencies)", path: "seed_tf213.keras", exp: "seed" },
  { title: "nested model, default (last) layer", path: "nested.keras", exp: "nested" },
  { title: "nested model, inner layer by name", path: "nested.keras", exp: "nested_inner", options: { layer: "inner_head" } },
  { title: "nested model, inner layer by path", path: "nested.keras", exp: "nested_inner", options: { layer: "encoder/inner_head" } },
  { title: "nested model, inner layer by index", path: "nested.keras", exp: "nested_inner", options: { layer: 0 } },
  { title: "nested legacy .h5, default layer", path: "nested.h5", exp: "nested" },
  { title: "nested legacy .h5, inner layer", path: "nested.h5", exp: "nested_inner", options: { layer: "inner_head" } },
  { title: "use_bias=False .keras", path: "nobias.keras", exp: "nobias" },
  { title: "use_bias=False legacy .h5", path: "nobias.h5", exp: "nobias" },
  { title: "float16 policy", path: "float16.keras", exp: "float16" },
  { title: "bfloat16 policy", path: "bfloat16.keras", exp: "bfloat16" },
  { title: "float64 policy", path: "float64.keras", exp: "float64" },
];

for (const { title, path, exp, options } of CASES) {
  test(`load: ${title}`, async (t) => {
    const e = expected(exp);
    const layer = await TimeDense.load(file(path), { ...options, backend });
    await checkHead(t, layer, e, e.y32 ?? e.y);
    layer.dispose();
  });
}

test("load from bytes: Uint8Array and ArrayBuffer of .keras and .h5, with and without format", async (t) => {
  const e = expected("seed");
  const keras = readFileSync(file("seed.keras"));
  const h5 = readFileSync(file("seed.h5"));
  await checkHead(t, await TimeDense.load(new Uint8Array(keras), { format: "keras", backend }), e);
  await checkHead(t, await TimeDense.load(keras.buffer.slice(keras.byteOffset, keras.byteOffset + keras.length), { backend }), e);
  await checkHead(t, await TimeDense.load(h5, { format: "h5", backend }), e);
  const config = JSON.parse(readFileSync(file("seed.config.json"), "utf8"));
  await checkHead(t, await TimeDense.load(readFileSync(file("seed.weights.h5")), { config, backend }), e);
  await checkHead(t, await TimeDense.load(new URL("seed.keras", DIR), { backend }), e);
});

test("inspectModel lists every runnable layer, with the user's names and the file's dtypes", async (t) => {
  const nested = await inspectModel(file("nested.keras"));
  t.deepEqual(nested, [
    {
      index: 0,
      name: "inner_head",
      className: "TimeDistributed",
      features: 4,
      units: 6,
      activation: "tanh",
      useBias: true,
      dtype: "float32",
      path: "encoder/inner_head",
      weights: "layers/sequential/layers/time_distributed/layer/vars/0",
    },
    {
      index: 1,
      name: "probs",
      className: "Dense",
      features: 7,
      units: 3,
      activation: "softmax",
      useBias: true,
      dtype: "float32",
      path: "probs",
      weights: "layers/dense/vars/0",
    },
  ]);
  const legacy = await inspectModel(file("nested.h5"));
  // Keras numbers the inner Dense (dense_1, dense_2, …) by how many were made before it in the process.
  t.deepEqual(
    legacy.map((l) => [l.name, l.features, l.units, l.weights.replace(/dense_\d+/, "dense_N")]),
    [
      ["inner_head", 4, 6, "model_weights/encoder/encoder/inner_head/dense_N/kernel"],
      ["probs", 7, 3, "model_weights/probs/probs/kernel"],
    ],
  );
  for (const [name, dtype] of [
    ["float16", "float16"],
    ["bfloat16", "bfloat16"],
    ["float64", "float64"],
    ["int8", "int8"],
  ])
    t.is((await inspectModel(file(`${name}.keras`)))[0].dtype, dtype, name);
  const weightsOnly = await inspectModel(file("seed.weights.h5"), { config: file("seed.config.json") });
  t.deepEqual(
    weightsOnly.map((l) => [l.name, l.className, l.features, l.units, l.activation, l.useBias]),
    [["output", "TimeDistributed", 5, 1, "sigmoid", true]],
  );
  t.false((await inspectModel(file("nobias.keras")))[0].useBias);
});

test("a quantized layer is refused, naming the layer and the mode", async (t) => {
  await t.throwsAsync(() => TimeDense.load(file("int8.keras")), {
    instanceOf: Error,
    code: "ERR_TDFAST_MODEL_LAYER",
    message: /layer "qhead" is quantized \(int8\)/,
  });
});

test("an activation tdfast does not compute is refused, naming the layer and the activation", async (t) => {
  const config = JSON.parse(readFileSync(file("seed.config.json"), "utf8"));
  const head = config.config.layers.at(-1).config.layer.config;
  head.activation = { module: "builtins", class_name: "function", config: "my_activation", registered_name: "function" };
  await t.throwsAsync(() => TimeDense.load(file("seed.weights.h5"), { config }), {
    code: "ERR_TDFAST_MODEL_LAYER",
    message: /layer "output" has activation "builtins\.my_activation"/,
  });
  head.activation = "celu";
  await t.throwsAsync(() => TimeDense.load(file("seed.weights.h5"), { config }), { code: "ERR_TDFAST_MODEL_LAYER", message: /"celu"/ });
  head.activation = "swish";
  t.is((await TimeDense.load(file("seed.weights.h5"), { config })).activation, "silu");
});

test("hard_sigmoid from tf.keras 2 (its definition differs from Keras 3's) is refused", async (t) => {
  t.is((await inspectModel(file("hard_sigmoid_tf213.keras")))[0].activation, "hard_sigmoid");
  await t.throwsAsync(() => TimeDense.load(file("hard_sigmoid_tf213.keras")), {
    code: "ERR_TDFAST_MODEL_LAYER",
    message: /layer "output" has activation "hard_sigmoid" as Keras 2\.13\.1 defines it/,
  });
  // Keras 3's own hard_sigmoid is tdfast's.
  const config = JSON.parse(readFileSync(file("seed.config.json"), "utf8"));
  config.config.layers.at(-1).config.layer.config.activation = "hard_sigmoid";
  t.is((await TimeDense.load(file("seed.weights.h5"), { config })).activation, "hard_sigmoid");
});

test("the loaded layer is an ordinary TimeDense: sync and async calls on every sync backend agree", async (t) => {
  const e = expected("nobias");
  for (const name of syncBackends) {
    const layer = await TimeDense.load(file("nobias.keras"), { backend: name });
    t.is(layer.backend, name);
    const y = layer.applySync(tensor(new Float32Array(e.x.data), e.x.shape));
    t.true(closeness(y.data, e.y.data, 1e-6, 1e-5) <= 1);
    layer.dispose();
  }
});
