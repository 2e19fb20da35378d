#!/usr/bin/env node
// tdfast benchmark: tdfast on every backend vs onnxruntime-node, TensorFlow.js and a plain JS loop, on the same
// random inputs, in one process. Build first (npm run build:ts; `npm run bench` does it).
//
//   node bench/run.mjs [--quick] [--strict] [--seconds=1] [--max-call-seconds=5] [--tfjs-backend=fastest|wasm|cpu]
//
//   --quick              smallest shape only, short cells (CI: checks the benchmark still runs)
//   --strict             exit 1 when a target is missed (an output mismatch always exits 1)
//   --seconds            measuring time per tool and shape (default 1, quick 0.15)
//   --max-call-seconds   skip a tool on a shape where one call would take longer (default 5)
//   --tfjs-backend       TensorFlow.js backend; by default each tfjs tool takes the faster of wasm and cpu
//
// Progress goes to stderr, the report to stdout; JSON and an SVG chart go to bench/results/.

import { execFileSync } from "node:child_process";
import fs, { readdirSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

import { benchmarkFloat16, float16Lines } from "./float16.mjs";
import { idleEventLoopGap, largestEventLoopGap, maxAbsDiff, timeInterleaved, timeOnce } from "./measure.mjs";
import { formatSeconds, MISMATCH_TOLERANCE, machineLines, targetLine, textReport, writeResults } from "./report.mjs";
import { LARGE_SHAPE, makeInputs, SHAPES } from "./shapes.mjs";
import { checkTargets, FLOAT16_TARGETS } from "./targets.mjs";
import { benchmarkTfjsModels } from "./tfjs-models.mjs";
import { allTools, BASELINE_ID, REFERENCE_ID } from "./tools/index.mjs";
import { timeDistributedDenseLoop } from "./tools/plain-js.mjs";
import { loadTdfast, nativeAddon } from "./tools/tdfast.mjs";

const { values: args } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    strict: { type: "boolean", default: false },
    seconds: { type: "string" },
    "max-call-seconds": { type: "string", default: "5" },
    "tfjs-backend": { type: "string", default: "fastest" },
  },
});
const options = {
  quick: args.quick,
  strict: args.strict,
  targetSeconds: Number(args.seconds ?? (args.quick ? 0.15 : 1)),
  maxCallSeconds: Number(args["max-call-seconds"]),
  tfjsBackend: args["tfjs-backend"],
};
const RESULTS_DIR = fileURLToPath(new URL("./results", import.meta.url));
const EVENT_LOOP_TOOLS = ["tdfast-cpu", "onnxruntime"];
/** Compared with the memory bandwidth on the large shape: tdfast's backends, and onnxruntime-node for scale. */
const isBandwidthTool = (id) => id.startsWith("tdfast") || id === BASELINE_ID;

const progress = (line) => process.stderr.write(`${line}\n`);
const collectGarbage = () => globalThis.gc?.();

function disposeQuietly(prepared) {
  try {
    prepared?.dispose();
  } catch (error) {
    progress(`warning: dispose failed: ${error.message.split("\n")[0]}`);
  }
}

/** Bytes of the largest (last-level) CPU cache, from sysfs; undefined where it cannot be read. */
function lastLevelCacheBytes() {
  try {
    const dir = "/sys/devices/system/cpu/cpu0/cache";
    const sizes = readdirSync(dir)
      .filter((name) => name.startsWith("index"))
      .map((name) => readFileSync(`${dir}/${name}/size`, "utf8").trim())
      .map((text) => Number.parseInt(text, 10) * ({ K: 2 ** 10, M: 2 ** 20, G: 2 ** 30 }[text.at(-1)] ?? 1));
    return Math.max(...sizes);
  } catch {
    return undefined;
  }
}

