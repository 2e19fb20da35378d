// tdfast/tfjs: accelerate(model) on real TensorFlow.js 4.22 models, on tfjs's cpu and wasm backends. The reference
// is tfjs itself: a twin model with the same weights that was not accelerated.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";
import test from "ava";

import { accelerate } from "../dist/esm/tfjs/index.mjs";

const untypedAccelerate = /** @type {any} */ (accelerate);

import { syncBackends } from "./helpers/backends.mjs";
import { randomArray, randomGenerator } from "./helpers/reference.mjs";
import { saveArtifacts } from "./helpers/tfjs-model.mjs";

tf.enableProdMode(); // no debug-mode checks, and no banner advising tfjs-node

const root = fileURLToPath(new URL("..", import.meta.url));
// Every tfjs activation tdfast computes: those Keras 3 defines alike fused in the kernel, hardSigmoid (Keras 2's
// definition in tfjs) and gelu_new applied by tfjs after tdfast's linear part.
const FUSED = ["linear", "sigmoid", "tanh", "relu", "relu6", "elu", "selu", "gelu", "swish", "softplus", "softsign", "mish"];
const FUSED_OVER_UNITS = ["softmax", "logSoftmax"];
const TFJS_APPLIED = ["hardSigmoid", "gelu_new"];
const ACTIVATIONS = [...FUSED, ...FUSED_OVER_UNITS, ...TFJS_APPLIED];
const TFJS_BACKENDS = ["cpu", "wasm"];
const MATMULS = new Set(["_FusedMatMul", "BatchMatMul"]);

/** Makes `name` tfjs's backend; wasm's .wasm files ship in its npm package, so it must initialise offline. */
async function useBackend(name) {
  if (!(await tf.setBackend(name))) throw new Error(`tfjs backend ${name} failed to initialise`);
  await tf.ready();
}

/** A model built twice from one builder, the second given the first's weights: the reference and the one to accelerate. */
function twins(build) {
  const reference = build();
  const accelerated = build();
  accelerated.setWeights(reference.getWeights());
  return { reference, accelerated };
}

function randomTensor(shape, seed, scale = 2) {
  const size = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(randomArray(size, randomGenerator(seed), scale), shape);
}

/** Gives every weight of `model` new random values (the default initialisers leave biases at zero). */
function randomizeWeights(model, seed) {
  const weights = model.getWeights().map((w, i) => randomTensor(w.shape, seed * 100 + i, 0.5));
  model.setWeights(weights);
  tf.dispose(weights);
}

/** |a - b| <= 1e-5 + 1e-4·|b| everywhere (float32 results of two summation orders), else the first failure. */
function compare(actual, expected) {
  const a = actual.dataSync();
  const b = expected.dataSync();
  if (a.length !== b.length) return `lengths ${a.length} and ${b.length}`;
  for (let i = 0; i < a.length; i++) {
    if (!(Math.abs(a[i] - b[i]) <= 1e-5 + 1e-4 * Math.abs(b[i]))) return `index ${i}: ${a[i]} vs ${b[i]}`;
  }
  return null;
}

function assertClose(t, actual, expected, what) {
  t.deepEqual(actual.shape, expected.shape, `${what}: shape`);
  t.is(compare(actual, expected), null, what);
}

/** How many matrix products tfjs ran in `fn`: the timesteps (tfjs's loop), 1 (one matMul) or 0 (tdfast). */
async function matMulsIn(fn) {
  const profile = await tf.profile(() => tf.dispose(fn()));
  return profile.kernels.filter((kernel) => MATMULS.has(kernel.name)).length;
}

/**
 * A model of one TimeDistributed(Dense) over [time, ...extra, features].
 * @param {{ time?: number, features?: number, units?: number, activation?: any, useBias?: boolean, extra?: number[] }} [spec]
 */
const head = ({ time = 9, features = 6, units = 5, activation = "sigmoid", useBias = true, extra = [] } = {}) => {
  const model = tf.sequential();
  model.add(tf.layers.timeDistributed({ layer: tf.layers.dense({ units, activation, useBias }), inputShape: [time, ...extra, features] }));
  return model;
};

