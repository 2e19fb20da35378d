// Presentation of a finished run: the text table, the JSON file and a hand-written SVG chart.

import { mkdirSync, writeFileSync } from "node:fs";

import { tfjsModelLines } from "./tfjs-models.mjs";

export const MISMATCH_TOLERANCE = 1e-4;

// ── formatting ────────────────────────────────────────────────────────────────────────────────────────────

export function formatSeconds(seconds) {
  if (seconds === undefined || !Number.isFinite(seconds)) return "—";
  if (seconds < 1e-6) return `${(seconds * 1e9).toPrecision(3)} ns`;
  if (seconds < 1e-3) return `${(seconds * 1e6).toPrecision(3)} µs`;
  if (seconds < 1) return `${(seconds * 1e3).toPrecision(3)} ms`;
  return `${seconds.toPrecision(3)} s`;
}

const formatRate = (value) =>
  value === undefined ? "—" : value >= 100 ? value.toFixed(0) : value >= 0.01 ? value.toPrecision(3) : value.toExponential(1);
const formatRatio = (ratio) => (ratio === undefined ? "—" : `${ratio >= 100 ? ratio.toFixed(0) : ratio.toPrecision(3)}×`);
/** Baseline median / tool median, said as "N× faster" or "N× slower" so no one has to read 0.0003×. */
const formatSpeedup = (cell) =>
  cell.toolId === cell.baselineId
    ? "baseline"
    : cell.vsBaseline === undefined
      ? "—"
      : cell.vsBaseline >= 1
        ? `${formatRatio(cell.vsBaseline)} faster`
        : `${formatRatio(1 / cell.vsBaseline)} slower`;
const formatBytes = (bytes) =>
  bytes >= 1e9 ? `${(bytes / 1e9).toFixed(2)} GB` : bytes >= 1e6 ? `${(bytes / 1e6).toFixed(1)} MB` : `${(bytes / 1e3).toFixed(1)} kB`;
const formatFlops = (flops) => (flops >= 1e9 ? `${(flops / 1e9).toFixed(2)} GFLOP` : `${(flops / 1e6).toFixed(2)} MFLOP`);

function formatDiff(cell) {
  if (cell.isReference) return "reference";
  if (cell.maxAbsDiff === undefined) return "—";
  const value = Number.isNaN(cell.maxAbsDiff) ? "NaN" : cell.maxAbsDiff.toExponential(1);
  return cell.mismatch ? `MISMATCH ${value}` : value;
}

/** Rows of strings → lines with each column padded to its widest entry (first column left, others right). */
function alignColumns(rows) {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => (row[i] ?? "").length)));
  return rows.map((row) =>
    row
      .map((text, i) => (i === 0 ? text.padEnd(widths[i]) : text.padStart(widths[i])))
      .join("  ")
      .trimEnd(),
  );
}

// ── text report ───────────────────────────────────────────────────────────────────────────────────────────

export function machineLines(meta) {
  return [
    `tdfast benchmark · ${meta.date}${meta.quick ? " · QUICK mode (smallest shape only)" : ""}`,
    `CPU: ${meta.cpu} · ${meta.cores} logical cores · ${meta.memoryGB} GB RAM · ${meta.platform}`,
    `Node ${meta.node} · tdfast native: ${meta.nativeInfo} · load average at start ${meta.loadAverage.map((l) => l.toFixed(2)).join(" ")}`,
  ];
}

export function shapeTable(shape, baselineLabel) {
  const referenceName = shape.referenceToolId === "tdfast-cpu" ? "cpu" : "JS loop";
  const header = ["tool", "median", "runs", "GB/s", "GFLOP/s", `vs ${baselineLabel}`, `max|Δ| vs ${referenceName}`];
  const rows = [header];
  for (const cell of shape.cells) {
    if (cell.status !== "measured") {
      rows.push([cell.label, cell.note]);
      continue;
    }
    rows.push([
      cell.label,
      formatSeconds(cell.medianSeconds),
      String(cell.runs),
      formatRate(cell.gbPerSecond),
      formatRate(cell.gflopPerSecond),
      formatSpeedup({ ...cell, baselineId: shape.baselineId }),
      formatDiff(cell),
    ]);
  }
  // Skipped/failed rows carry their note in the second column; keep it from widening the time column.
  const measuredRows = rows.filter((row) => row.length > 2);
  const lines = alignColumns(measuredRows);
  const noteIndent = Math.max(...rows.map((row) => row[0].length));
  let measured = 0;
  const out = [`── ${shape.key}   (${shape.rows} rows · ${formatBytes(shape.bytesMoved)} moved · ${formatFlops(shape.flops)})`];
  for (const row of rows) out.push(row.length > 2 ? lines[measured++] : `${row[0].padEnd(noteIndent)}  ${row[1]}`);
  return out.join("\n");
}