async function machineInfo(tdfast) {
  const cpus = os.cpus();
  const addon = nativeAddon();
  const info = addon.binding?.info();
  return {
    date: new Date().toISOString(),
    cpu: cpus[0]?.model.trim() ?? "unknown",
    cores: cpus.length,
    memoryGB: Math.round(os.totalmem() / 2 ** 30),
    lastLevelCacheBytes: lastLevelCacheBytes(),
    platform: `${process.platform}-${process.arch}`,
    node: process.versions.node,
    nativeInfo: info ? `${info.simd}, ${info.threads} threads` : "not loaded",
    loadAverage: os.loadavg(),
    tdfastBackends: tdfast?.backends() ?? null,
    ...options,
  };
}

const PROBE_BYTES = 512 * 2 ** 20;
const PROBE_REPEATS = 5;

/**
 * The machine's multi-threaded streaming read bandwidth: the ceiling for memory-bound shapes, measured by
 * bench/probe/bandwidth.cc (a standalone program over tdfast's thread pool, built here on first use; not part
 * of the addon). Probed just before and just after the large-shape measurement, since on a shared (virtual)
 * machine it drifts; the higher of the two is the reference for the percentages (the conservative choice).
 */
function probeMemoryBandwidth() {
  const root = fileURLToPath(new URL("..", import.meta.url));
  const binary = path.join(root, "build-bench", "bandwidth");
  try {
    if (!fs.existsSync(binary)) {
      fs.mkdirSync(path.dirname(binary), { recursive: true });
      const sources = ["bench/probe/bandwidth.cc", "native/cpu/thread_pool.cc"].map((file) => path.join(root, file));
      execFileSync(process.env.CXX ?? "c++", ["-std=c++17", "-O3", "-pthread", ...sources, "-o", binary], { stdio: "pipe" });
    }
    const { bytesPerSecond } = JSON.parse(execFileSync(binary, [String(PROBE_BYTES), String(PROBE_REPEATS)], { encoding: "utf8" }));
    return { bytesPerSecond, bufferBytes: PROBE_BYTES, repeats: PROBE_REPEATS };
  } catch (cause) {
    return { error: `bandwidth probe failed: ${String(cause.stderr ?? cause.message).split("\n")[0]}` };
  }
}

/** The smallest shape's median per tool, which estimates the cost of one call on larger shapes. */
const firstMedians = new Map();
const defaultCost = (s) => s.rows * (s.features * s.units + s.features + s.units);

function estimateSeconds(tool, shape) {
  const first = firstMedians.get(tool.id);
  if (!first || first.shape === shape) return undefined;
  const cost = (s) => tool.relativeCost?.(s) ?? defaultCost(s);
  return first.seconds * (cost(shape) / cost(first.shape));
}

/**
 * One tool on one shape in the table; timeInterleaved's statistics are added to it as they come.
 * @typedef {{
 *   toolId: string, label: string, status: string, note?: string, estimatedSeconds?: number,
 *   firstCallSeconds?: number, isReference?: boolean, maxAbsDiff?: number, mismatch?: boolean,
 *   runs?: number, medianSeconds?: number, gbPerSecond?: number, gflopPerSecond?: number, vsBaseline?: number,
 * }} Cell
 */

/**
 * Sets a tool up for a shape and makes its first call, timed and checked against the reference output.
 * Returns the table cell and, when the tool is to be timed further, its prepared state. Never throws.
 */
async function prepareCell(tool, shape, inputs, reference) {
  /** @type {Cell} */
  const cell = { toolId: tool.id, label: tool.label, status: "measured" };
  const estimate = estimateSeconds(tool, shape);
  if (estimate > options.maxCallSeconds)
    return { cell: { ...cell, status: "skipped", estimatedSeconds: estimate, note: `skipped: est. ${formatSeconds(estimate)}/call` } };
  let prepared;
  try {
    prepared = await tool.setup(shape, inputs);
    const first = await timeOnce(prepared.run);
    cell.firstCallSeconds = first.seconds;
    if (tool.id === reference.toolId) cell.isReference = true;
    else if (reference.output) {
      cell.maxAbsDiff = maxAbsDiff(first.output, reference.output);
      cell.mismatch = !(cell.maxAbsDiff <= MISMATCH_TOLERANCE);
    }
    if (first.seconds <= options.maxCallSeconds) return { cell, prepared, output: first.output };
    // Too slow to repeat: the one (cold) call is the only sample.
    Object.assign(cell, { runs: 1, medianSeconds: first.seconds, note: `1 cold call (over ${options.maxCallSeconds} s)` });
    disposeQuietly(prepared);
    return { cell, output: first.output };
  } catch (error) {
    disposeQuietly(prepared);
    return { cell: { ...cell, status: "failed", note: `failed: ${error.message.split("\n")[0]}` } };
  }
}