for (const backend of TFJS_BACKENDS) {
  test.serial(`every shared activation, with and without bias, ranks 3 and 4, equals tfjs (${backend})`, async (t) => {
    await useBackend(backend);
    let seed = 1;
    for (const activation of ACTIVATIONS) {
      for (const useBias of [true, false]) {
        // [time, extra axes, features, units, batch sizes]: one timestep, one unit, an axis between time and
        // features, and a seed-like size.
        /** @type {[number, number[], number, number, number[]][]} */
        const shapes = [
          [9, [], 6, 5, [3, 1]],
          [1, [], 3, 1, [2]],
          [4, [3], 5, 7, [2]],
          [300, [], 64, 16, [1]],
        ];
        for (const [time, extra, features, units, batches] of shapes) {
          const what = `${activation}, bias ${useBias}, [B, ${[time, ...extra, features].join(", ")}] → ${units}`;
          const { reference, accelerated } = twins(() => head({ time, features, units, activation, useBias, extra }));
          randomizeWeights(reference, seed);
          accelerated.setWeights(reference.getWeights());
          const report = accelerate(accelerated);
          t.deepEqual(
            report,
            [
              {
                name: accelerated.layers[0].name,
                features,
                units,
                activation,
                fused: !TFJS_APPLIED.includes(activation),
                via: "cpu",
              },
            ],
            what,
          );
          for (const batch of batches) {
            const x = randomTensor([batch, time, ...extra, features], seed++);
            const [expected, actual] = [reference.predict(x), accelerated.predict(x)];
            assertClose(t, actual, expected, `${what}, batch ${batch}`);
            tf.dispose([x, expected, actual]);
          }
          reference.dispose();
          accelerated.dispose();
        }
      }
    }
  });

  test.serial(`the seed-like model (Conv1D → LSTM → Conv1D → TimeDistributed(Dense)) equals tfjs (${backend})`, async (t) => {
    await useBackend(backend);
    /** @type {[number, any][]} */
    const heads = [
      [1, "sigmoid"],
      [16, "softmax"],
    ];
    for (const [units, activation] of heads) {
      const { reference, accelerated } = twins(() => {
        const model = tf.sequential();
        model.add(tf.layers.conv1d({ filters: 8, kernelSize: 3, padding: "same", activation: "relu", inputShape: [200, 1] }));
        model.add(tf.layers.lstm({ units: 16, returnSequences: true }));
        model.add(tf.layers.conv1d({ filters: 64, kernelSize: 3, padding: "same", activation: "relu" }));
        model.add(tf.layers.timeDistributed({ layer: tf.layers.dense({ units, activation }) }));
        return model;
      });
      t.is(accelerate(accelerated).length, 1);
      const x = randomTensor([2, 200, 1], units);
      const [expected, actual] = [reference.predict(x), accelerated.predict(x)];
      assertClose(t, actual, expected, `Dense(${units}, ${activation}) head`);
      tf.dispose([x, expected, actual]);
    }
  });

  test.serial(`no tensor leaks over many predictions, inside and outside tf.tidy (${backend})`, async (t) => {
    await useBackend(backend);
    /** @type {[any, any][]} */
    const variants = [
      ["sigmoid", undefined],
      ["hardSigmoid", undefined], // tfjs applies the activation to tdfast's result
      ["relu", { backend: "tfjs" }],
    ];
    for (const [activation, options] of variants) {
      const model = head({ activation });
      accelerate(model, options);
      const x = randomTensor([2, 9, 6], 7);
      tf.dispose(model.predict(x)); // the first call may create what stays (nothing is expected to)
      const before = tf.memory().numTensors;
      for (let i = 0; i < 50; i++) tf.dispose(model.predict(x));
      t.is(tf.memory().numTensors, before, `${activation} ${JSON.stringify(options)}: predict then dispose`);
      tf.tidy(() => {
        for (let i = 0; i < 50; i++) model.predict(x);
        for (let i = 0; i < 50; i++) model.apply(x);
      });
      t.is(tf.memory().numTensors, before, `${activation} ${JSON.stringify(options)}: inside tf.tidy`);
      const kept = /** @type {tf.Tensor} */ (tf.tidy(() => model.predict(x)));
      t.is(tf.memory().numTensors, before + 1, "the result of a tidy survives it");
      t.is(kept.isDisposed, false);
      kept.dispose();
      x.dispose();
      model.dispose();
    }
  });
}

