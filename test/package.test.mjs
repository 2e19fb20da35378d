// The published package: `npm pack`, install the tarball into a fresh project with install scripts disabled
// (so nothing can be compiled), then use it from ESM, CommonJS and strict TypeScript, on the prebuild.

import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import test from "ava";

const root = fileURLToPath(new URL("..", import.meta.url));
const npm = process.platform === "win32" ? "npm.cmd" : "npm";
const run = (command, args, cwd, env = {}) =>
  execFileSync(command, args, { cwd, encoding: "utf8", env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });

const PROGRAM_BODY = `
const x = tensor(new Float32Array([1, 2, 3, 4, 5, 6]), [1, 2, 3]);
const kernel = tensor(new Float32Array([0.5, -1, 0.25, 2, -0.5, 1]), [3, 2]);
const y = timeDenseSync(x, { kernel, bias: new Float32Array([0.1, -0.2]), activation: "relu" }, { backend: "cpu" });
const binary = require("node-gyp-build").path(require("node:path").dirname(require.resolve("tdfast/package.json")));
console.log(JSON.stringify({ shape: y.shape, values: Array.from(y.data), cpu: backends().cpu, binary }));
`;
const ESM_PROGRAM = `import { tensor, timeDenseSync, backends } from "tdfast";\nimport { createRequire } from "node:module";\nconst require = createRequire(import.meta.url);\n${PROGRAM_BODY}`;
const CJS_PROGRAM = `const { tensor, timeDenseSync, backends } = require("tdfast");\n${PROGRAM_BODY}`;
const TS_PROGRAM = `
import { TimeDense, tensor, timeDense, type Tensor, type BackendsReport, backends } from "tdfast";
import { accelerate, type AcceleratedLayer } from "tdfast/tfjs";
// tdfast/tfjs's declarations need no tfjs types: a model-like object type-checks (and is refused at run time).
export const accelerated = (model: { layers: object[] }): AcceleratedLayer[] => accelerate(model);
const layer: TimeDense = new TimeDense({ kernel: tensor(new Float32Array(6), [3, 2]), activation: "softmax", backend: "cpu" });
const report: BackendsReport = backends();
async function main(): Promise<number[]> {
  const y: Tensor = await layer.apply(tensor(new Float32Array(3), [1, 3]), { out: new Float32Array(2) });
  const z: Tensor = await timeDense({ data: new Float32Array(3), dims: [1, 3] }, { kernel: new Float32Array(6), activation: "swish" });
  return [...y.shape, ...z.shape, report.auto === null ? 0 : 1];
}
void main();
`;
// relu([1,2,3]·K + b, [4,5,6]·K + b) with K = [[0.5,-1],[0.25,2],[-0.5,1]], b = [0.1,-0.2]
const EXPECTED = [0, 5.8, 0.35, 11.8];