export function textReport(run) {
  const out = [...machineLines(run.meta), ""];
  const unavailable = run.meta.tools.filter((t) => !t.available);
  for (const tool of run.meta.tools.filter((t) => t.available && t.detail)) out.push(`${tool.label}: ${tool.detail}`);
  for (const tool of unavailable) out.push(`not available: ${tool.label} — ${tool.reason}`);
  out.push(
    "",
    "Median time per call after warm-up (inputs prepared once, weights/sessions prepared untimed). GB/s counts the",
    'bytes that must move ((rows·F + rows·U + F·U + U)·4); GFLOP/s counts 2·rows·F·U. "vs ORT" compares medians',
    "with onnxruntime-node used directly. max|Δ| is the largest difference from tdfast cpu's output (from a plain",
    "JS loop's where tdfast cpu cannot run); over 1e-4 is reported as a MISMATCH.",
    "",
  );
  const baselineLabel = run.meta.baselineLabel;
  for (const shape of run.shapes) out.push(shapeTable(shape, baselineLabel), "");

  out.push(...bandwidthLines(run));

  if (run.eventLoop) {
    out.push(
      "",
      `Largest event-loop gap (1 ms setInterval) during ${run.eventLoop.calls} back-to-back async calls on ${run.eventLoop.shapeKey}:`,
    );
    const rows = [["  idle (nothing running)", formatSeconds(run.eventLoop.idle.largestGapSeconds), ""]];
    for (const entry of run.eventLoop.tools)
      rows.push([
        `  ${entry.label}`,
        entry.error ? "failed" : formatSeconds(entry.largestGapSeconds),
        entry.error ?? `(calls took ${formatSeconds(entry.busySeconds / entry.calls)} each)`,
      ]);
    out.push(...alignColumns(rows));
  }

  if (run.tfjsModels) out.push("", ...tfjsModelLines(run.tfjsModels));

  out.push("", "Targets (tdfast cpu apply() vs the named tool, ratio of medians in this run):");
  for (const target of run.targets) out.push(targetLine(target));
  if (run.mismatches.length) {
    out.push("", "!!! OUTPUT MISMATCH: these results do not agree with tdfast cpu (tolerance 1e-4) !!!");
    for (const m of run.mismatches) out.push(`!!!   ${m.label} on ${m.shapeKey}: max |Δ| = ${m.maxAbsDiff}`);
  }
  return out.join("\n");
}

function bandwidthLines({ largeShapeBandwidth: large, meta }) {
  const cache = meta.lastLevelCacheBytes ? ` · last-level cache ${formatBytes(meta.lastLevelCacheBytes)}` : "";
  if (!large) return [`Memory read bandwidth: not measured (only with the large shape, not in quick mode)${cache}`];
  const { probe } = large;
  const gbps = (bytesPerSecond) => `${(bytesPerSecond / 1e9).toFixed(2)} GB/s`;
  const out = [
    probe.bytesPerSecond
      ? `Memory read bandwidth (native probe: ${formatBytes(probe.bufferBytes)} buffer, ${probe.repeats} passes, median): ${gbps(probe.bytesPerSecond)}` +
        ` (before ${gbps(probe.before)}, after ${probe.after ? gbps(probe.after) : "—"})${cache}`
      : `Memory read bandwidth: not measured (${probe.error})${cache}`,
  ];
  if (!large.tools.length) return out;
  const percent = (share) => (share?.percent === undefined ? "" : ` = ${share.percent.toFixed(0)}%`);
  const column = (share) => (share ? `${share.gbPerSecond.toFixed(2)} GB/s${percent(share)}` : "—");
  out.push(`${large.shapeKey}, bytes that must move per call ${formatBytes(large.bytesPerCall)}, as GB/s and % of the probe:`);
  const rows = [["", "one input (table)", `${large.copies} inputs rotated (${formatBytes(large.rotatedBytes)}, from DRAM)`]];
  for (const entry of large.tools)
    rows.push([`  ${entry.label}`, column(entry.oneInput), entry.error ? `failed: ${entry.error}` : column(entry.rotatedInputs)]);
  out.push(...alignColumns(rows));
  if (large.cacheBytes && large.cacheBytes >= large.bytesPerCall)
    out.push(
      `  note: the ${formatBytes(large.bytesPerCall)} a call touches fit in the ${formatBytes(large.cacheBytes)} last-level cache, so with one input`,
      "  repeated calls read x from cache and can beat the DRAM probe; the rotated column is the memory-bound figure.",
    );
  return out;
}

