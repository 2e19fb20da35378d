// The float16 rows of `npm run bench` (hooked into run.mjs): tdfast's cpu backend reading float16 x against
// itself reading float32 x and against onnxruntime-node, on the memory-bound shape and on a small-U shape; the
// onnx backend's two ways to take float16 x (a Cast in the graph, or widening in JavaScript first); a float16
// model on onnxruntime-node as the honest peer; and the memory-bound shape's throughput in GB/s of the bytes it
// must move (x as float16) and as a share of the machine's read bandwidth.

import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

import { maxAbsDiff, pairedRatios, timeInterleaved, timeOnce } from "./measure.mjs";
import { formatSeconds, MISMATCH_TOLERANCE } from "./report.mjs";
import { makeInputs, SHAPES } from "./shapes.mjs";
import { buildDenseModel } from "./tools/onnxruntime.mjs";
import { loadTdfast } from "./tools/tdfast.mjs";

const require = createRequire(import.meta.url);

// Rounds of turns: enough for the round-by-round interval the targets use (checkTargets, pairedRatios), whose
// 95 % bounds are the 6th and 15th of 20 ratios.
const ROUNDS = 20;

/** The shapes of SHAPES measured with float16 x: the memory-bound one and the small-U one. */
const BASE_KEYS = ["64×4096×128→1 sigmoid", "32×1000×64→16 relu"];
export const FLOAT16_SHAPES = BASE_KEYS.map((key) => {
  const base = SHAPES.find((shape) => shape.key === key);
  if (!base) throw new Error(`bench/float16.mjs: no shape ${key} in bench/shapes.mjs`);
  const { rows, features: F, units: U } = base;
  // x as float16; y (float32 by default), kernel and bias as float32
  return { ...base, key: `${key} float16`, bytesMoved: rows * F * 2 + (rows * U + F * U + U) * 4 };
});

// float16 <-> float32 for the inputs (independent of tdfast's own conversions): a table of every half's value
// for decoding, Math.fround-free rounding through a Float32Array and bit arithmetic for encoding.
const HALF_VALUES = new Float32Array(65536);
for (let bits = 0; bits < 65536; bits++) {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  HALF_VALUES[bits] =
    exponent === 31
      ? fraction
        ? Number.NaN
        : sign * Infinity
      : exponent === 0
        ? sign * fraction * 2 ** -24
        : sign * (1024 + fraction) * 2 ** (exponent - 25);
}

/** Bits of the nearest half (ties to even) for finite values well inside float16's range (the bench's inputs). */
function toHalfBits(values) {
  const bits = new Uint16Array(values.length);
  const word = new Uint32Array(1);
  const float = new Float32Array(word.buffer);
  for (let i = 0; i < values.length; i++) {
    float[0] = values[i];
    const f = word[0];
    const sign = (f >>> 16) & 0x8000;
    const magnitude = f & 0x7fffffff;
    if (magnitude < 0x38800000) {
      bits[i] = sign | Math.round(Math.abs(values[i]) * 2 ** 24); // subnormal (ties: rare and harmless here)
    } else {
      bits[i] = sign | ((magnitude - 0x38000000 + 0xfff + ((magnitude >>> 13) & 1)) >>> 13);
    }
  }
  return bits;
}

/** float16 bits widened through the table: what a user without tdfast's float16 path would do first. */
function widenInJs(bits, into) {
  for (let i = 0; i < bits.length; i++) into[i] = HALF_VALUES[bits[i]];
  return into;
}

function loadOrt() {
  try {
    return require("onnxruntime-node");
  } catch {
    return undefined;
  }
}