/** Times prepared tools against each other (interleaved rounds), fills in their cells, and disposes them. */
async function timePrepared(entries) {
  try {
    const stats = await timeInterleaved(
      entries.map(({ cell, prepared }) => ({ run: prepared.run, firstCallSeconds: cell.firstCallSeconds })),
      { targetSeconds: options.targetSeconds },
    );
    stats.forEach((result, i) => {
      if (result.error) Object.assign(entries[i].cell, { status: "failed", note: `failed: ${result.error}` });
      else Object.assign(entries[i].cell, result);
    });
  } finally {
    for (const { prepared } of entries) disposeQuietly(prepared);
    collectGarbage();
  }
}

async function benchmarkShape(shape, index, shapeCount, tools) {
  const tag = `[${index + 1}/${shapeCount}] ${shape.key}`;
  const inputs = makeInputs(shape);
  // Reference output: tdfast cpu's (prepared first); a plain JS loop's (untimed) when the cpu backend cannot run.
  const reference = { toolId: REFERENCE_ID, output: undefined };
  const useLoopReference = () => {
    reference.toolId = "plain-js-reference";
    reference.output = timeDistributedDenseLoop(
      inputs.x,
      inputs.kernel,
      inputs.bias,
      shape.rows,
      shape.features,
      shape.units,
      shape.activation,
    );
  };
  if (!tools.some((tool) => tool.id === REFERENCE_ID)) useLoopReference();
  const cells = [];
  const toTime = [];
  for (const tool of tools) {
    const { cell, prepared, output } = await prepareCell(tool, shape, inputs, reference);
    if (tool.id === REFERENCE_ID) {
      if (output) reference.output = output;
      else useLoopReference();
    }
    if (cell.mismatch) progress(`${tag} · ${tool.label}: OUTPUT MISMATCH, max |Δ| ${cell.maxAbsDiff} vs ${reference.toolId}`);
    cells.push(cell);
    if (prepared) toTime.push({ cell, prepared });
  }
  progress(`${tag}: timing ${toTime.length} tools in interleaved rounds…`);
  await timePrepared(toTime);

  const baseline = cells.find((c) => c.toolId === BASELINE_ID)?.medianSeconds;
  for (const cell of cells) {
    if (cell.medianSeconds !== undefined) {
      cell.gbPerSecond = shape.bytesMoved / cell.medianSeconds / 1e9;
      cell.gflopPerSecond = shape.flops / cell.medianSeconds / 1e9;
      if (baseline) cell.vsBaseline = baseline / cell.medianSeconds;
      if (!firstMedians.has(cell.toolId)) firstMedians.set(cell.toolId, { shape, seconds: cell.medianSeconds });
    }
    progress(
      `${tag} · ${cell.label}: ${cell.medianSeconds !== undefined ? `${formatSeconds(cell.medianSeconds)} × ${cell.runs}` : cell.note}`,
    );
  }
  return { ...shape, referenceToolId: reference.toolId, baselineId: BASELINE_ID, cells };
}

/**
 * The large shape's throughput as a share of the probed memory bandwidth, two ways: with the one input of the
 * table (which a large last-level cache may hold between calls) and with the input rotated over copies that
 * together are at least twice the cache and the probe's buffer, so every call reads x from DRAM.
 */