export function targetLine(target) {
  const what = target.what ?? `${target.shapeKey}: ${target.toolLabel ?? "tdfast cpu"} vs ${target.versusLabel}`;
  if (target.status === "SKIP") return `SKIP  ${what}: ${target.reason} (target ≥ ${target.atLeast}× faster)`;
  const speed = target.speedup >= 1 ? `${formatRatio(target.speedup)} faster` : `${formatRatio(1 / target.speedup)} slower`;
  const round = target.perRound;
  const perRound = round
    ? `; round by round ${round.median.toFixed(2)}×, 95% interval ${round.low.toFixed(2)}–${round.high.toFixed(2)}× over ${round.rounds} rounds`
    : "";
  const goal =
    target.noSlower && round
      ? "target: no slower beyond the run's noise, i.e. the interval reaches 1×"
      : `target ≥ ${target.atLeast}× faster`;
  const verdict = `${speed} (${goal}${perRound})`;
  if (target.status === "PASS") return `PASS  ${what}: ${verdict}`;
  if (target.noSlower && round) return `MISS  ${what}: ${verdict}, slower beyond the noise`;
  const shortBy = (1 - target.speedup / target.atLeast) * 100;
  return `MISS  ${what}: ${verdict}, ${shortBy.toFixed(0)}% short`;
}

// ── files ─────────────────────────────────────────────────────────────────────────────────────────────────

export function writeResults(run, directory, suffix) {
  mkdirSync(directory, { recursive: true });
  const jsonPath = `${directory}/results${suffix}.json`;
  const svgPath = `${directory}/chart${suffix}.svg`;
  writeFileSync(jsonPath, `${JSON.stringify(run, null, 2)}\n`);
  writeFileSync(svgPath, svgChart(run));
  return { jsonPath, svgPath };
}

// ── SVG chart: median time per call, grouped by shape, one bar per tool, log-scale y axis ───────────────

// One hue family per tool family, so tdfast's backends read as one group against the others.
const FAMILY_COLORS = {
  tdfast: ["#1f5fbf", "#6fa3ef", "#0f9d8a", "#7fd1c3", "#5a3fc0", "#a996e8"],
  onnxruntime: ["#333333"],
  tfjs: ["#e8710a", "#c5221f"],
  "plain-js": ["#b0b0b0"],
};
const FALLBACK_COLORS = ["#9334e6", "#f2c94c", "#8d6e63"];

function toolColors(tools) {
  const used = new Map();
  return new Map(
    tools.map((tool, i) => {
      const palette = FAMILY_COLORS[tool.family] ?? FALLBACK_COLORS;
      const index = used.get(tool.family) ?? 0;
      used.set(tool.family, index + 1);
      return [tool.id, palette[index % palette.length] ?? FALLBACK_COLORS[i % FALLBACK_COLORS.length]];
    }),
  );
}

/** "1 µs", "10 µs", "100 µs", "1 ms", … for the axis of 10^decade seconds. */
function decadeLabel(decade) {
  /** @type {[unit: string, exponent: number][]} */
  const units = [
    ["ns", -9],
    ["µs", -6],
    ["ms", -3],
    ["s", 0],
  ];
  const [unit, exponent] = units.findLast(([, e]) => decade >= e) ?? units[0];
  return `${10 ** (decade - exponent)} ${unit}`;
}

const escapeXml = (text) =>
  String(text).replace(/[<>&"']/g, (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;", "'": "&apos;" })[c]);