/** The same op as an ONNX model entirely in float16 (input, weights, arithmetic, output), as a user's float16 model. */
function float16Model(shape, kernel, bias) {
  const protobuf = require("protobufjs");
  const root = protobuf.loadSync(fileURLToPath(new URL("../lib/onnx.proto", import.meta.url)));
  const ModelProto = root.lookupType("onnx.ModelProto");
  const FLOAT16 = root.lookupEnum("onnx.TensorProto.DataType").values.FLOAT16;
  const tensor = (name, dims, values) => ({ name, dims, dataType: FLOAT16, rawData: new Uint8Array(toHalfBits(values).buffer) });
  const op = { sigmoid: "Sigmoid", relu: "Relu" }[shape.activation];
  const valueInfo = (name, lastDim) => ({
    name,
    type: { tensorType: { elemType: FLOAT16, shape: { dim: [{ dimParam: "batch" }, { dimParam: "time" }, { dimValue: lastDim }] } } },
  });
  const model = {
    irVersion: 8,
    producerName: "tdfast-bench",
    opsetImport: [{ domain: "", version: 17 }],
    graph: {
      name: "time_distributed_dense_float16",
      node: [
        { opType: "MatMul", input: ["x", "kernel"], output: ["xw"] },
        { opType: "Add", input: ["xw", "bias"], output: ["z"] },
        { opType: op, input: ["z"], output: ["y"] },
      ],
      initializer: [tensor("kernel", [shape.features, shape.units], kernel), tensor("bias", [shape.units], bias)],
      input: [valueInfo("x", shape.features)],
      output: [valueInfo("y", shape.units)],
    },
  };
  return ModelProto.encode(ModelProto.fromObject(model)).finish();
}

/** An onnxruntime-node float16 tensor over these bits (see lib/backends/onnx.ts for why cpuData is set). */
function ortFloat16Tensor(ort, bits, dims) {
  const tensor = new ort.Tensor("float16", bits, dims);
  if (tensor.data !== bits && "cpuData" in tensor) tensor.cpuData = bits;
  return tensor;
}

/**
 * The contenders on one shape: each { id, label, setup(xBits, x32) → { run, dispose } } where run resolves to
 * float32 values (float16 outputs widened, untimed, only for the first call's check).
 */
function contenders(shape, tdfast, ort, inputs) {
  const { kernel, bias } = inputs;
  const { batch, time, features: F, units: U } = shape;
  const dims = [batch, time, F];
  const list = [];
  const layer = (backend) => denseLayer(tdfast, shape, inputs, backend);
  const available = tdfast.backends();
  if (available.cpu.available) {
    // The pair, then the same pair writing into a caller's `out`: without a fresh result per call, whose page
    // faults put tails of several ms on both sides in this VM (docs/benchmarks.md), what remains is what differs.
    for (const [id, label, dtype, intoOut] of [
      ["tdfast-cpu-f16", "tdfast cpu, float16 x", "float16", false],
      ["tdfast-cpu", "tdfast cpu, float32 x", "float32", false],
      ["tdfast-cpu-f16-out", "tdfast cpu, float16 x, into out", "float16", true],
      ["tdfast-cpu-out", "tdfast cpu, float32 x, into out", "float32", true],
    ]) {
      list.push({
        id,
        label,
        setup: (bits, x32) => {
          const l = layer("cpu");
          const x = dtype === "float16" ? tdfast.tensor(bits, dims, { dtype }) : tdfast.tensor(x32, dims);
          const options = intoOut ? { out: new Float32Array(batch * time * U) } : undefined;
          return { run: async () => (await l.apply(x, options)).data, dispose: () => l.dispose() };
        },
      });
    }
  }
  if (ort && available.onnx.available) {
    list.push({
      id: "tdfast-onnx-f16",
      label: "tdfast onnx, float16 x (Cast in the graph)",
      setup: (bits) => {
        const l = layer("onnx");
        const x = tdfast.tensor(bits, dims, { dtype: "float16" });
        return { run: async () => (await l.apply(x)).data, dispose: () => l.dispose() };
      },
    });
    list.push({
      id: "tdfast-onnx-js-widen",
      label: "tdfast onnx, float16 x widened in JS first",
      setup: (bits) => {
        const l = layer("onnx");
        const widened = new Float32Array(bits.length);
        return { run: async () => (await l.apply(tdfast.tensor(widenInJs(bits, widened), dims))).data, dispose: () => l.dispose() };
      },
    });
  }
  if (ort) {
    list.push({
      id: "onnxruntime",
      label: "onnxruntime-node direct, float32 model and x",
      setup: async (_bits, x32) => {
        const session = await ort.InferenceSession.create(buildDenseModel(shape, kernel, bias));
        const input = new ort.Tensor("float32", x32, dims);
        return { run: async () => (await session.run({ x: input })).y.data, dispose: () => session.release() };
      },
    });
    list.push({
      id: "onnxruntime-f16",
      label: "onnxruntime-node direct, float16 model and x",
      setup: async (bits) => {
        const session = await ort.InferenceSession.create(float16Model(shape, kernel, bias));
        const input = ortFloat16Tensor(ort, bits, dims);
        return {
          run: async () => (await session.run({ x: input })).y.data,
          widen: (output) => widenInJs(new Uint16Array(output.buffer, output.byteOffset, output.length), new Float32Array(output.length)),
          dispose: () => session.release(),
        };
      },
    });
  }
  return list;
}

