// Cross-compiles the CPU addon for linux-arm64 on an x64 Linux machine and puts it, stripped, at
// prebuilds/linux-arm64/tdfast.node (where node-gyp-build looks on arm64). Needs Debian's g++-aarch64-linux-gnu
// (and its binutils); the Node headers are the local Node's (they do not depend on the architecture).
//   node scripts/cross-arm64.cjs              # or require("./cross-arm64.cjs").crossBuildArm64()
// TDFAST_CROSS_PREFIX changes the tool prefix (default aarch64-linux-gnu-).
//
// node-gyp always builds into ./build of its working directory, so it runs in build-arm64/, which holds copies
// of binding.gyp and package.json and links to native/, scripts/ and node_modules/: build/Release stays this
// machine's own build. The link flags are binding.gyp's for every Linux build (native/sources.json's "linux"
// entry): libstdc++ linked statically with its symbols kept local, and every glibc symbol newer than 2.28 bound
// to its base version (GLIBC_2.17 on AArch64), so the binary needs no GLIBCXX/CXXABI version.
const { execFileSync } = require("node:child_process");
const fs = require("node:fs");
const path = require("node:path");

const root = path.join(__dirname, "..");
const STAGE = path.join(root, "build-arm64");
const TARGET = path.join(root, "prebuilds", "linux-arm64", "tdfast.node");

/** The folder holding include/node/common.gypi for this Node: npm's nodedir setting, else the install prefix. */
function nodeDir() {
  if (process.env.npm_config_nodedir) return process.env.npm_config_nodedir;
  const prefix = path.join(path.dirname(process.execPath), "..");
  return fs.existsSync(path.join(prefix, "include", "node", "common.gypi")) ? prefix : undefined;
}

/** Whether `tool` runs (found on PATH). */
function found(tool) {
  try {
    execFileSync(tool, ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/**
 * Builds prebuilds/linux-arm64/tdfast.node; returns its path.
 * @param {{ prefix?: string, quiet?: boolean }} [options]
 */
function crossBuildArm64(options = {}) {
  const prefix = options.prefix ?? process.env.TDFAST_CROSS_PREFIX ?? "aarch64-linux-gnu-";
  const tool = (name) => `${prefix}${name}`;
  if (!found(tool("g++")))
    throw new Error(`${tool("g++")} not found: install the cross compiler (Debian: apt-get install g++-aarch64-linux-gnu)`);

  fs.mkdirSync(STAGE, { recursive: true });
  for (const file of ["binding.gyp", "package.json"]) fs.copyFileSync(path.join(root, file), path.join(STAGE, file));
  for (const folder of ["native", "scripts", "node_modules"]) {
    const link = path.join(STAGE, folder);
    if (!fs.existsSync(link)) fs.symlinkSync(path.join("..", folder), link, "dir");
  }

  const env = {
    ...process.env,
    CC: tool("gcc"),
    CXX: tool("g++"),
    LINK: tool("g++"),
    AR: tool("ar"),
  };
  const dir = nodeDir();
  const args = [require.resolve("node-gyp/bin/node-gyp.js"), "rebuild", "--arch=arm64", ...(dir ? [`--nodedir=${dir}`] : [])];
  execFileSync(process.execPath, args, {
    cwd: STAGE,
    env,
    stdio: ["ignore", options.quiet ? "ignore" : process.stderr, "inherit"],
  });

  const built = path.join(STAGE, "build", "Release", "tdfast.node");
  fs.mkdirSync(path.dirname(TARGET), { recursive: true });
  execFileSync(tool("strip"), ["--strip-unneeded", "-o", TARGET, built]);
  const machine = fs.readFileSync(TARGET).readUInt16LE(18); // ELF e_machine
  if (machine !== 183) throw new Error(`${TARGET} is not an AArch64 ELF file (e_machine ${machine})`);
  if (!options.quiet) {
    const size = fs.statSync(TARGET).size;
    console.error(`tdfast: prebuild linux-arm64/tdfast.node, ${(size / 2 ** 20).toFixed(2)} MiB`);
  }
  return TARGET;
}

module.exports = { crossBuildArm64, ARM64_PREBUILD: TARGET };

if (require.main === module) crossBuildArm64();