export function svgChart(run) {
  const tools = run.meta.tools.filter((t) => t.available);
  const color = toolColors(tools);
  const medians = run.shapes.flatMap((s) => s.cells.map((c) => c.medianSeconds)).filter((v) => v > 0);
  const lowDecade = Math.floor(Math.log10(Math.min(...medians, 1e-5)));
  const highDecade = Math.ceil(Math.log10(Math.max(...medians, 1e-3)));

  const barWidth = 13;
  const groupGap = 34;
  const groupWidth = tools.length * barWidth + groupGap;
  const margin = { left: 90, right: 280, top: 56, bottom: 70 };
  const plotWidth = Math.max(run.shapes.length * groupWidth, 300);
  const plotHeight = 380;
  const width = margin.left + plotWidth + margin.right;
  const height = margin.top + plotHeight + margin.bottom;
  const y = (seconds) => +(margin.top + plotHeight * (1 - (Math.log10(seconds) - lowDecade) / (highDecade - lowDecade))).toFixed(1);
  const baseline = margin.top + plotHeight;

  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${margin.left}" y="24" font-size="16" font-weight="bold">TimeDistributed(Dense): median time per call (lower is better)</text>`,
    `<text x="${margin.left}" y="42" fill="#555">${escapeXml(`${run.meta.cpu} · ${run.meta.cores} cores · Node ${run.meta.node} · ${run.meta.date}`)}</text>`,
  ];
  // Decade gridlines and labels.
  for (let decade = lowDecade; decade <= highDecade; decade++) {
    const gy = y(10 ** decade);
    parts.push(`<line x1="${margin.left}" x2="${margin.left + plotWidth}" y1="${gy}" y2="${gy}" stroke="#ddd"/>`);
    parts.push(`<text x="${margin.left - 8}" y="${gy + 4}" text-anchor="end">${decadeLabel(decade)}</text>`);
  }
  parts.push(`<line x1="${margin.left}" x2="${margin.left}" y1="${margin.top}" y2="${baseline}" stroke="#333"/>`);
  parts.push(`<line x1="${margin.left}" x2="${margin.left + plotWidth}" y1="${baseline}" y2="${baseline}" stroke="#333"/>`);
  const yMid = margin.top + plotHeight / 2;
  parts.push(`<text transform="translate(22 ${yMid}) rotate(-90)" text-anchor="middle">median time per call (log scale)</text>`);
  parts.push(
    `<text x="${margin.left + plotWidth / 2}" y="${height - 14}" text-anchor="middle">shape: batch×time×features→units, activation</text>`,
  );

  run.shapes.forEach((shape, g) => {
    const groupX = margin.left + g * groupWidth + groupGap / 2;
    tools.forEach((tool, i) => {
      const cell = shape.cells.find((c) => c.toolId === tool.id);
      const x = groupX + i * barWidth;
      if (cell?.medianSeconds > 0) {
        const top = y(cell.medianSeconds);
        const tip = `${tool.label} · ${shape.key}: ${formatSeconds(cell.medianSeconds)}`;
        parts.push(
          `<rect x="${x}" y="${top.toFixed(1)}" width="${barWidth - 2}" height="${(baseline - top).toFixed(1)}" fill="${color.get(tool.id)}"><title>${escapeXml(tip)}</title></rect>`,
        );
      } else {
        // Not measured on this shape: a mark at the floor, with the reason as a tooltip.
        const tip = `${tool.label} · ${shape.key}: ${cell?.note ?? "not run"}`;
        parts.push(
          `<text x="${x + (barWidth - 2) / 2}" y="${baseline - 4}" text-anchor="middle" fill="${color.get(tool.id)}" font-size="11">×<title>${escapeXml(tip)}</title></text>`,
        );
      }
    });
    const [dims, activation] = shape.key.split(" ");
    const centerX = groupX + (tools.length * barWidth) / 2;
    parts.push(`<text x="${centerX}" y="${baseline + 18}" text-anchor="middle">${escapeXml(dims)}</text>`);
    parts.push(`<text x="${centerX}" y="${baseline + 33}" text-anchor="middle" fill="#555">${escapeXml(activation)}</text>`);
  });

  // Legend.
  const legendX = margin.left + plotWidth + 24;
  tools.forEach((tool, i) => {
    const ly = margin.top + i * 22;
    parts.push(`<rect x="${legendX}" y="${ly}" width="14" height="14" fill="${color.get(tool.id)}"/>`);
    parts.push(`<text x="${legendX + 20}" y="${ly + 11}">${escapeXml(tool.label)}</text>`);
  });
  parts.push(`<text x="${legendX}" y="${margin.top + tools.length * 22 + 16}" fill="#555">× = not run on that shape</text>`);
  parts.push("</svg>");
  return `${parts.join("\n")}\n`;
}