function disposeQuietly(prepared) {
  try {
    prepared?.dispose();
  } catch {
    // the report already says what failed
  }
}

/**
 * Runs the float16 rows. `probe` is run.mjs's memory-bandwidth probe ({ bytesPerSecond }), `cacheBytes` the
 * last-level cache. Returns shapes in run.mjs's form ({ key, cells: [{ toolId, label, medianSeconds, ... }] })
 * for checkTargets, and the memory-bound shape's bandwidth.
 */
/**
 * @param {{ targetSeconds: number, quick?: boolean, probe?: { bytesPerSecond?: number }, cacheBytes?: number,
 *   progress?: (line: string) => void }} options
 */
export async function benchmarkFloat16({ targetSeconds, quick = false, probe, cacheBytes, progress = () => {} }) {
  const tdfast = await loadTdfast();
  if (!tdfast) return { error: "dist/ not built: run npm run build:ts", shapes: [] };
  const ort = loadOrt();
  const shapes = [];
  for (const shape of quick ? FLOAT16_SHAPES.slice(1) : FLOAT16_SHAPES) {
    const inputs = makeInputs(shape);
    const bits = toHalfBits(inputs.x);
    const x32 = widenInJs(bits, new Float32Array(bits.length)); // the same values as float32
    const cells = [];
    const toTime = [];
    let reference;
    for (const contender of contenders(shape, tdfast, ort, inputs)) {
      const cell = { toolId: contender.id, label: contender.label, status: "measured" };
      cells.push(cell);
      let prepared;
      try {
        prepared = await contender.setup(bits, x32);
        const first = await timeOnce(prepared.run);
        const output = prepared.widen ? prepared.widen(first.output) : first.output;
        reference ??= output;
        cell.maxAbsDiff = maxAbsDiff(output, reference);
        // float16 results differ from float32 ones by up to half a float16 ulp (2^-12 relative near 1)
        cell.mismatch = !(cell.maxAbsDiff <= (prepared.widen ? 2 ** -9 : MISMATCH_TOLERANCE));
        if (cell.mismatch) progress(`${shape.key} · ${cell.label}: OUTPUT MISMATCH, max |Δ| ${cell.maxAbsDiff}`);
        toTime.push({ cell, prepared, firstCallSeconds: first.seconds });
      } catch (error) {
        disposeQuietly(prepared);
        Object.assign(cell, { status: "failed", note: `failed: ${error.message.split("\n")[0]}` });
      }
    }
    progress(`${shape.key}: timing ${toTime.length} tools in ${ROUNDS} interleaved rounds…`);
    try {
      const stats = await timeInterleaved(
        toTime.map(({ prepared, firstCallSeconds }) => ({ run: prepared.run, firstCallSeconds })),
        { targetSeconds, rounds: ROUNDS },
      );
      stats.forEach((result, i) => {
        if (result.error) Object.assign(toTime[i].cell, { status: "failed", note: `failed: ${result.error}` });
        else Object.assign(toTime[i].cell, result);
      });
    } finally {
      for (const { prepared } of toTime) disposeQuietly(prepared);
      globalThis.gc?.();
    }
    for (const cell of cells) {
      if (cell.medianSeconds !== undefined) cell.gbPerSecond = shape.bytesMoved / cell.medianSeconds / 1e9;
      progress(
        `${shape.key} · ${cell.label}: ${cell.medianSeconds !== undefined ? `${formatSeconds(cell.medianSeconds)} × ${cell.runs}` : cell.note}`,
      );
    }
    shapes.push({ ...shape, cells });
  }
  const bandwidth = quick ? undefined : await memoryBoundBandwidth(tdfast, { targetSeconds, probe, cacheBytes, progress });
  const smallUDram = quick ? undefined : await smallUFromDram(tdfast, { targetSeconds, cacheBytes, progress });
  return { shapes, bandwidth, smallUDram };
}