test.serial(
  "which path computes: tdfast on host backends (no matMul), one matMul with backend 'tfjs', tfjs's loop when training",
  async (t) => {
    for (const backend of TFJS_BACKENDS) {
      await useBackend(backend);
      const { reference, accelerated } = twins(() => head({ time: 12 }));
      const forced = head({ time: 12 });
      forced.setWeights(reference.getWeights());
      t.is(accelerate(forced, { backend: "tfjs" })[0].via, "tfjs");
      accelerate(accelerated);
      const x = randomTensor([2, 12, 6], 3);
      t.is(await matMulsIn(() => reference.predict(x)), 12, `${backend}: tfjs's timeDistributed, one matMul per timestep`);
      t.is(await matMulsIn(() => accelerated.predict(x)), 0, `${backend}: accelerated, tdfast computes`);
      t.is(await matMulsIn(() => forced.predict(x)), 1, `${backend}: backend tfjs, one matMul over all timesteps`);
      t.is(await matMulsIn(() => accelerated.apply(x, { training: true })), 12, `${backend}: training, tfjs's own path`);
      for (const model of [accelerated, forced]) {
        const [expected, actual] = [reference.predict(x), model.predict(x)];
        assertClose(t, actual, expected, `${backend}: same results`);
        tf.dispose([expected, actual]);
      }
      x.dispose();
    }
  },
);

test.serial("calling accelerate twice changes nothing more", async (t) => {
  await useBackend("cpu");
  const { reference, accelerated } = twins(() => head());
  const first = accelerate(accelerated);
  const call = accelerated.layers[0].call;
  t.is(first.length, 1);
  t.deepEqual(accelerate(accelerated), []);
  t.deepEqual(accelerate(accelerated, { backend: "tfjs" }), []);
  t.is(accelerated.layers[0].call, call, "the layer's call was not wrapped again");
  const x = randomTensor([2, 9, 6], 5);
  t.is(await matMulsIn(() => accelerated.predict(x)), 0, "still tdfast's path, not the later option's");
  const [expected, actual] = [reference.predict(x), accelerated.predict(x)];
  assertClose(t, actual, expected, "same results");
  tf.dispose([x, expected, actual]);
});

test.serial("a layer not built yet when accelerated is computed by tdfast from its first call", async (t) => {
  await useBackend("cpu");
  const layer = tf.layers.timeDistributed({ layer: tf.layers.dense({ units: 3, activation: "sigmoid" }) });
  const report = accelerate(/** @type {any} */ ({ layers: [layer] }));
  t.is(report.length, 1);
  t.is(report[0].features, null, "no kernel yet");
  const x = randomTensor([2, 7, 4], 51);
  const matMuls = await matMulsIn(() => /** @type {tf.Tensor} */ (layer.apply(x)));
  t.is(matMuls, 0, "the first call (which builds the layer) is tdfast's");
  const y = /** @type {tf.Tensor} */ (layer.apply(x));
  const [kernel, bias] = layer.getWeights();
  const expected = tf.tidy(() => tf.sigmoid(tf.add(tf.matMul(x.reshape([14, 4]), kernel), bias)).reshape([2, 7, 3]));
  assertClose(t, y, expected, "against tfjs's matMul with the layer's weights");
  tf.dispose([x, y, expected]);
});

test.serial("functional models, nested models and a shared layer are all accelerated, each once", async (t) => {
  await useBackend("cpu");
  const build = () => {
    const inner = tf.sequential({
      layers: [tf.layers.timeDistributed({ layer: tf.layers.dense({ units: 3, activation: "relu" }), inputShape: [5, 4] })],
    });
    const input = tf.input({ shape: [5, 4] });
    const shared = tf.layers.timeDistributed({ layer: tf.layers.dense({ units: 4, activation: "tanh" }) });
    const symbolic = (value) => /** @type {tf.SymbolicTensor} */ (value);
    const twice = symbolic(shared.apply(symbolic(shared.apply(input))));
    const left = symbolic(inner.apply(twice));
    const right = tf.layers.timeDistributed({ layer: tf.layers.dense({ units: 2, useBias: false }) }).apply(input);
    const merged = symbolic(tf.layers.concatenate().apply([left, symbolic(right)]));
    const middle = tf.model({ inputs: input, outputs: merged });
    // The functional model itself nested in a Sequential.
    return tf.sequential({ layers: [middle, tf.layers.timeDistributed({ layer: tf.layers.dense({ units: 1, activation: "sigmoid" }) })] });
  };
  const { reference, accelerated } = twins(build);
  randomizeWeights(reference, 11);
  accelerated.setWeights(reference.getWeights());
  const report = accelerate(accelerated);
  t.deepEqual(
    report.map(({ features, units, activation }) => `${features}→${units} ${activation}`).sort(),
    ["4→3 relu", "4→4 tanh", "4→2 linear", "5→1 sigmoid"].sort(),
  );
  t.is(new Set(report.map((entry) => entry.name)).size, 4, "each layer once, the shared one included");
  const x = randomTensor([3, 5, 4], 12);
  t.is(await matMulsIn(() => accelerated.predict(x)), 0, "no layer left on tfjs's loop");
  const [expected, actual] = [reference.predict(x), accelerated.predict(x)];
  assertClose(t, actual, expected, "nested functional model");
  tf.dispose([x, expected, actual]);
});

