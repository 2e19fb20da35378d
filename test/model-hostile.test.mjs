// Bad and hostile model files: each gives a TypeError / RangeError / Error with a stable code, allocates no more
// than the file justifies, and reads nothing outside the model's folder.

import fs, { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, isAbsolute, join, relative, resolve } from "node:path";
import { deflateRawSync } from "node:zlib";
import test from "ava";

import { inspectModel, TimeDense } from "../dist/esm/index.mjs";
import { makeZip } from "./helpers/zip.mjs";

const DIR = new URL("./fixtures/models/", import.meta.url);
const file = (name) => new URL(name, DIR).pathname;
const root = mkdtempSync(join(tmpdir(), "tdfast-hostile-"));
test.after.always(() => rmSync(root, { recursive: true, force: true }));

const FORMAT = { code: "ERR_TDFAST_MODEL_FORMAT" };

function write(name, bytes) {
  const path = isAbsolute(name) ? name : join(root, name);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, bytes);
  return path;
}

test("a truncated .keras zip", async (t) => {
  const bytes = readFileSync(file("seed.keras"));
  const path = write("truncated.keras", bytes.subarray(0, bytes.length >> 1));
  await t.throwsAsync(() => TimeDense.load(path), { instanceOf: Error, ...FORMAT, message: /not a readable zip file/ });
  await t.throwsAsync(() => TimeDense.load(bytes.subarray(0, bytes.length - 10), { format: "keras" }), { ...FORMAT });
});

test("a corrupt .keras zip: a central directory pointing past the file", async (t) => {
  const bytes = Buffer.from(readFileSync(file("seed.keras")));
  bytes.writeUInt32LE(0x7fffffff, bytes.length - 6); // the end record's central directory offset
  await t.throwsAsync(() => TimeDense.load(bytes), { instanceOf: Error, ...FORMAT });
});

test("a zip without model.weights.h5, and a model.weights.h5 that is not HDF5", async (t) => {
  const config = readFileSync(file("seed.config.json"));
  const only = makeZip([{ name: "config.json", stored: config, method: 0, declaredSize: config.length }]);
  await t.throwsAsync(() => TimeDense.load(only), { ...FORMAT, message: /no model\.weights\.h5 in the zip/ });
  const junk = Buffer.from("this is not HDF5 at all");
  const notH5 = makeZip([
    { name: "config.json", stored: config, method: 0, declaredSize: config.length },
    { name: "model.weights.h5", stored: junk, method: 0, declaredSize: junk.length },
  ]);
  await t.throwsAsync(() => TimeDense.load(notH5), { ...FORMAT, message: /not an HDF5 file/ });
});