/** A layer with the shape's weights on `backend`. */
function denseLayer(tdfast, { features: F, units: U, activation }, { kernel, bias }, backend) {
  return new tdfast.TimeDense({ kernel: tdfast.tensor(kernel, [F, U]), bias, activation, backend });
}

/**
 * `layer.apply` on x rotated over copies that together exceed twice the last-level cache and the bandwidth
 * probe's buffer, so that every call reads its x from DRAM, as a call on new data does. With `out`, every call
 * writes into that one array.
 * @param {any} tdfast
 * @param {any} layer
 * @param {Float32Array | Uint16Array} x
 * @param {number[]} dims
 * @param {"float16" | "float32"} dtype
 * @param {number | undefined} cacheBytes
 * @param {Float32Array} [out]
 */
function rotated(tdfast, layer, x, dims, dtype, cacheBytes, out) {
  const rotationBytes = Math.max(512 * 2 ** 20, 2 * (cacheBytes ?? 0));
  const copies = Math.max(2, Math.ceil(rotationBytes / x.byteLength));
  const tensors = Array.from({ length: copies }, (_, i) => tdfast.tensor(i === 0 ? x : x.slice(), dims, { dtype }));
  const options = out ? { out } : undefined;
  let next = 0;
  return { copies, run: async () => (await layer.apply(tensors[next++ % copies], options)).data };
}

/**
 * float16 x against the same values as float32 x on the cpu backend, each from DRAM (rotated) and, with
 * `intoOut`, writing into an `out` of its own, timed interleaved. Returns each side's timeInterleaved result
 * with its number of copies, or why it was not measured.
 * @param {any} tdfast
 * @param {any} shape
 * @param {{ targetSeconds: number, rounds?: number, cacheBytes?: number, intoOut?: boolean,
 *   progress: (line: string) => void }} options
 */
async function timeFromDram(tdfast, shape, { targetSeconds, rounds, cacheBytes, intoOut = false, progress }) {
  if (!tdfast.backends().cpu.available) return { error: "cpu backend unavailable" };
  const inputs = makeInputs(shape);
  const bits = toHalfBits(inputs.x);
  const layer = denseLayer(tdfast, shape, inputs, "cpu");
  const dims = [shape.batch, shape.time, shape.features];
  const out = () => (intoOut ? new Float32Array(shape.rows * shape.units) : undefined);
  const half = rotated(tdfast, layer, bits, dims, "float16", cacheBytes, out());
  const float = rotated(tdfast, layer, widenInJs(bits, new Float32Array(bits.length)), dims, "float32", cacheBytes, out());
  try {
    const firsts = [await timeOnce(half.run), await timeOnce(float.run)];
    progress(`${shape.key}: timing float16 and float32 x from DRAM, rotated over ${half.copies} and ${float.copies} copies…`);
    const [h, f] = await timeInterleaved(
      [half, float].map((c, i) => ({ run: c.run, firstCallSeconds: firsts[i].seconds })),
      { targetSeconds, rounds }, // rounds undefined: timeInterleaved's default
    );
    return { float16: { ...h, copies: half.copies }, float32: { ...f, copies: float.copies } };
  } finally {
    layer.dispose();
  }
}