async function measureLargeShapeBandwidth(large, tools, cacheBytes) {
  progress("measuring memory read bandwidth…");
  const probeBefore = probeMemoryBandwidth();
  if (!probeBefore.bytesPerSecond)
    return { shapeKey: LARGE_SHAPE.key, bytesPerCall: LARGE_SHAPE.bytesMoved, probe: probeBefore, tools: [] };
  const inputs = makeInputs(LARGE_SHAPE);
  const rotationBytes = Math.max(PROBE_BYTES, 2 * (cacheBytes ?? 0));
  const copies = Math.max(2, Math.ceil(rotationBytes / inputs.x.byteLength));
  const inputCopies = [inputs.x, ...Array.from({ length: copies - 1 }, () => inputs.x.slice())];
  const entries = [];
  const toTime = [];
  for (const tool of tools.filter((t) => isBandwidthTool(t.id))) {
    const entry = { toolId: tool.id, label: tool.label, oneInputSeconds: large.cells.find((c) => c.toolId === tool.id)?.medianSeconds };
    entries.push(entry);
    const prepared = [];
    try {
      for (const x of inputCopies) prepared.push(await tool.setup(LARGE_SHAPE, { ...inputs, x }));
      let next = 0;
      const run = () => prepared[next++ % copies].run();
      const first = await timeOnce(run);
      toTime.push({ entry, cell: { firstCallSeconds: first.seconds }, prepared: { run, dispose: () => prepared.forEach(disposeQuietly) } });
    } catch (error) {
      entry.error = error.message.split("\n")[0];
      prepared.forEach(disposeQuietly);
    }
  }
  progress(`bandwidth: timing ${toTime.length} tools with inputs rotated over ${copies} copies…`);
  await timePrepared(toTime);
  const probeAfter = probeMemoryBandwidth();
  const probe = { ...probeBefore, before: probeBefore.bytesPerSecond, after: probeAfter.bytesPerSecond };
  probe.bytesPerSecond = Math.max(probe.before, probe.after ?? 0);
  const share = (seconds) =>
    seconds === undefined
      ? undefined
      : {
          medianSeconds: seconds,
          gbPerSecond: LARGE_SHAPE.bytesMoved / seconds / 1e9,
          percent: (100 * LARGE_SHAPE.bytesMoved) / seconds / probe.bytesPerSecond,
        };
  for (const entry of entries) entry.oneInput = share(entry.oneInputSeconds);
  for (const { entry, cell } of toTime) {
    if (cell.medianSeconds === undefined) entry.error = cell.note;
    else Object.assign(entry, { rotatedInputs: share(cell.medianSeconds), rotatedRuns: cell.runs });
    progress(`bandwidth · ${entry.label}: ${entry.error ?? `${entry.rotatedInputs.gbPerSecond.toFixed(2)} GB/s`}`);
  }
  return {
    shapeKey: LARGE_SHAPE.key,
    bytesPerCall: LARGE_SHAPE.bytesMoved,
    probe,
    copies,
    rotatedBytes: copies * inputs.x.byteLength,
    cacheBytes,
    tools: entries,
  };
}

/** How long the event loop stalls while each async tool computes the large shape. */
async function measureEventLoop(tools) {
  const inputs = makeInputs(LARGE_SHAPE);
  const calls = 10;
  const idle = await idleEventLoopGap();
  /** @type {{ toolId: string, label: string, error?: string, largestGapSeconds?: number, busySeconds?: number, calls?: number }[]} */
  const entries = [];
  for (const tool of tools.filter((t) => EVENT_LOOP_TOOLS.includes(t.id))) {
    let prepared;
    try {
      prepared = await tool.setup(LARGE_SHAPE, inputs);
      await prepared.run(); // warm
      entries.push({ toolId: tool.id, label: tool.label, ...(await largestEventLoopGap(prepared.run, calls)) });
    } catch (error) {
      entries.push({ toolId: tool.id, label: tool.label, error: error.message.split("\n")[0] });
    } finally {
      disposeQuietly(prepared);
    }
    const last = entries.at(-1);
    progress(`event loop · ${tool.label}: largest gap ${last.error ?? formatSeconds(last.largestGapSeconds)}`);
  }
  return { shapeKey: LARGE_SHAPE.key, calls, idle, tools: entries };
}