// tdfast/tfjs on the same layer as a TensorFlow.js TimeDistributed(Dense), with tfjs installed from the registry
// as a user would (tfjs-core, tfjs-layers: the optional peer dependencies; the cpu backend).
const TFJS_VERSION = "4.22.0";
const TFJS_PROGRAM_BODY = `
const model = tfl.sequential();
model.add(tfl.layers.timeDistributed({ layer: tfl.layers.dense({ units: 2, activation: "relu" }), inputShape: [2, 3] }));
model.setWeights([tfc.tensor2d([0.5, -1, 0.25, 2, -0.5, 1], [3, 2]), tfc.tensor1d([0.1, -0.2])]);
const x = tfc.tensor3d([1, 2, 3, 4, 5, 6], [1, 2, 3]);
const before = Array.from(model.predict(x).dataSync());
const report = accelerate(model);
const after = Array.from(model.predict(x).dataSync());
const main = Object.keys(require.cache).filter((file) => /[\\/]tdfast[\\/]dist[\\/]/.test(file)).map((file) => file.replace(/^.*[\\/]dist[\\/]/, ""));
console.log(JSON.stringify({ before, after, report, oneInstance: require("tdfast/tfjs").accelerate === accelerate, main }));
`;
const TFJS_ESM_PROGRAM = `import * as tfc from "@tensorflow/tfjs-core";\nimport "@tensorflow/tfjs-backend-cpu";\nimport * as tfl from "@tensorflow/tfjs-layers";\nimport { accelerate } from "tdfast/tfjs";\nimport { createRequire } from "node:module";\nconst require = createRequire(import.meta.url);\n${TFJS_PROGRAM_BODY}`;
const TFJS_CJS_PROGRAM = `const tfc = require("@tensorflow/tfjs-core");\nrequire("@tensorflow/tfjs-backend-cpu");\nconst tfl = require("@tensorflow/tfjs-layers");\nconst { accelerate } = require("tdfast/tfjs");\n${TFJS_PROGRAM_BODY}`;
const TFJS_TS_PROGRAM = `
import * as tfl from "@tensorflow/tfjs-layers";
import { accelerate, type AcceleratedLayer, type AccelerateOptions } from "tdfast/tfjs";
const model: tfl.LayersModel = tfl.sequential({ layers: [tfl.layers.timeDistributed({ layer: tfl.layers.dense({ units: 1 }), inputShape: [4, 3] })] });
const options: AccelerateOptions = { backend: "auto" };
const report: AcceleratedLayer[] = accelerate(model, options);
const via: "cpu" | "cuda" | "tfjs" | undefined = report[0]?.via;
const sequential: tfl.Sequential = tfl.sequential();
export const summary: [number, string | undefined, number] = [report.length, via, accelerate(sequential).length];
`;

