// Whole TensorFlow.js models with and without tdfast/tfjs's accelerate(): what a tfjs user gains in
// model.predict. Three variants of each model with the same weights, timed interleaved on tfjs's cpu and wasm
// backends:
//   (a) tfjs timeDistributed: the model as a Keras port builds it (tfjs loops over the timesteps);
//   (b) accelerate():         the same model after accelerate(model) (tdfast computes the head);
//   (c) plain Dense on 3-D:   the same weights with a plain Dense on the 3-D tensor, tfjs's best case.
// Plus the head alone (Input → TimeDistributed(Dense)) before and after accelerate().
// Timed: model.predict(x) and reading the result back (dataSync), as the main table's tools do.

import { pathToFileURL } from "node:url";

import { maxAbsDiff, timeInterleaved, timeOnce } from "./measure.mjs";

const BACKENDS = ["cpu", "wasm"];
const INPUT = [1, 1000, 1];
const HEAD_INPUT = [1, 1000, 64];
/** @type {{ key: string, label: string, units: number, activation: any }[]} */
const MODELS = [
  { key: "seed", label: "Conv1D(32)→LSTM(64)→Conv1D(64)→TD(Dense(1, sigmoid))", units: 1, activation: "sigmoid" },
  { key: "softmax16", label: "Conv1D(32)→LSTM(64)→Conv1D(64)→TD(Dense(16, softmax))", units: 16, activation: "softmax" },
];
/** (b) at most 5 % slower than (c): the TimeDistributed penalty gone. As a speedup (c)/(b): at least 1/1.05. */
const WITHIN_PLAIN_DENSE = 0.952;
/** The head alone at least this much faster after accelerate(). */
const HEAD_SPEEDUP = 20;
const TOLERANCE = 1e-4;

const formatMs = (seconds) =>
  seconds === undefined
    ? "—"
    : seconds < 1e-3
      ? `${(seconds * 1e6).toPrecision(3)} µs`
      : seconds < 1
        ? `${(seconds * 1e3).toPrecision(3)} ms`
        : `${seconds.toPrecision(3)} s`;

function randomValues(size, seed) {
  let state = seed;
  const values = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    state = (state * 1664525 + 1013904223) >>> 0;
    values[i] = (state / 2 ** 32) * 2 - 1;
  }
  return values;
}

/**
 * Runs the whole comparison; never throws (a failure becomes `error`). Returns the rows, the targets (in
 * bench/targets.mjs's form, with their own `what`) and any output mismatches.
 * @param {{ quick: boolean }} options
 * @param {(line: string) => void} progress
 */
