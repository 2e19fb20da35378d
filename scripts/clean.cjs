// Removes everything the build, tests and benchmarks write into the checkout: npm run clean.
const fs = require("node:fs");
const path = require("node:path");

const root = path.join(__dirname, "..");
const outputs = ["dist", "build", "build-cuda", "build-sanitize", "build-gpu", "build-bench", "build-arm64", "prebuilds", "bench/results"];
for (const output of outputs) fs.rmSync(path.join(root, output), { recursive: true, force: true });
console.error(`clean: removed ${outputs.join(", ")}`);