/** @typedef {{ id: string, label: string, family: string, available: boolean, reason?: string, detail?: string }} ToolInfo */
/**
 * The report's meta: the machine and the options, then what main() adds.
 * @typedef {Awaited<ReturnType<typeof machineInfo>> & { tools?: ToolInfo[], baselineLabel?: string, loadAverageAtEnd?: number[] }} Meta
 */

async function main() {
  const tdfast = await loadTdfast();
  /** @type {Meta} */
  const meta = await machineInfo(tdfast);
  for (const line of machineLines(meta)) progress(line);
  if (meta.loadAverage[0] > 0.5)
    progress(`note: load average ${meta.loadAverage[0].toFixed(2)} — other work on this machine will slow and scatter the timings`);

  const tools = allTools();
  meta.tools = [];
  for (const tool of tools) {
    const availability = await tool.init(options);
    meta.tools.push({ id: tool.id, label: tool.label, family: tool.family, ...availability });
    progress(availability.available ? `tool: ${tool.label}` : `tool: ${tool.label} — not available: ${availability.reason}`);
  }
  const available = tools.filter((tool) => meta.tools.find((t) => t.id === tool.id).available);
  meta.baselineLabel = "ORT";

  const shapesToRun = options.quick ? SHAPES.slice(0, 1) : SHAPES;
  const shapes = [];
  for (const [index, shape] of shapesToRun.entries()) shapes.push(await benchmarkShape(shape, index, shapesToRun.length, available));

  const large = shapes.find((s) => s.key === LARGE_SHAPE.key);
  const largeShapeBandwidth = large ? await measureLargeShapeBandwidth(large, available, meta.lastLevelCacheBytes) : undefined;

  const eventLoop = large ? await measureEventLoop(available) : undefined;
  const { probe } = largeShapeBandwidth ?? {};
  const float16 = await benchmarkFloat16({ ...options, probe, cacheBytes: meta.lastLevelCacheBytes, progress });
  // Whole TensorFlow.js models before and after tdfast/tfjs's accelerate() (bench/tfjs-models.mjs).
  const tfjsModels = await benchmarkTfjsModels(options, progress);
  const targets = [...checkTargets(shapes), ...checkTargets(float16.shapes, FLOAT16_TARGETS), ...tfjsModels.targets];
  const mismatches = shapes.flatMap((s) =>
    s.cells.filter((c) => c.mismatch).map((c) => ({ shapeKey: s.key, label: c.label, maxAbsDiff: c.maxAbsDiff })),
  );
  mismatches.push(...tfjsModels.mismatches);
  meta.loadAverageAtEnd = os.loadavg();

  mismatches.push(
    ...float16.shapes.flatMap((s) =>
      s.cells.filter((c) => c.mismatch).map((c) => ({ shapeKey: s.key, label: c.label, maxAbsDiff: c.maxAbsDiff })),
    ),
  );
  const run = { meta, shapes, largeShapeBandwidth, eventLoop, float16, tfjsModels, targets, mismatches };
  process.stdout.write(`\n${textReport(run)}\n${float16Lines(float16).join("\n")}\n`);
  const files = writeResults(run, RESULTS_DIR, options.quick ? "-quick" : "");
  process.stdout.write(`\nWrote ${files.jsonPath}\n      ${files.svgPath}\n`);

  const missed = targets.filter((t) => t.status === "MISS");
  if (mismatches.length) process.exitCode = 1;
  if (options.strict && missed.length) {
    progress(`--strict: ${missed.length} target(s) missed:\n${missed.map(targetLine).join("\n")}`);
    process.exitCode = 1;
  }
}

await main();