test.serial("weights changed after accelerate (setWeights, model.fit) are used", async (t) => {
  await useBackend("cpu");
  const build = () => {
    const model = tf.sequential();
    model.add(tf.layers.timeDistributed({ layer: tf.layers.dense({ units: 4, activation: "relu" }), inputShape: [6, 3] }));
    model.add(tf.layers.timeDistributed({ layer: tf.layers.dense({ units: 2, activation: "sigmoid" }) }));
    model.compile({ optimizer: tf.train.sgd(0.5), loss: "meanSquaredError" });
    return model;
  };
  const { reference, accelerated } = twins(build);
  randomizeWeights(reference, 21);
  accelerated.setWeights(reference.getWeights());
  accelerate(accelerated);
  const x = randomTensor([4, 6, 3], 22);
  const y = tf.tidy(() => randomTensor([4, 6, 2], 23, 0.5).add(0.5));
  const before = accelerated.predict(x);

  randomizeWeights(reference, 24);
  accelerated.setWeights(reference.getWeights());
  const afterSet = [reference.predict(x), accelerated.predict(x)];
  assertClose(t, afterSet[1], afterSet[0], "after setWeights");
  t.not(compare(afterSet[1], before), null, "the new weights changed the output");

  for (const model of [reference, accelerated]) await model.fit(x, y, { epochs: 3, batchSize: 2, shuffle: false, verbose: 0 });
  const [expectedWeights, actualWeights] = [reference.getWeights(), accelerated.getWeights()];
  for (const [i, w] of actualWeights.entries()) assertClose(t, w, expectedWeights[i], `weight ${i} after fit: training took tfjs's path`);
  t.not(compare(actualWeights[0], afterSet[0]), null);
  const afterFit = [reference.predict(x), accelerated.predict(x)];
  assertClose(t, afterFit[1], afterFit[0], "after fit");
  t.not(compare(afterFit[1], afterSet[1]), null, "training changed the output");
  tf.dispose([x, y, before, ...afterSet, ...afterFit]);
});

test.serial("gradients through an accelerated model equal tfjs's", async (t) => {
  await useBackend("cpu");
  const { reference, accelerated } = twins(() => head({ activation: "tanh" }));
  randomizeWeights(reference, 31);
  accelerated.setWeights(reference.getWeights());
  accelerate(accelerated);
  const x = randomTensor([2, 9, 6], 32);
  const gradients = (model) => {
    const inputGradient = tf.grad((input) => model.apply(input).square().sum())(x);
    const { grads } = tf.variableGrads(
      () => model.apply(x).square().sum(),
      model.trainableWeights.map((w) => w.read()),
    );
    return [inputGradient, ...Object.values(grads)];
  };
  const expected = gradients(reference);
  const actual = gradients(accelerated);
  t.is(actual.length, 3, "x, kernel and bias");
  for (const [i, g] of actual.entries()) {
    assertClose(t, g, expected[i], `gradient ${i}`);
    t.true(g.abs().max().dataSync()[0] > 0, `gradient ${i} is not zero`);
  }
  tf.dispose([x, ...expected, ...actual]);
});

