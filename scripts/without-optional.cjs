// Runs a command with tdfast's optional dependencies (onnxruntime-node, protobufjs) really absent from
// node_modules, as after `npm install --omit=optional` or a failed optional install, then puts them back.
//   node scripts/without-optional.cjs npx ava
const { spawnSync } = require("node:child_process");
const fs = require("node:fs");
const path = require("node:path");

const root = path.join(__dirname, "..");
const OPTIONAL = Object.keys(require(path.join(root, "package.json")).optionalDependencies ?? {});
const modules = path.join(root, "node_modules");
const aside = path.join(modules, ".tdfast-optional-aside");
const [command, ...args] = process.argv.slice(2);
if (!command) {
  console.error("usage: node scripts/without-optional.cjs COMMAND [ARGS...]");
  process.exit(2);
}

const moved = [];
function restore() {
  for (const name of moved.splice(0)) fs.renameSync(path.join(aside, name), path.join(modules, name));
  fs.rmSync(aside, { recursive: true, force: true });
}
let status = 1;
try {
  fs.mkdirSync(aside, { recursive: true });
  for (const name of OPTIONAL) {
    if (!fs.existsSync(path.join(modules, name))) continue;
    fs.renameSync(path.join(modules, name), path.join(aside, name));
    moved.push(name);
  }
  // Ctrl-C or a kill reaches the child too; this process waits for it and then puts the packages back.
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(signal, () => {});
  console.error(`tdfast: running without ${OPTIONAL.join(", ")}: ${[command, ...args].join(" ")}`);
  const result = spawnSync(command, args, { cwd: root, stdio: "inherit", shell: process.platform === "win32" });
  status = result.status ?? 1;
} finally {
  restore();
}
process.exit(status);
