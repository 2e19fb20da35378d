#!/usr/bin/env node
// npx tdfast inspect <model file> [--config <model.json>] [--format keras|h5|tfjs] [--json]
// Lists the layers of a model file that tdfast can run (what TimeDense.load's `layer` option selects).

import type { ModelFormat, ModelLayer } from "./model/index.js";
import { inspectModel } from "./model/lazy.js";

const USAGE =
  "usage: tdfast inspect <model.keras | model.h5 | model.weights.h5 | model.json> [--config <config.json>] [--format keras|h5|tfjs] [--json]";

function parse(argv: readonly string[]): { file: string; config?: string; format?: ModelFormat; json: boolean } | string {
  const [command, ...rest] = argv;
  if (command !== "inspect")
    return command === undefined || command === "--help" || command === "-h"
      ? USAGE
      : `unknown command ${JSON.stringify(command)}\n${USAGE}`;
  let file: string | undefined;
  let config: string | undefined;
  let format: ModelFormat | undefined;
  let json = false;
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i]!;
    if (arg === "--json") json = true;
    else if (arg === "--config" || arg === "--format") {
      const value = rest[++i];
      if (value === undefined) return `${arg} needs a value\n${USAGE}`;
      if (arg === "--config") config = value;
      else format = value as ModelFormat;
    } else if (arg.startsWith("-")) return `unknown option ${arg}\n${USAGE}`;
    else if (file === undefined) file = arg;
    else return `one model file at a time\n${USAGE}`;
  }
  if (file === undefined) return USAGE;
  return { file, config, format, json };
}

/** The table: name, class, F → U, activation, dtype. */
export function formatTable(layers: readonly ModelLayer[]): string {
  const header = ["#", "name", "class", "F → U", "activation", "dtype"];
  const rows = layers.map((l) => [String(l.index), l.path, l.className, `${l.features} → ${l.units}`, l.activation, l.dtype]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join("  ")
      .trimEnd();
  return [line(header), ...rows.map(line)].join("\n");
}

async function main(argv: readonly string[]): Promise<number> {
  const args = parse(argv);
  if (typeof args === "string") {
    (args === USAGE ? process.stdout : process.stderr).write(`${args}\n`);
    return args === USAGE && argv.length > 0 ? 0 : 2;
  }
  try {
    const layers = await inspectModel(args.file, {
      ...(args.config ? { config: args.config } : {}),
      ...(args.format ? { format: args.format } : {}),
    });
    process.stdout.write(
      args.json
        ? `${JSON.stringify(layers, null, 2)}\n`
        : layers.length
          ? `${formatTable(layers)}\n`
          : "no TimeDistributed(Dense) or Dense layer\n",
    );
    return 0;
  } catch (error) {
    const e = error as Error & { code?: string };
    process.stderr.write(`tdfast: ${e.message}${e.code ? ` (${e.code})` : ""}\n`);
    return 1;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
