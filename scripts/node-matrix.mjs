#!/usr/bin/env node
// Runs the core correctness checks (test/compat/core-checks.mjs) on the prebuilt binary under every Node.js
// version tdfast supports, with each version's official binary taken from the npm registry's node-<os>-<arch>
// packages (cached in .node-versions/). Every SIMD variant this CPU runs is checked under each version.
//   node scripts/node-matrix.mjs [--versions=18.20.8,20.20.2,...] [--arm64]
// --arm64 runs the linux-arm64 binary instead, with the arm64 Node.js binaries under qemu user-mode emulation
// (qemu-user-static and libc6-arm64-cross; QEMU_LD_PREFIX defaults to /usr/aarch64-linux-gnu).
// Exit status 1 when any version fails. Build first: npm run build:ts && npm run prebuild.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

import nodeBinaries from "./node-binaries.cjs";

const { NODE_VERSIONS, nodeBinary } = nodeBinaries;

const root = fileURLToPath(new URL("..", import.meta.url));
const { values } = parseArgs({ options: { versions: { type: "string" }, arm64: { type: "boolean", default: false } } });
const versions = values.versions ? values.versions.split(",") : NODE_VERSIONS;

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const arch = values.arm64 ? "arm64" : process.arch;
  const prebuild = path.join(root, "prebuilds", `${process.platform}-${arch}`, "tdfast.node");
  if (!existsSync(prebuild)) {
    console.error(`node-matrix: ${prebuild} is missing (npm run prebuild)`);
    process.exit(1);
  }
  const variants = { x64: ["avx512", "avx2", "generic"], arm64: ["neon", "generic"] }[arch] ?? ["generic"];
  // Under emulation (arm64 on x64) each run goes through qemu; QEMU_CPU=cortex-a53 allows only ARMv8.0.
  const emulate = arch !== process.arch;
  const sysroot = process.env.QEMU_LD_PREFIX ?? "/usr/aarch64-linux-gnu";
  const rows = [];
  for (const version of versions) {
    const node = nodeBinary(version, arch);
    for (const simd of variants) {
      const started = Date.now();
      const script = path.join(root, "test", "compat", "core-checks.mjs");
      const [command, args] = emulate ? ["qemu-aarch64-static", [node, script]] : [node, [script]];
      const result = spawnSync(command, args, {
        cwd: root,
        encoding: "utf8",
        env: { ...process.env, TDFAST_ADDON: prebuild, TDFAST_SIMD: simd, QEMU_LD_PREFIX: sysroot, QEMU_CPU: "cortex-a53" },
        timeout: 10 * 60_000,
      });
      const summary = ((result.stdout ?? "").trim().split("\n")[0] ?? "").replace(/^core-checks: /, "");
      // A variant this CPU cannot run falls back to the best one: say so rather than claim it was checked.
      const ran = /simd (\w+)/.exec(summary)?.[1];
      const ok = result.status === 0;
      rows.push({ version, simd, ran, ok, seconds: (Date.now() - started) / 1000, summary });
      if (!ok) process.stderr.write(`${result.stdout ?? ""}${result.stderr ?? ""}${result.error ? String(result.error) : ""}\n`);
    }
  }
  console.log(`\n${arch}${emulate ? " (under qemu)" : ""}\nNode.js  SIMD asked  SIMD run  result  seconds`);
  for (const row of rows)
    console.log(
      `${row.version.padEnd(9)}${row.simd.padEnd(11)}${(row.ran ?? "?").padEnd(10)}${(row.ok ? "pass" : "FAIL").padEnd(8)}${row.seconds.toFixed(1)}`,
    );
  process.exit(rows.every((row) => row.ok) ? 0 : 1);
}