export async function benchmarkTfjsModels({ quick }, progress) {
  const result = { models: [], heads: [], targets: [], mismatches: [] };
  let tf;
  let accelerate;
  try {
    tf = await import("@tensorflow/tfjs");
    await import("@tensorflow/tfjs-backend-wasm");
    ({ accelerate } = await import("../dist/esm/tfjs/index.mjs"));
    tf.enableProdMode();
  } catch (error) {
    return { ...result, error: error.message.split("\n")[0] };
  }
  result.tfjsVersion = tf.version_core;
  // A few interleaved rounds of one predict each: a whole-model predict takes a few hundred milliseconds, and
  // this part should add well under a minute to npm run bench.
  const rounds = quick ? 2 : 7;
  const targetSeconds = quick ? 0.1 : 0.5;

  const build = (trunk, head) => {
    const model = tf.sequential();
    if (trunk) {
      model.add(tf.layers.conv1d({ filters: 32, kernelSize: 3, padding: "same", activation: "relu", inputShape: INPUT.slice(1) }));
      // Glorot rather than the default orthogonal recurrent initialiser: only set-up time (weights are copied).
      model.add(tf.layers.lstm({ units: 64, returnSequences: true, recurrentInitializer: "glorotUniform" }));
      model.add(tf.layers.conv1d({ filters: 64, kernelSize: 3, padding: "same", activation: "relu" }));
    }
    model.add(head());
    return model;
  };
  const predictor = (model, x) => () => {
    const y = model.predict(x);
    const values = y.dataSync();
    y.dispose();
    return values;
  };

  /** Each variant's first call, checked against the first variant's output (tfjs's own). */
  async function firstCalls(tag, x, variants) {
    const entries = [];
    let reference;
    for (const { label, model } of variants) {
      const run = predictor(model, x);
      const first = await timeOnce(run);
      reference ??= first.output;
      const diff = maxAbsDiff(first.output, reference);
      if (!(diff <= TOLERANCE)) result.mismatches.push({ shapeKey: tag, label, maxAbsDiff: diff });
      entries.push({ label, run, firstCallSeconds: first.seconds, maxAbsDiff: diff });
    }
    progress(`${tag}: timing ${entries.length} variants in ${rounds} interleaved rounds…`);
    return entries;
  }

  /**
   * Whole models: one predict of each variant per round, in an order that rotates, after a warm-up call each.
   * Each round's samples are kept: the load of a shared machine changes more between rounds than within one,
   * so the ratios within each round (paired) are steadier than ratios of medians, and the targets use them.
   */
  function timePaired(entries) {
    for (const { run } of entries) run();
    if (!globalThis.gc) progress("note: run with node --expose-gc (npm run bench does) for steadier whole-model timings");
    const samples = entries.map(() => /** @type {number[]} */ ([]));
    for (let round = 0; round < rounds; round++)
      for (let k = 0; k < entries.length; k++) {
        const i = (k + round) % entries.length;
        // tfjs's loop leaves much garbage; collected untimed (--expose-gc), it is not charged to the next variant.
        globalThis.gc?.();
        const start = process.hrtime.bigint();
        entries[i].run();
        samples[i].push(Number(process.hrtime.bigint() - start) / 1e9);
      }
    return entries.map(({ label, maxAbsDiff: diff }, i) => ({
      label,
      maxAbsDiff: diff,
      runs: rounds,
      samples: samples[i],
      medianSeconds: median(samples[i]),
      minSeconds: Math.min(...samples[i]),
    }));
  }

  /** Heads (µs against ms): medians from timeInterleaved, which runs the fast variant many times a round. */
  async function timeMedians(entries) {
    const stats = await timeInterleaved(entries, { targetSeconds, rounds });
    return entries.map(({ label, maxAbsDiff: diff }, i) => ({ label, maxAbsDiff: diff, ...stats[i] }));
  }

  for (const backend of BACKENDS) {
    try {
      if (!(await tf.setBackend(backend))) throw new Error(`tfjs backend ${backend} failed to initialise`);
      await tf.ready();
    } catch (error) {
      result.models.push({ backend, error: error.message.split("\n")[0] });
      continue;
    }
    for (const spec of quick ? MODELS.slice(0, 1) : MODELS) {
      const tag = `tfjs model ${spec.key} [${backend}]`;
      const dense = () => tf.layers.dense({ units: spec.units, activation: spec.activation });
      const timeDistributed = () => tf.layers.timeDistributed({ layer: dense() });
      const original = build(true, timeDistributed);
      const accelerated = build(true, timeDistributed);
      const plain = build(true, dense);
      const weights = original.getWeights();
      accelerated.setWeights(weights);
      plain.setWeights(weights);
      const report = accelerate(accelerated);
      const x = tf.tensor(randomValues(INPUT[0] * INPUT[1] * INPUT[2], 1), INPUT);
      try {
        const [a, b, c] = timePaired(
          await firstCalls(tag, x, [
            { label: "tfjs timeDistributed", model: original },
            { label: "accelerate()", model: accelerated },
            { label: "plain Dense on 3-D", model: plain },
          ]),
        );
        // Per round: (a)/(b), the share of (a) that accelerate() saves, and (c)/(b), its speed against tfjs's best.
        const saved = median(a.samples.map((seconds, i) => 1 - b.samples[i] / seconds));
        const versusPlain = median(c.samples.map((seconds, i) => seconds / b.samples[i]));
        result.models.push({ key: spec.key, label: spec.label, backend, via: report[0]?.via, a, b, c, saved, versusPlain });
        progress(`${tag}: (a) ${formatMs(a.medianSeconds)} · (b) ${formatMs(b.medianSeconds)} · (c) ${formatMs(c.medianSeconds)}`);
        const what = `${spec.key} model [${backend}]: accelerate() vs plain Dense on 3-D (at most 5% slower; median of paired rounds)`;
        result.targets.push({
          what,
          shapeKey: what,
          toolLabel: b.label,
          versusLabel: c.label,
          atLeast: WITHIN_PLAIN_DENSE,
          status: versusPlain >= WITHIN_PLAIN_DENSE ? "PASS" : "MISS",
          speedup: versusPlain,
        });
      } catch (error) {
        result.models.push({ key: spec.key, label: spec.label, backend, error: error.message.split("\n")[0] });
      } finally {
        x.dispose();
        for (const model of [original, accelerated, plain]) model.dispose();
      }
    }
    for (const spec of quick ? MODELS.slice(0, 1) : MODELS) {
      const key = `${HEAD_INPUT.join("×")}→${spec.units} ${spec.activation}`;
      const tag = `tfjs head ${key} [${backend}]`;
      const head = () =>
        tf.layers.timeDistributed({
          layer: tf.layers.dense({ units: spec.units, activation: spec.activation }),
          inputShape: HEAD_INPUT.slice(1),
        });
      const before = build(false, head);
      const after = build(false, head);
      after.setWeights(before.getWeights());
      accelerate(after);
      const x = tf.tensor(randomValues(HEAD_INPUT[0] * HEAD_INPUT[1] * HEAD_INPUT[2], 2), HEAD_INPUT);
      try {
        const [a, b] = await timeMedians(
          await firstCalls(tag, x, [
            { label: "tfjs timeDistributed", model: before },
            { label: "accelerate()", model: after },
          ]),
        );
        result.heads.push({ key, backend, before: a, after: b });
        progress(`${tag}: before ${formatMs(a.medianSeconds)} · after ${formatMs(b.medianSeconds)}`);
        result.targets.push(target(`head alone ${key} [${backend}]: accelerate() vs tfjs timeDistributed`, b, a, HEAD_SPEEDUP));
      } catch (error) {
        result.heads.push({ key, backend, error: error.message.split("\n")[0] });
      } finally {
        x.dispose();
        before.dispose();
        after.dispose();
      }
    }
  }
  return result;
}

