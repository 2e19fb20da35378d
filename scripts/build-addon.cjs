// Builds the addon with cmake-js, including the CUDA backend when nvcc is found, and puts it where
// node-gyp-build looks first (build/Release/tdfast.node). Run by `prepare`, so it applies to development
// installs and CI, not to installs from the registry (those use a prebuild, or node-gyp's CPU-only build).
//
//   TDFAST_CUDA=OFF                   build without CUDA even when nvcc is present
//   TDFAST_CUDA_ARCHITECTURES="90-real;90"  fewer GPU architectures for a faster development build
const { execFileSync, spawnSync } = require("node:child_process");
const fs = require("node:fs");
const path = require("node:path");

const root = path.join(__dirname, "..");

function nvccFound() {
  const candidates = ["nvcc", process.env.CUDA_HOME && path.join(process.env.CUDA_HOME, "bin", "nvcc"), "/usr/local/cuda/bin/nvcc"];
  return candidates.some((nvcc) => nvcc && spawnSync(nvcc, ["--version"], { stdio: "ignore" }).status === 0);
}

/** Builds into `outDir` and returns the path of the .node file. */
function cmakeBuild(
  outDir,
  { cuda = process.env.TDFAST_CUDA ?? "AUTO", architectures = process.env.TDFAST_CUDA_ARCHITECTURES ?? "AUTO" } = {},
) {
  const cmakeJs = require.resolve("cmake-js/bin/cmake-js");
  if (!process.env.CMAKE_BUILD_PARALLEL_LEVEL) process.env.CMAKE_BUILD_PARALLEL_LEVEL = String(require("node:os").availableParallelism());
  // configure every time (so the options apply to an existing folder), then an incremental build
  const options = [`--CDTDFAST_CUDA=${cuda}`, `--CDTDFAST_CUDA_ARCHITECTURES=${architectures}`];
  for (const step of [["configure", ...options], ["build"]])
    execFileSync(process.execPath, [cmakeJs, step[0], "-O", outDir, ...step.slice(1)], {
      cwd: root,
      stdio: ["ignore", process.stderr, "inherit"],
    });
  return path.join(root, outDir, "Release", "tdfast.node");
}

module.exports = { cmakeBuild, nvccFound };

if (require.main === module) {
  const wantCuda = (process.env.TDFAST_CUDA ?? "AUTO").toUpperCase();
  if (wantCuda === "OFF" || (wantCuda === "AUTO" && !nvccFound())) {
    console.error("tdfast: no CUDA build (nvcc not found or TDFAST_CUDA=OFF); the node-gyp CPU build stays in place");
    process.exit(0);
  }
  console.error("tdfast: building the addon with the CUDA backend (cmake-js); this takes a few minutes for every GPU architecture");
  const built = cmakeBuild("build-cuda");
  fs.mkdirSync(path.join(root, "build", "Release"), { recursive: true });
  fs.copyFileSync(built, path.join(root, "build", "Release", "tdfast.node"));
  console.error("tdfast: build/Release/tdfast.node now has the CUDA backend");
}