test("npm pack gives a tarball that works from ESM, CommonJS and TypeScript without compiling", (t) => {
  t.timeout(15 * 60 * 1000);
  const work = mkdtempSync(join(tmpdir(), "tdfast-pack-"));
  try {
    // `npm test` makes the prebuild first (pretest): building it here would rebuild build/ under the suites
    // running in parallel.
    const prebuilds = join(root, "prebuilds", `${process.platform}-${process.arch}`);
    t.true(existsSync(prebuilds), `${prebuilds} exists (npm run prebuild)`);
    const [packed] = JSON.parse(run(npm, ["pack", "--json", "--ignore-scripts", "--pack-destination", work], root));
    const files = packed.files.map((file) => file.path);
    const tarball = join(work, packed.filename);
    t.log(
      `${packed.filename}: ${(statSync(tarball).size / 2 ** 20).toFixed(1)} MiB packed, ${(packed.unpackedSize / 2 ** 20).toFixed(1)} MiB unpacked, ${files.length} files`,
    );
    for (const needed of [
      "dist/esm/index.mjs",
      "dist/esm/index.d.mts",
      "dist/cjs/index.js",
      "dist/cjs/index.d.ts",
      "dist/cjs/onnx.proto",
      "binding.gyp",
      "native/sources.json",
      "scripts/sources.cjs",
      "native/cpu/dense.cc",
      "native/binding/addon.cc",
      "LICENSE",
      "NOTICE",
    ])
      t.true(files.includes(needed), `${needed} is in the tarball`);
    t.true(
      files.some((file) => file.startsWith(`prebuilds/${process.platform}-${process.arch}/`) && file.endsWith(".node")),
      "this machine's prebuild is in the tarball",
    );
    // Every binary made here ships (npm run prebuild cross-builds linux-arm64 where the cross compiler exists).
    for (const platform of ["linux-x64", "linux-arm64"])
      if (existsSync(join(root, "prebuilds", platform, "tdfast.node")))
        t.true(files.includes(`prebuilds/${platform}/tdfast.node`), `prebuilds/${platform}/tdfast.node is in the tarball`);
    t.deepEqual(
      files.filter((file) => /^(test|bench|build|build-cuda|node_modules|\.ci)\//.test(file)),
      [],
      "no tests, benchmarks or build folders",
    );
    t.true(statSync(tarball).size < 40 * 2 ** 20, "the tarball stays under 40 MiB");
    t.deepEqual(
      files.filter((file) => /bandwidth/.test(file)),
      [],
      "benchmark-only code (the memory-bandwidth probe) is not shipped",
    );

    // The package's metadata and types, as its users' tools see them: publint (exports, files, fields) and
    // arethetypeswrong (types resolve for require and import under every module resolution, no "masquerading").
    const bin = (name) => join(root, "node_modules", ".bin", name);
    const publint = run(bin("publint"), ["run", "--strict", "--pack", "npm", root], root);
    t.log(`publint: ${publint.trim().split("\n").pop()}`);
    const attwOutput = (() => {
      try {
        return run(bin("attw"), [tarball, "--format", "json"], work);
      } catch (error) {
        return error.stdout; // attw exits non-zero when it finds problems; the JSON says which
      }
    })();
    const attw = JSON.parse(attwOutput);
    const problems = Object.values(attw.problems ?? {}).flat();
    t.deepEqual(
      problems.map((problem) => `${problem.kind} ${problem.entrypoint ?? ""} ${problem.resolutionKind ?? ""}`),
      [],
      "arethetypeswrong finds no problem",
    );

    const project = join(work, "project");
    run(process.execPath, ["-e", `require("fs").mkdirSync(${JSON.stringify(project)})`], work);
    writeFileSync(join(project, "package.json"), JSON.stringify({ name: "consumer", version: "1.0.0", private: true }));
    run(
      npm,
      [
        "install",
        "--ignore-scripts",
        "--no-audit",
        "--no-fund",
        tarball,
        ...["tfjs-core", "tfjs-layers", "tfjs-backend-cpu"].map((name) => `@tensorflow/${name}@${TFJS_VERSION}`),
      ],
      project,
    );

    for (const [name, source] of [
      ["program.mjs", ESM_PROGRAM],
      ["program.cjs", CJS_PROGRAM],
    ]) {
      writeFileSync(join(project, name), source);
      const result = JSON.parse(run(process.execPath, [name], project));
      t.deepEqual(result.shape, [1, 2, 2], name);
      for (const [i, value] of result.values.entries()) t.true(Math.abs(value - EXPECTED[i]) < 1e-6, `${name}: value ${i} is ${value}`);
      t.deepEqual(result.cpu, { available: true }, name);
      t.regex(result.binary, /[\\/]prebuilds[\\/]/, `${name} loaded the prebuild`);
    }
    t.throws(() => statSync(join(project, "node_modules", "tdfast", "build")), undefined, "nothing was compiled at install");

    for (const [name, source] of [
      ["tfjs-program.mjs", TFJS_ESM_PROGRAM],
      ["tfjs-program.cjs", TFJS_CJS_PROGRAM],
    ]) {
      writeFileSync(join(project, name), source);
      const result = JSON.parse(run(process.execPath, [name], project));
      for (const [i, value] of result.after.entries()) {
        t.true(Math.abs(value - EXPECTED[i]) < 1e-6, `${name}: accelerated value ${i} is ${value}`);
        t.true(Math.abs(result.before[i] - EXPECTED[i]) < 1e-6, `${name}: tfjs's value ${i} is ${result.before[i]}`);
      }
      t.deepEqual(
        result.report.map(({ features, units, activation, fused, via }) => ({ features, units, activation, fused, via })),
        [{ features: 3, units: 2, activation: "relu", fused: true, via: "cpu" }],
        name,
      );
      t.true(result.oneInstance, `${name}: import and require share one tdfast/tfjs`);
      t.false(
        result.main.some((file) => /^(esm|cjs)[\\/]index\.m?js$/.test(file)),
        `${name}: tdfast/tfjs does not load tdfast's main entry (${result.main.join(", ")})`,
      );
    }

    writeFileSync(join(project, "program.ts"), TS_PROGRAM);
    writeFileSync(join(project, "tfjs-program.ts"), TFJS_TS_PROGRAM);
    const tsc = join(root, "node_modules", "typescript", "bin", "tsc");
    // tfjs-layers' own declarations do not pass strict checking (TS2411 in its keras_format types): the program
    // with tfjs skips checking libraries; program.ts (tdfast's declarations, tdfast/tfjs's included) does not.
    /** @type {[string, string[]][]} */
    const programs = [
      ["program.ts", []],
      ["tfjs-program.ts", ["--skipLibCheck"]],
    ];
    for (const [program, extra] of programs)
      t.notThrows(() => {
        try {
          run(
            process.execPath,
            [
              tsc,
              "--strict",
              "--noEmit",
              "--module",
              "node16",
              "--moduleResolution",
              "node16",
              "--target",
              "es2022",
              "--types",
              "node",
              "--typeRoots",
              join(root, "node_modules", "@types"),
              ...extra,
              program,
            ],
            project,
          );
        } catch (error) {
          throw new Error(`${program}: ${error.stdout}`);
        }
      }, program);

    // onnxruntime-node is an optional dependency, installed by default (and loadable with its install script off).
    const report = () => JSON.parse(run(process.execPath, ["-e", "console.log(JSON.stringify(require('tdfast').backends()))"], project));
    t.deepEqual(report().onnx, { available: true }, "onnx works from the default install");

    // Without a binary for the platform (simulated by removing the prebuilds), the cpu backend says what to do
    // and the onnx backend still computes.
    const shipped = join(project, "node_modules", "tdfast", "prebuilds");
    const aside = join(project, "prebuilds-aside");
    renameSync(shipped, aside);
    const noBinary = JSON.parse(
      run(
        process.execPath,
        [
          "-e",
          `const { backends, timeDense, tensor } = require("tdfast");
           timeDense(tensor(Float32Array.of(1, 2), [1, 2]), { kernel: Float32Array.of(3, 4) }).then((y) =>
             console.log(JSON.stringify({ report: backends(), backend: y.backend, values: [...y.data] })));`,
        ],
        project,
      ),
    );
    renameSync(aside, shipped);
    t.false(noBinary.report.cpu.available);
    t.regex(noBinary.report.cpu.reason, /Run "npm rebuild tdfast" with a C\+\+ compiler and Python present, or use backend "onnx"/);
    t.deepEqual([noBinary.backend, noBinary.values], ["onnx", [11]]);

    // An install without the optional dependencies: onnx says why, auto computes on the prebuilt binary.
    run(npm, ["uninstall", "--ignore-scripts", "--no-audit", "--no-fund", "onnxruntime-node", "protobufjs"], project);
    run(npm, ["install", "--ignore-scripts", "--no-audit", "--no-fund", "--omit=optional", tarball], project);
    t.false(existsSync(join(project, "node_modules", "onnxruntime-node")), "--omit=optional left onnxruntime-node out");
    const lean = report();
    t.deepEqual(lean.onnx, {
      available: false,
      reason:
        "onnxruntime-node and protobufjs are not installed (optional dependencies of tdfast: npm install onnxruntime-node protobufjs)",
    });
    t.is(lean.auto, "cpu");
    const leanResult = JSON.parse(run(process.execPath, ["program.cjs"], project));
    t.deepEqual(leanResult.shape, [1, 2, 2]);
    for (const [i, value] of leanResult.values.entries())
      t.true(Math.abs(value - EXPECTED[i]) < 1e-6, `lean install: value ${i} is ${value}`);

    // A binary from another version of tdfast is refused, with the reason.
    const installed = join(project, "node_modules", "tdfast", "package.json");
    writeFileSync(installed, readFileSync(installed, "utf8").replace(/"version": "[^"]+"/, '"version": "9.9.9"'));
    const mismatched = JSON.parse(run(process.execPath, ["-e", "console.log(JSON.stringify(require('tdfast').backends().cpu))"], project));
    t.false(mismatched.available);
    t.regex(mismatched.reason, /native addon is from tdfast \d+\.\d+\.\d+, this is tdfast 9\.9\.9/);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});