function median(values) {
  const sorted = [...values].sort((p, q) => p - q);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** A target in bench/targets.mjs's form: speedup = versus median / tool median. */
function target(what, tool, versus, atLeast) {
  const base = { what, shapeKey: what, toolLabel: tool.label, versusLabel: versus.label, atLeast };
  if (tool.medianSeconds === undefined || versus.medianSeconds === undefined)
    return { ...base, status: "SKIP", reason: `no median for ${tool.medianSeconds === undefined ? tool.label : versus.label}` };
  const speedup = versus.medianSeconds / tool.medianSeconds;
  return { ...base, status: speedup >= atLeast ? "PASS" : "MISS", speedup };
}

/** The section of the text report. */
export function tfjsModelLines(result) {
  if (!result) return [];
  if (result.error) return [`TensorFlow.js models: not run (${result.error})`];
  const out = [
    `TensorFlow.js ${result.tfjsVersion} models, model.predict on ${INPUT.join("×")} (medians of interleaved calls; same weights):`,
    "(a) tfjs timeDistributed · (b) after accelerate() · (c) plain Dense on the 3-D tensor (tfjs's best case);",
    "saved: 1 − (b)/(a) and (c)/(b): medians of the ratios within each round (the same load for all three)",
  ];
  const rows = [["  model", "backend", "(a)", "(b)", "(c)", "saved", "(c)/(b)", "via"]];
  for (const row of result.models) {
    if (row.error) {
      rows.push([`  ${row.label ?? ""}`, row.backend, `failed: ${row.error}`]);
      continue;
    }
    const { a, b, c } = row;
    rows.push([
      `  ${row.label}`,
      row.backend,
      formatMs(a.medianSeconds),
      formatMs(b.medianSeconds),
      formatMs(c.medianSeconds),
      `${(row.saved * 100).toFixed(1)}%`,
      row.versusPlain.toFixed(3),
      row.via ?? "—",
    ]);
  }
  out.push(...align(rows), "", `The head alone (Input → TimeDistributed(Dense)) on ${HEAD_INPUT.join("×")}:`);
  const headRows = [["  head", "backend", "before", "after", "speedup"]];
  for (const row of result.heads) {
    if (row.error) headRows.push([`  ${row.key}`, row.backend, `failed: ${row.error}`]);
    else
      headRows.push([
        `  ${row.key}`,
        row.backend,
        formatMs(row.before.medianSeconds),
        formatMs(row.after.medianSeconds),
        `${(row.before.medianSeconds / row.after.medianSeconds).toFixed(0)}×`,
      ]);
  }
  out.push(...align(headRows));
  return out;
}

function align(rows) {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => (row[i] ?? "").length)));
  return rows.map((row) =>
    row
      .map((text, i) => (i === 0 ? text.padEnd(widths[i]) : (text ?? "").padStart(widths[i])))
      .join("  ")
      .trimEnd(),
  );
}

// `node bench/tfjs-models.mjs [--quick]`: this part alone (npm run bench runs it after the main table).
if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const quick = process.argv.includes("--quick");
  const progress = (line) => process.stderr.write(`${line}\n`);
  const result = await benchmarkTfjsModels({ quick }, progress);
  const lines = [...tfjsModelLines(result), "", "Targets:"];
  for (const t of result.targets)
    lines.push(
      `${t.status}  ${t.what}: ${t.speedup === undefined ? t.reason : `${t.speedup.toFixed(3)}× (target ≥ ${t.atLeast.toFixed(3)}×)`}`,
    );
  for (const m of result.mismatches) lines.push(`!!! OUTPUT MISMATCH ${m.label} on ${m.shapeKey}: max |Δ| = ${m.maxAbsDiff}`);
  process.stdout.write(`${lines.join("\n")}\n`);
  if (result.mismatches.length) process.exitCode = 1;
}
