// Preloaded (NODE_OPTIONS=--require) into a Node.js that runs under qemu user-mode emulation on a machine where
// qemu is not registered with binfmt_misc (containers, CI runners): there the kernel cannot exec a foreign
// binary, so a child process started with process.execPath (ava's workers, the tests' child scenarios) would
// fail with ENOEXEC. This routes exactly those through the emulator named by TDFAST_QEMU; the child inherits
// NODE_OPTIONS and so does the same for its own children. Used by scripts/test-arm64.cjs only.
const childProcess = require("node:child_process");
const { syncBuiltinESMExports } = require("node:module");

const qemu = process.env.TDFAST_QEMU;
const self = process.execPath;

if (qemu) {
  // Every asynchronous spawn (spawn, fork, exec, execFile) ends in ChildProcess.prototype.spawn({ file, args }),
  // where args[0] is the child's argv[0].
  const prototype = /** @type {any} */ (childProcess.ChildProcess.prototype); // spawn() is not in @types/node
  const spawn = prototype.spawn;
  prototype.spawn = function (options) {
    if (options && options.file === self) options = { ...options, file: qemu, args: [qemu, self, ...options.args.slice(1)] };
    return spawn.call(this, options);
  };
  // The synchronous ones call each other inside the module, so each exported one is wrapped.
  for (const name of ["spawnSync", "execFileSync"]) {
    const original = childProcess[name];
    childProcess[name] = function (file, ...rest) {
      if (file !== self) return original.call(this, file, ...rest);
      const [args, options] = Array.isArray(rest[0]) ? rest : [[], rest[0]];
      return original.call(this, qemu, [self, ...args], options);
    };
  }
  syncBuiltinESMExports(); // `import { execFileSync } from "node:child_process"` sees the wrapped functions
}