test.serial("model.save writes the original architecture and weights; the saved model loads and predicts alike", async (t) => {
  await useBackend("cpu");
  const model = head({ activation: "softmax" });
  randomizeWeights(model, 41);
  const before = await saveArtifacts(model);
  t.is(accelerate(model).length, 1);
  const after = await saveArtifacts(model);
  t.deepEqual(after.modelTopology, before.modelTopology);
  t.deepEqual(after.weightSpecs, before.weightSpecs);
  t.deepEqual(new Uint8Array(after.weightData), new Uint8Array(before.weightData));
  t.is(JSON.stringify(after.modelTopology).includes("TimeDistributed"), true);

  const loaded = await tf.loadLayersModel(tf.io.fromMemory(after));
  t.is(loaded.layers[0].getClassName(), "TimeDistributed");
  t.false(Object.hasOwn(loaded.layers[0], "call"), "a loaded model is tfjs's own until accelerated");
  const x = randomTensor([2, 9, 6], 42);
  const [expected, actual] = [loaded.predict(x), model.predict(x)];
  assertClose(t, actual, expected, "saved and reloaded");
  tf.dispose([x, expected, actual]);
});

test.serial("layers tdfast cannot compute exactly are left to tfjs", async (t) => {
  await useBackend("cpu");
  const dense = tf.layers.dense({ units: 2 });
  const Activation = Object.getPrototypeOf(/** @type {any} */ (dense).activation.constructor);
  class Doubled extends Activation {
    static className = "Doubled";
    apply(x) {
      return tf.mul(x, 2);
    }
  }
  const Dense = /** @type {any} */ (dense.constructor);
  class MyDense extends Dense {
    call(inputs, kwargs) {
      return tf.add(super.call(inputs, kwargs), 1);
    }
  }
  const model = tf.sequential();
  model.add(
    tf.layers.timeDistributed({ layer: tf.layers.dense({ units: 3, activation: /** @type {any} */ (new Doubled()) }), inputShape: [4, 2] }),
  );
  model.add(tf.layers.timeDistributed({ layer: /** @type {any} */ (new /** @type {any} */ (MyDense)({ units: 3 })) }));
  model.add(tf.layers.timeDistributed({ layer: tf.layers.conv1d({ filters: 2, kernelSize: 1 }) }));
  t.deepEqual(accelerate(model), []);
  t.true(
    model.layers.every((layer) => !Object.hasOwn(layer, "call")),
    "no layer was changed",
  );
});

test.serial("a Dense whose activation is replaced after accelerate is left to tfjs", async (t) => {
  await useBackend("cpu");
  const { reference, accelerated } = twins(() => head({ activation: "sigmoid" }));
  accelerate(accelerated);
  /** @type {any} */ for (const model of [reference, accelerated])
    model.layers[0].layer.activation = /** @type {any} */ (tf.layers.dense({ units: 1, activation: "tanh" })).activation;
  const x = randomTensor([2, 9, 6], 61);
  t.is(await matMulsIn(() => accelerated.predict(x)), 9, "tfjs's loop");
  const [expected, actual] = [reference.predict(x), accelerated.predict(x)];
  assertClose(t, actual, expected, "tanh, as tfjs now computes it");
  t.true(actual.min().dataSync()[0] < 0, "not sigmoid's outputs");
  tf.dispose([x, expected, actual]);
});

test.serial("inputs tdfast does not handle keep tfjs's own behaviour", async (t) => {
  await useBackend("cpu");
  const { reference, accelerated } = twins(() => head());
  accelerate(accelerated);
  const outcome = (fn) => {
    try {
      const y = fn();
      const result = { shape: y.shape, values: Array.from(y.dataSync()) };
      y.dispose();
      return result;
    } catch (error) {
      return { error: error.message };
    }
  };
  /** @type {[string, tf.Tensor][]} */
  const cases = [
    ["int32 input", tf.ones([2, 9, 6], "int32")],
    ["wrong feature count", tf.ones([2, 9, 5])],
    ["rank 2", tf.ones([9, 6])],
  ];
  for (const [what, x] of cases) {
    // call(), not apply(): apply() checks the shape before any call is made.
    const expected = outcome(() => reference.layers[0].call(x, {}));
    const actual = outcome(() => accelerated.layers[0].call(x, {}));
    t.deepEqual(actual, expected, what);
    t.log(`${what}: ${expected.error ?? `shape [${expected.shape}]`}`);
    x.dispose();
  }
});

