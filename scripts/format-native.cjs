// Formats the C++ and CUDA sources with clang-format (.clang-format at the root), when it is installed:
// `npm run format` runs it after Biome. Without clang-format it says so and changes nothing.
const { execFileSync, spawnSync } = require("node:child_process");
const path = require("node:path");

const root = path.join(__dirname, "..");
if (spawnSync("clang-format", ["--version"], { stdio: "ignore" }).status !== 0) {
  console.error("format-native: clang-format not found; C++ and CUDA sources left as they are");
  process.exit(0);
}
const files = execFileSync("git", ["ls-files", "native", "cuda", "bench/probe", "bench/gpu", "test/native", "test/cuda"], {
  cwd: root,
  encoding: "utf8",
})
  .split("\n")
  .filter((file) => /\.(cc|h|cu|cuh)$/.test(file));
execFileSync("clang-format", ["-i", ...files], { cwd: root, stdio: "inherit" });
console.error(`format-native: formatted ${files.length} files`);