/**
 * The memory-bound shape with float16 x rotated over copies that together exceed twice the last-level cache and
 * the probe's buffer (every call reads x from DRAM): GB/s of the bytes it must move, and that as a share of
 * the probed read bandwidth; float32 x alongside, measured the same way.
 */
/**
 * @param {any} tdfast
 * @param {{ targetSeconds: number, probe?: { bytesPerSecond?: number }, cacheBytes?: number, progress: (line: string) => void }} options
 */
/**
 * The memory-bound shape with float16 x rotated over copies that together exceed twice the last-level cache and
 * the probe's buffer (every call reads x from DRAM): GB/s of the bytes it must move, and that as a share of
 * the probed read bandwidth; float32 x alongside, measured the same way.
 */
/**
 * @param {any} tdfast
 * @param {{ targetSeconds: number, probe?: { bytesPerSecond?: number }, cacheBytes?: number, progress: (line: string) => void }} options
 */
async function memoryBoundBandwidth(tdfast, { targetSeconds, probe, cacheBytes, progress }) {
  const shape = FLOAT16_SHAPES[0];
  const timed = await timeFromDram(tdfast, shape, { targetSeconds, cacheBytes, progress });
  if (timed.error) return timed;
  const { float16: h, float32: f } = timed;
  const { features: F, units: U } = shape;
  const share = (seconds, bytes) =>
    seconds === undefined
      ? undefined
      : {
          medianSeconds: seconds,
          gbPerSecond: bytes / seconds / 1e9,
          percent: probe?.bytesPerSecond ? (100 * bytes) / seconds / probe.bytesPerSecond : undefined,
        };
  const float32Bytes = (shape.rows * F + shape.rows * U + F * U + U) * 4;
  return {
    shapeKey: shape.key,
    probeBytesPerSecond: probe?.bytesPerSecond,
    float16: { ...share(h.medianSeconds, shape.bytesMoved), runs: h.runs, copies: h.copies, bytesPerCall: shape.bytesMoved },
    float32: { ...share(f.medianSeconds, float32Bytes), runs: f.runs, copies: f.copies, bytesPerCall: float32Bytes },
  };
}

/**
 * The small-U shape (32×1000×64 → 16 relu) with x from DRAM: float16 x against float32 x, each rotated over
 * copies as above and writing into one `out`, in ROUNDS interleaved rounds. Not a target: the targets' rows
 * read one x, which stays in the last-level cache between calls, and there the two run the same multiply-adds
 * at the same speed; on new data each call, float32 x must also bring twice the bytes from DRAM.
 */
/**
 * @param {any} tdfast
 * @param {{ targetSeconds: number, cacheBytes?: number, progress: (line: string) => void }} options
 */
async function smallUFromDram(tdfast, { targetSeconds, cacheBytes, progress }) {
  const shape = FLOAT16_SHAPES[1];
  const timed = await timeFromDram(tdfast, shape, { targetSeconds, rounds: ROUNDS, cacheBytes, intoOut: true, progress });
  if (timed.error) return timed;
  const { float16: h, float32: f } = timed;
  if (h.error || f.error) return { error: h.error ?? f.error };
  return {
    shapeKey: shape.key,
    float16: { medianSeconds: h.medianSeconds, runs: h.runs, copies: h.copies },
    float32: { medianSeconds: f.medianSeconds, runs: f.runs, copies: f.copies },
    perRound: pairedRatios(h.roundMedians, f.roundMedians),
  };
}