test.serial("argument errors have stable codes and change nothing", async (t) => {
  await useBackend("cpu");
  const model = head();
  for (const bad of [undefined, null, 3, {}, { layers: "x" }])
    t.throws(() => untypedAccelerate(bad), { instanceOf: TypeError, code: "ERR_TDFAST_INVALID_TYPE" });
  t.throws(() => untypedAccelerate(model, "cpu"), { instanceOf: TypeError, code: "ERR_TDFAST_INVALID_TYPE" });
  t.throws(() => untypedAccelerate(model, { backend: "gpu" }), {
    instanceOf: RangeError,
    code: "ERR_TDFAST_INVALID_VALUE",
    message: /options\.backend/,
  });
  t.throws(() => untypedAccelerate(model, { backend: 1 }), { instanceOf: TypeError, code: "ERR_TDFAST_INVALID_TYPE" });
  t.throws(() => untypedAccelerate(model, { speed: "max" }), {
    instanceOf: RangeError,
    code: "ERR_TDFAST_INVALID_VALUE",
    message: /unknown key "speed"/,
  });
  if (!syncBackends.includes("cuda"))
    t.throws(() => accelerate(model, { backend: "cuda" }), { code: "ERR_TDFAST_BACKEND_UNAVAILABLE", message: /^cuda: / });
  t.false(Object.hasOwn(model.layers[0], "call"), "nothing was changed by the failed calls");
  t.is(accelerate(model, { backend: "cpu" })[0].via, "cpu");
});

test("tdfast's main entry loads no tfjs, and tdfast/tfjs loads none until accelerate() is called", (t) => {
  const program = `
    require("./dist/cjs/index.js");
    const main = Object.keys(require.cache).filter((file) => file.includes("@tensorflow"));
    const { accelerate } = require("./dist/cjs/tfjs/index.js");
    const subpath = Object.keys(require.cache).filter((file) => file.includes("@tensorflow"));
    console.log(JSON.stringify({ main, subpath, accelerate: typeof accelerate }));`;
  const result = JSON.parse(execFileSync(process.execPath, ["-e", program], { cwd: root, encoding: "utf8" }));
  t.deepEqual(result, { main: [], subpath: [], accelerate: "function" });
});

test("the application's own copy of tfjs is used, never another one tdfast could resolve", (t) => {
  // The application's tfjs in a folder tdfast's own resolution does not see: links to this project's packages
  // under --preserve-symlinks, so they are distinct module instances from the ones tdfast would require.
  const app = mkdtempSync(join(tmpdir(), "tdfast-tfjs-copy-"));
  try {
    const modules = join(root, "node_modules");
    mkdirSync(join(app, "node_modules", "@tensorflow"), { recursive: true });
    for (const name of ["@tensorflow/tfjs-core", "@tensorflow/tfjs-layers", "@tensorflow/tfjs-backend-cpu", "seedrandom"])
      symlinkSync(join(modules, name), join(app, "node_modules", name), "dir");
    const program = `
      const tfc = require("@tensorflow/tfjs-core");
      require("@tensorflow/tfjs-backend-cpu");
      const tfl = require("@tensorflow/tfjs-layers");
      const { accelerate } = require(${JSON.stringify(join(root, "dist", "cjs", "tfjs", "index.js"))});
      const build = () => tfl.sequential({ layers: [tfl.layers.timeDistributed({ layer: tfl.layers.dense({ units: 3, activation: "tanh" }), inputShape: [4, 5] })] });
      const [reference, accelerated] = [build(), build()];
      accelerated.setWeights(reference.getWeights());
      const report = accelerate(accelerated);
      const x = tfc.randomNormal([2, 4, 5]);
      const expected = reference.predict(x).dataSync();
      const actual = accelerated.predict(x).dataSync();
      const maxDiff = Math.max(...actual.map((v, i) => Math.abs(v - expected[i])));
      const loaded = Object.keys(require.cache).filter((file) => file.includes("@tensorflow"));
      console.log(JSON.stringify({ via: report.map((r) => r.via), maxDiff, appCopy: loaded.every((file) => file.startsWith(${JSON.stringify(app)})), count: loaded.length }));`;
    const result = JSON.parse(
      execFileSync(process.execPath, ["--preserve-symlinks", "-e", program], {
        cwd: app,
        encoding: "utf8",
        stdio: ["ignore", "pipe", "pipe"],
      }),
    );
    t.deepEqual(result.via, ["cpu"]);
    t.true(result.maxDiff < 1e-5, `max |Δ| ${result.maxDiff}`);
    t.true(result.count > 0);
    t.true(result.appCopy, "every tfjs module loaded is the application's");
  } finally {
    rmSync(app, { recursive: true, force: true });
  }
});
