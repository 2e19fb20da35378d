// Produces the prebuilt binaries under prebuilds/<platform>-<arch>/, as shipped in the npm package:
// prebuildify (node-gyp, CPU-only, stripped) for this machine, and on linux-x64 with nvcc present the cmake-js
// build with the CUDA backend for every GPU architecture in its place — one binary that runs on machines with
// and without a GPU. On linux-x64 with the arm64 cross compiler (g++-aarch64-linux-gnu) it also cross-builds
// prebuilds/linux-arm64/ (scripts/cross-arm64.cjs); without one it says so, and `npm pack` refuses to pack.
const { execFileSync } = require("node:child_process");
const fs = require("node:fs");
const path = require("node:path");

const { cmakeBuild, nvccFound } = require("./build-addon.cjs");
const { crossBuildArm64 } = require("./cross-arm64.cjs");

const root = path.join(__dirname, "..");
const target = path.join(root, "prebuilds", `${process.platform}-${process.arch}`);

// N-API binaries run on every Node version with N-API 8, so they are built against this Node's own headers
// (prebuildify would otherwise download the newest Node's headers).
execFileSync(process.execPath, [require.resolve("prebuildify/bin.js"), "--napi", "--strip", "--target", process.versions.node], {
  cwd: root,
  stdio: ["ignore", process.stderr, "inherit"],
});
const [cpuBuild] = fs.readdirSync(target).filter((file) => file.endsWith(".node"));
if (!cpuBuild) throw new Error(`prebuildify left no .node file in ${target}`);

if (process.platform === "linux" && process.arch === "x64" && nvccFound() && process.env.TDFAST_CUDA !== "OFF") {
  // The same folder as the development build: after `npm install` this is an incremental build of seconds.
  const built = cmakeBuild("build-cuda", { cuda: "ON", architectures: "AUTO" });
  fs.copyFileSync(built, path.join(target, cpuBuild));
  execFileSync("strip", ["--strip-unneeded", path.join(target, cpuBuild)]);
  console.error(`tdfast: ${path.join("prebuilds", path.basename(target), cpuBuild)} is the CUDA-enabled build`);
}
// prebuildify's node-gyp run replaced build/Release with the CPU-only build; put the development build (with
// CUDA, when there is one) back, since node-gyp-build loads build/Release before prebuilds/.
const developmentBuild = path.join(root, "build-cuda", "Release", "tdfast.node");
if (fs.existsSync(developmentBuild)) fs.copyFileSync(developmentBuild, path.join(root, "build", "Release", "tdfast.node"));
const size = fs.statSync(path.join(target, cpuBuild)).size;
console.error(`tdfast: prebuild ${path.basename(target)}/${cpuBuild}, ${(size / 2 ** 20).toFixed(1)} MiB`);

if (process.platform === "linux" && process.arch === "x64") {
  try {
    crossBuildArm64({ quiet: true });
    const arm64 = path.join(root, "prebuilds", "linux-arm64", "tdfast.node");
    console.error(`tdfast: prebuild linux-arm64/tdfast.node, ${(fs.statSync(arm64).size / 2 ** 20).toFixed(2)} MiB (cross-compiled)`);
  } catch (error) {
    if (!/not found/.test(error.message)) throw error;
    console.error(`tdfast: no linux-arm64 prebuild: ${error.message}`);
  }
}
