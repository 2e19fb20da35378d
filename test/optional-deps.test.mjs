// onnxruntime-node and protobufjs are optional dependencies. Without them (hidden from resolution in a child
// process here; CI also runs the whole suite with them removed), the onnx backend says why it is unavailable
// and what to install, "auto" uses the native kernel, and nothing else changes.

import { execFileSync } from "node:child_process";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import test from "ava";

const ortInstalled = (() => {
  try {
    createRequire(import.meta.url).resolve("onnxruntime-node");
    return true;
  } catch {
    return false;
  }
})();

const ENTRY = new URL("../dist/esm/index.mjs", import.meta.url).href;
const HIDE = fileURLToPath(new URL("./helpers/hide-modules.cjs", import.meta.url));

const SCRIPT = `
  const { backends, tensor, timeDense, timeDenseSync } = await import(${JSON.stringify(ENTRY)});
  const x = tensor(Float32Array.of(1, 2, 3, 4), [2, 2]);
  const weights = { kernel: tensor(Float32Array.of(1, -1), [2, 1]), bias: Float32Array.of(0.5) };
  const result = { report: backends() };
  try {
    const y = await timeDense(x, weights);
    result.auto = { backend: y.backend, values: [...y.data] };
  } catch (error) {
    result.auto = { code: error.code, message: error.message };
  }
  try {
    await timeDense(x, weights, { backend: "onnx" });
  } catch (error) {
    result.onnx = { code: error.code, message: error.message };
  }
  console.log(JSON.stringify(result));
`;

/** Runs SCRIPT with these packages hidden (and optionally no native addon). */
function runWithout(hidden, env = {}) {
  const output = execFileSync(process.execPath, ["--require", HIDE, "--input-type=module", "-e", SCRIPT], {
    env: { ...process.env, TDFAST_TEST_HIDE: hidden.join(","), ...env },
    encoding: "utf8",
  });
  return JSON.parse(output);
}

test("without onnxruntime-node and protobufjs: onnx says what to install, auto computes on the native kernel", (t) => {
  const { report, auto, onnx } = runWithout(["onnxruntime-node", "protobufjs"]);
  t.false(report.onnx.available);
  t.is(
    report.onnx.reason,
    "onnxruntime-node and protobufjs are not installed (optional dependencies of tdfast: npm install onnxruntime-node protobufjs)",
  );
  t.true(report.cpu.available);
  t.is(report.auto, report.cuda.available ? "cuda" : "cpu");
  t.deepEqual(auto, { backend: report.auto, values: [-0.5, -0.5] });
  t.is(onnx.code, "ERR_TDFAST_BACKEND_UNAVAILABLE");
  t.is(onnx.message, `onnx: ${report.onnx.reason}`);
});

(ortInstalled ? test : test.skip)("without protobufjs alone, the reason names it", (t) => {
  const { report } = runWithout(["protobufjs"]);
  t.deepEqual(report.onnx, {
    available: false,
    reason: "protobufjs is not installed (optional dependencies of tdfast: npm install protobufjs)",
  });
});

test("without the optional packages and without a native binary, auto fails with every reason", (t) => {
  const { report, auto } = runWithout(["onnxruntime-node", "protobufjs"], { TDFAST_ADDON: "/nonexistent/tdfast.node" });
  t.is(report.auto, null);
  t.is(auto.code, "ERR_TDFAST_BACKEND_UNAVAILABLE");
  t.regex(
    auto.message,
    /^no backend available \(cuda: .*; onnx: onnxruntime-node and protobufjs are not installed .*; cpu: native addon not loaded .*npm rebuild tdfast/,
  );
});

test("the hiding itself works: the same script with nothing hidden has onnx as it is in this process", async (t) => {
  const { backends } = await import(ENTRY);
  t.deepEqual(runWithout([]).report.onnx, backends().onnx);
});