/** Report lines for the float16 rows. */
export function float16Lines(result) {
  const lines = ["", "float16 x (cpu backend; float32 results):"];
  if (result.error) return [...lines, `  not run: ${result.error}`];
  for (const shape of result.shapes) {
    lines.push(`  ${shape.key}`);
    const byId = (id) => shape.cells.find((c) => c.toolId === id)?.medianSeconds;
    for (const cell of shape.cells) {
      // rows into `out` against float16 x into `out`, the others against float16 x with fresh results
      const intoOut = cell.toolId.endsWith("-out");
      const base = byId(intoOut ? "tdfast-cpu-f16-out" : "tdfast-cpu-f16");
      const ratio =
        base !== undefined && cell.medianSeconds !== undefined
          ? ` ${(cell.medianSeconds / base).toFixed(2)}× float16 x's time${intoOut ? " into out" : ""}`
          : "";
      const time = cell.medianSeconds !== undefined ? `${formatSeconds(cell.medianSeconds)} (${cell.runs} runs)${ratio}` : cell.note;
      lines.push(`    ${cell.label.padEnd(48)} ${time}${cell.mismatch ? "  OUTPUT MISMATCH" : ""}`);
    }
  }
  const b = result.bandwidth;
  if (b && !b.error) {
    const describe = (name, m) =>
      m?.gbPerSecond === undefined
        ? `    ${name}: not measured`
        : `    ${name}: ${formatSeconds(m.medianSeconds)}, ${m.gbPerSecond.toFixed(2)} GB/s of ${(m.bytesPerCall / 1e6).toFixed(1)} MB per call` +
          (m.percent === undefined ? "" : `, ${m.percent.toFixed(0)}% of the probed read bandwidth`);
    lines.push(`  ${b.shapeKey}, x from DRAM (rotated copies):`, describe("float16 x", b.float16), describe("float32 x", b.float32));
  }
  const d = result.smallUDram;
  if (d) {
    lines.push(`  ${d.shapeKey ?? FLOAT16_SHAPES[1].key}, x from DRAM (rotated copies), into out (not a target):`);
    if (d.error) {
      lines.push(`    not measured: ${d.error}`);
    } else {
      const interval = d.perRound
        ? `; round by round ${d.perRound.median.toFixed(2)}×, 95% interval ${d.perRound.low.toFixed(2)}–${d.perRound.high.toFixed(2)}×`
        : "";
      lines.push(
        `    float16 x: ${formatSeconds(d.float16.medianSeconds)} (${d.float16.runs} runs over ${d.float16.copies} copies)`,
        `    float32 x: ${formatSeconds(d.float32.medianSeconds)} (${d.float32.runs} runs over ${d.float32.copies} copies)`,
        `    float16 x ${(d.float32.medianSeconds / d.float16.medianSeconds).toFixed(2)}× faster${interval}`,
      );
    }
  }
  return lines;
}

// `node --expose-gc bench/float16.mjs [seconds]`: these rows alone (the probe is used when run.mjs has built it).
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { execFileSync } = await import("node:child_process");
  let probe;
  try {
    const binary = fileURLToPath(new URL("../build-bench/bandwidth", import.meta.url));
    probe = JSON.parse(execFileSync(binary, [String(512 * 2 ** 20), "5"], { encoding: "utf8" }));
  } catch {
    probe = undefined;
  }
  const log = (line) => process.stderr.write(`${line}\n`);
  const result = await benchmarkFloat16({ targetSeconds: Number(process.argv[2] ?? 1), probe, progress: log });
  const { checkTargets, FLOAT16_TARGETS } = await import("./targets.mjs");
  const { targetLine } = await import("./report.mjs");
  process.stdout.write(`${[...float16Lines(result), "", ...checkTargets(result.shapes, FLOAT16_TARGETS).map(targetLine)].join("\n")}\n`);
  if (probe) process.stdout.write(`probed read bandwidth: ${(probe.bytesPerSecond / 1e9).toFixed(2)} GB/s\n`);
}
