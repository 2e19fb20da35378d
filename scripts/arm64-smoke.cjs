// Run by scripts/test-arm64.cjs under emulation, in the staged package: the loader must pick the arm64
// prebuild (never a build/Release of another machine), and the NEON kernels must be the ones chosen.
const path = require("node:path");

const where = require("node-gyp-build").resolve(process.cwd());
const { binding, error } = require(path.join(process.cwd(), "dist", "cjs", "binding.js")).nativeBinding();
if (error) throw new Error(error);
if (!where.endsWith(path.join("prebuilds", "linux-arm64", "tdfast.node"))) throw new Error(`node-gyp-build picked ${where}`);
const { simd } = binding.info();
if (simd !== "neon") throw new Error(`the addon chose the ${simd} kernels, expected neon`);
console.error(`test-arm64: Node ${process.version} ${process.arch} loads ${where}`, binding.info());
