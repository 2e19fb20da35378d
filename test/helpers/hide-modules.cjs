// Preloaded with --require: makes the packages named in TDFAST_TEST_HIDE ("onnxruntime-node,protobufjs")
// unresolvable, as if an install had left those optional dependencies out.
const Module = require("node:module");

const hidden = new Set((process.env.TDFAST_TEST_HIDE ?? "").split(",").filter(Boolean));
const resolveFilename = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  const name = request.startsWith("@") ? request.split("/").slice(0, 2).join("/") : request.split("/")[0];
  if (hidden.has(name)) {
    const error = new Error(`Cannot find module '${request}'`);
    error.code = "MODULE_NOT_FOUND";
    throw error;
  }
  return resolveFilename.call(this, request, ...rest);
};