test("zip bombs: an entry inflating beyond its declared size; a declared size deflate cannot produce", async (t) => {
  const config = readFileSync(file("seed.config.json"));
  const bomb = deflateRawSync(Buffer.alloc(64 * 2 ** 20)); // 64 MiB of zeros in ~64 KB
  const lying = makeZip([
    { name: "config.json", stored: config, method: 0, declaredSize: config.length },
    { name: "model.weights.h5", stored: bomb, method: 8, declaredSize: 4096 },
  ]);
  const before = process.memoryUsage().arrayBuffers;
  await t.throwsAsync(() => TimeDense.load(lying), {
    instanceOf: RangeError,
    ...FORMAT,
    message: /inflates beyond its declared 4096 bytes/,
  });
  t.true(process.memoryUsage().arrayBuffers - before < 32 * 2 ** 20, "the bomb was not inflated whole");
  const small = deflateRawSync(Buffer.alloc(100));
  const huge = makeZip([
    { name: "config.json", stored: config, method: 0, declaredSize: config.length },
    { name: "model.weights.h5", stored: small, method: 8, declaredSize: 3 * 2 ** 30 },
  ]);
  await t.throwsAsync(() => TimeDense.load(huge), { instanceOf: RangeError, ...FORMAT, message: /beyond deflate's 1032:1/ });
});

test("not HDF5, wrong format, unrecognised bytes", async (t) => {
  const junk = write("junk.h5", "hello, this is not a model");
  await t.throwsAsync(() => TimeDense.load(junk), {
    instanceOf: Error,
    ...FORMAT,
    message: /not a \.keras \(zip\), \.h5 \(HDF5\) or TF\.js/,
  });
  await t.throwsAsync(() => TimeDense.load(junk, { format: "h5" }), { ...FORMAT, message: /format "h5" was given/ });
  await t.throwsAsync(() => TimeDense.load(file("seed.keras"), { format: "h5" }), { ...FORMAT, message: /looks like "keras"/ });
  await t.throwsAsync(() => inspectModel(file("seed.h5"), { format: "tfjs" }), { ...FORMAT, message: /looks like "h5"/ });
  const signatureOnly = Buffer.concat([Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(40, 0xff)]);
  await t.throwsAsync(() => TimeDense.load(signatureOnly), { ...FORMAT, message: /corrupt HDF5 file/ });
  const truncatedH5 = readFileSync(file("seed.h5")).subarray(0, 3000);
  await t.throwsAsync(() => TimeDense.load(truncatedH5), { ...FORMAT });
});

test("a missing file, a weights-only file without its config", async (t) => {
  await t.throwsAsync(() => TimeDense.load(join(root, "nope.keras")), {
    instanceOf: Error,
    code: "ERR_TDFAST_MODEL_FILE",
    message: /ENOENT/,
  });
  await t.throwsAsync(() => TimeDense.load(file("seed.weights.h5")), { ...FORMAT, message: /weights-only file.*config/ });
  await t.throwsAsync(() => TimeDense.load(file("seed.weights.h5"), { config: join(root, "none.json") }), {
    code: "ERR_TDFAST_MODEL_FILE",
  });
});

test("a missing layer name or an index out of range lists the layers that exist", async (t) => {
  const listing = /0: "encoder\/inner_head" \(TimeDistributed, 4 → 6\); 1: "probs" \(Dense, 7 → 3\)/;
  await t.throwsAsync(() => TimeDense.load(file("nested.keras"), { layer: "nope" }), {
    instanceOf: RangeError,
    code: "ERR_TDFAST_MODEL_LAYER",
    message: new RegExp(`no layer named "nope"; the layers tdfast can run are ${listing.source}`),
  });
  for (const layer of [2, -1, 1.5])
    await t.throwsAsync(() => TimeDense.load(file("nested.h5"), { layer }), {
      instanceOf: RangeError,
      code: "ERR_TDFAST_MODEL_LAYER",
      message: listing,
    });
});

test("a kernel whose shape disagrees with the config; a bias of the wrong length; 2^40 elements", async (t) => {
  const config = JSON.parse(readFileSync(file("seed.config.json"), "utf8"));
  config.config.layers.at(-1).config.layer.config.units = 2;
  await t.throwsAsync(() => TimeDense.load(file("seed.weights.h5"), { config }), {
    instanceOf: RangeError,
    ...FORMAT,
    message: /layer "output": kernel of shape \[5, 1\] does not match the config's \[features, 2\]/,
  });
  const seedConfig = file("seed.config.json");
  await t.throwsAsync(() => TimeDense.load(file("badbias.weights.h5"), { config: seedConfig }), {
    instanceOf: RangeError,
    ...FORMAT,
    message: /bias of shape \[3\] does not match the config's 1 units/,
  });
  // The dataset declares 2^40 x 1 float32 (4 TiB) in a 6 KB file: refused before any allocation.
  const [huge] = await inspectModel(file("huge.weights.h5"), { config: seedConfig });
  t.is(huge.features, 2 ** 40);
  await t.throwsAsync(() => TimeDense.load(file("huge.weights.h5"), { config: seedConfig }), {
    instanceOf: RangeError,
    ...FORMAT,
    message: /over 2147483648 elements/,
  });
});

// Wrong argument types on purpose: the errors are what is checked.
const load = /** @type {(source: unknown, options?: unknown) => Promise<unknown>} */ (TimeDense.load);
const inspect = /** @type {(source: unknown, options?: unknown) => Promise<unknown>} */ (inspectModel);

test("option errors are argument errors", async (t) => {
  await t.throwsAsync(() => load(42), { instanceOf: TypeError, code: "ERR_TDFAST_INVALID_TYPE" });
  await t.throwsAsync(() => load(file("seed.keras"), { format: "onnx" }), {
    instanceOf: RangeError,
    code: "ERR_TDFAST_INVALID_VALUE",
  });
  await t.throwsAsync(() => load(file("seed.keras"), { layer: {} }), { instanceOf: TypeError, code: "ERR_TDFAST_INVALID_TYPE" });
  await t.throwsAsync(() => load(file("seed.keras"), { layers: 1 }), {
    instanceOf: RangeError,
    code: "ERR_TDFAST_INVALID_VALUE",
  });
  await t.throwsAsync(() => load(file("seed.keras"), { backend: "gpu" }), { code: "ERR_TDFAST_INVALID_VALUE" });
  await t.throwsAsync(() => inspect(file("seed.keras"), { layer: 0 }), { code: "ERR_TDFAST_INVALID_VALUE" });
});

// TF.js: shards outside the model's folder are refused before anything is opened there.

/** Runs fn while recording every path fs.promises opens, reads or stats. */
async function recordingReads(fn) {
  const seen = [];
  const originals = {};
  for (const name of ["open", "readFile", "stat", "realpath"]) {
    originals[name] = fs.promises[name];
    fs.promises[name] = function (path, ...rest) {
      seen.push(String(path));
      return originals[name].call(this, path, ...rest);
    };
  }
  try {
    await fn();
  } finally {
    Object.assign(fs.promises, originals);
  }
  return seen;
}

function tfjsModel(dir, paths, weights) {
  const json = readFileSync(new URL("./fixtures/models/seed.config.json", import.meta.url), "utf8");
  const manifest = [
    {
      paths,
      weights: weights ?? [
        { name: "output/kernel", shape: [5, 1], dtype: "float32" },
        { name: "output/bias", shape: [1], dtype: "float32" },
      ],
    },
  ];
  return write(
    join(dir, "model.json"),
    JSON.stringify({ format: "layers-model", modelTopology: JSON.parse(json), weightsManifest: manifest }),
  );
}

const inside = (folder, paths) => paths.every((p) => !relative(resolve(folder), resolve(p)).startsWith(".."));

test.serial("TF.js: a shard path leaving the folder, an absolute one, a link out, a missing shard", async (t) => {
  const secret = write("secret.bin", Buffer.alloc(64, 7));
  const folder = join(root, "web", "model");
  const cases = [
    ["../../secret.bin", /points outside the model's folder/],
    ["../../../../../../../../etc/passwd", /points outside the model's folder/],
    [secret, /not a relative path inside/],
    ["file:///etc/passwd", /not a relative path inside/],
    ["missing.bin", /missing or unreadable/],
  ];
  for (const [shard, message] of cases) {
    const path = tfjsModel(folder, [shard]);
    const seen = await recordingReads(() =>
      t.throwsAsync(() => TimeDense.load(path), { instanceOf: Error, code: "ERR_TDFAST_MODEL_FILE", message }),
    );
    t.true(inside(folder, seen), `read outside the folder: ${seen.join(", ")}`);
  }
  symlinkSync(secret, join(folder, "link.bin"));
  const path = tfjsModel(folder, ["link.bin"]);
  const seen = await recordingReads(() =>
    t.throwsAsync(() => TimeDense.load(path), { code: "ERR_TDFAST_MODEL_FILE", message: /link to outside the model's folder/ }),
  );
  // realpath resolved the link (it reads no file contents); nothing outside was opened or stat'ed.
  t.true(
    inside(
      folder,
      seen.filter((p) => p !== join(folder, "link.bin")),
    ),
    seen.join(", "),
  );
});

test.serial("TF.js: shards shorter than the manifest, a declared 2^40 shape, a bias of the wrong length, bytes", async (t) => {
  const folder = join(root, "web2");
  write(join(folder, "w.bin"), Buffer.alloc(8));
  await t.throwsAsync(() => TimeDense.load(tfjsModel(folder, ["w.bin"])), { instanceOf: RangeError, ...FORMAT, message: /shards hold 8/ });
  const huge = [{ name: "output/kernel", shape: [2 ** 20, 2 ** 20], dtype: "float32" }];
  await t.throwsAsync(() => TimeDense.load(tfjsModel(folder, ["w.bin"], huge)), {
    instanceOf: RangeError,
    ...FORMAT,
    message: /over 2147483648 elements/,
  });
  const badBias = [
    { name: "output/kernel", shape: [5, 1], dtype: "float32" },
    { name: "output/bias", shape: [2], dtype: "float32" },
  ];
  await t.throwsAsync(() => TimeDense.load(tfjsModel(folder, ["w.bin"], badBias)), {
    instanceOf: RangeError,
    ...FORMAT,
    message: /bias of shape \[2\]/,
  });
  const json = readFileSync(tfjsModel(folder, ["w.bin"]));
  await t.throwsAsync(() => TimeDense.load(json), { ...FORMAT, message: /read from a path/ });
  write(join(folder, "bad.json"), "{ not json");
  await t.throwsAsync(() => TimeDense.load(join(folder, "bad.json")), { ...FORMAT, message: /not valid JSON/ });
});

test("corrupted files (random bytes overwritten) load or reject with a model code, never anything else", async (t) => {
  let seed = 12345;
  const random = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  const codes = new Set(["ERR_TDFAST_MODEL_FILE", "ERR_TDFAST_MODEL_FORMAT", "ERR_TDFAST_MODEL_LAYER"]);
  for (const name of ["seed.keras", "seed.h5", "bfloat16.keras"]) {
    const source = readFileSync(file(name));
    for (let i = 0; i < 60; i++) {
      const bytes = Buffer.from(source);
      for (let j = 1 + Math.floor(random() * 8); j > 0; j--) bytes[Math.floor(random() * bytes.length)] = Math.floor(random() * 256);
      try {
        await TimeDense.load(bytes, { backend: "cpu" });
      } catch (error) {
        if (!codes.has(error.code)) t.fail(`${name} #${i}: ${error.stack}`);
      }
    }
  }
  t.pass();
});
