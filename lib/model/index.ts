// Reading a model's TimeDistributed(Dense) and Dense layers from Keras 3 .keras, legacy .h5, Keras .weights.h5 +
// config JSON, and TF.js model.json files. Loaded on first use of TimeDense.load or inspectModel, with jsfive and
// yauzl behind it loaded on first use too, so that `import "tdfast"` stays as light as it was.

import { open } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { types } from "node:util";

import { type CanonicalActivation, lookupActivation } from "../activations.js";
import type { BackendChoice } from "../backends/index.js";
import { invalidType, invalidValue, unknownKey } from "../errors.js";
import { findCandidates } from "./config.js";
import { asFormatError, fileError, formatError, layerError, missingLayerError, sizeError } from "./fail.js";
import { H5File, isHdf5, stringAttr } from "./hdf5.js";
import { isKeras3Weights, locateKeras3 } from "./keras.js";
import { legacyConfig, legacyWeightsRoot, locateLegacy } from "./legacy-h5.js";
import type { Located } from "./located.js";
import { locateTfjs } from "./tfjs-json.js";
import { MAX_ENTRY_BYTES, readZipEntries } from "./zip.js";

export type ModelFormat = "keras" | "h5" | "tfjs";
export type ModelSource = string | URL | Uint8Array | ArrayBuffer;

export interface InspectOptions {
  /** The file's format; by default found from its first bytes ("keras": zip, "h5": HDF5, "tfjs": JSON). */
  readonly format?: ModelFormat;
  /** For a weights-only .weights.h5: the model's config, as the path of model.to_json()'s output or that JSON parsed. */
  readonly config?: string | URL | object;
}

export interface LoadOptions extends InspectOptions {
  /** Which layer: its name (or "outer/inner" path), or its index in inspectModel's list; the last one by default. */
  readonly layer?: string | number;
  /** The backend of the TimeDense; "auto" by default. */
  readonly backend?: BackendChoice;
}

export interface ModelLayer {
  /** Position in this list (what `{ layer: index }` selects). */
  readonly index: number;
  /** The user's layer name. */
  readonly name: string;
  readonly className: "TimeDistributed" | "Dense";
  readonly features: number;
  readonly units: number;
  /** As written in the file. */
  readonly activation: string;
  readonly useBias: boolean;
  /** The stored kernel's type (float32, float16, bfloat16, float64; for a quantized layer its mode, e.g. int8). */
  readonly dtype: string;
  /** The user's names from the outermost model down to this layer, joined with "/". */
  readonly path: string;
  /** Where the kernel is in the file. */
  readonly weights: string;
}

export interface LoadedLayer {
  readonly layer: ModelLayer;
  readonly kernel: Float32Array;
  readonly bias: Float32Array | null;
  readonly activation: CanonicalActivation;
}

const FORMATS: readonly ModelFormat[] = ["keras", "h5", "tfjs"];
/** config.json and model.json are small; weights are bounded by MAX_ENTRY_BYTES. */
const MAX_JSON_BYTES = 256 * 2 ** 20;

interface Source {
  readonly label: string;
  readonly path: string | undefined;
  readonly bytes: Buffer | undefined;
}

function readSource(source: unknown): Source {
  if (typeof source === "string") {
    if (source.length === 0) throw invalidValue("source", "a file path", source);
    return { label: source, path: source, bytes: undefined };
  }
  if (source instanceof URL) {
    if (source.protocol !== "file:") throw invalidValue("source", "a file: URL", source.href);
    return { label: source.href, path: fileURLToPath(source), bytes: undefined };
  }
  if (types.isArrayBuffer(source)) return { label: "model bytes", path: undefined, bytes: Buffer.from(source) };
  if (types.isUint8Array(source))
    return { label: "model bytes", path: undefined, bytes: Buffer.from(source.buffer, source.byteOffset, source.byteLength) };
  throw invalidType("source", "a file path, a file: URL, a Uint8Array or an ArrayBuffer", source);
}

async function readHead(source: Source): Promise<Uint8Array> {
  if (source.bytes) return source.bytes.subarray(0, 8);
  const handle = await openFile(source.path!, source.label);
  try {
    const head = new Uint8Array(8);
    const { bytesRead } = await handle.read(head, 0, 8, 0).catch((error) => {
      throw fileError(
        `${source.label}: cannot read the file (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
        error,
      );
    });
    return head.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

async function openFile(path: string, label: string) {
  try {
    return await open(path, "r");
  } catch (error) {
    throw fileError(`${label}: cannot open the file (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`, error);
  }
}

async function readWhole(path: string, label: string, limit: number): Promise<Buffer> {
  const handle = await openFile(path, label);
  try {
    const { size } = await handle.stat();
    if (size > limit) throw sizeError(`${label}: ${size} bytes, over the limit of ${limit}`);
    return await handle.readFile().catch((error) => {
      throw fileError(`${label}: cannot read the file (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`, error);
    });
  } finally {
    await handle.close();
  }
}

function sniff(head: Uint8Array): ModelFormat | undefined {
  if (head[0] === 0x50 && head[1] === 0x4b && head[2] === 0x03 && head[3] === 0x04) return "keras";
  if (isHdf5(head)) return "h5";
  const text = Buffer.from(head).toString("utf8").trimStart();
  if (text.startsWith("{")) return "tfjs";
  return undefined;
}

function parseJson(bytes: Buffer | string, label: string): unknown {
  try {
    return JSON.parse(typeof bytes === "string" ? bytes : bytes.toString("utf8"));
  } catch (error) {
    throw formatError(`${label}: not valid JSON (${(error as Error).message})`, error);
  }
}

function readOptions(options: unknown, allowed: readonly string[]): Record<string, unknown> {
  if (options === undefined) return {};
  if (typeof options !== "object" || options === null || Array.isArray(options)) throw invalidType("options", "an object", options);
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(options)) {
    if (!allowed.includes(key)) throw unknownKey("options", key, allowed);
    out[key] = (options as Record<string, unknown>)[key];
  }
  if (out.format !== undefined && !FORMATS.includes(out.format as ModelFormat))
    throw invalidValue("options.format", `one of ${FORMATS.join(", ")}`, out.format);
  if (
    out.config !== undefined &&
    typeof out.config !== "string" &&
    !(out.config instanceof URL) &&
    (typeof out.config !== "object" || out.config === null)
  )
    throw invalidType("options.config", "a path to the config JSON, or the config object", out.config);
  return out;
}

async function readConfig(config: unknown): Promise<unknown> {
  if (config === undefined) return undefined;
  if (typeof config === "string" || config instanceof URL) {
    const label = config instanceof URL ? config.href : config;
    const path = config instanceof URL ? fileURLToPath(config) : config;
    return parseJson(await readWhole(path, label, MAX_JSON_BYTES), label);
  }
  return config;
}

/** Who wrote the file: activations whose definitions changed (hard_sigmoid) depend on it. */
interface Producer {
  readonly kerasVersion: string | undefined;
  readonly tfjs: boolean;
}

interface Found {
  readonly label: string;
  readonly located: Located[];
  readonly producer: Producer;
}

const kerasVersionOf = (value: unknown): string | undefined =>
  typeof value === "object" && value !== null && typeof (value as { keras_version?: unknown }).keras_version === "string"
    ? (value as { keras_version: string }).keras_version
    : undefined;

async function locate(sourceArg: unknown, options: Record<string, unknown>): Promise<Found> {
  const source = readSource(sourceArg);
  const head = await readHead(source);
  const detected = sniff(head);
  const format = (options.format as ModelFormat | undefined) ?? detected;
  if (format === undefined) throw formatError(`${source.label}: not a .keras (zip), .h5 (HDF5) or TF.js model.json file`);
  if (detected !== format)
    throw formatError(
      `${source.label}: format ${JSON.stringify(format)} was given, but the file ${detected ? `looks like ${JSON.stringify(detected)}` : "is none of keras, h5, tfjs"}`,
    );
  if (options.config !== undefined && format !== "h5")
    throw invalidValue(
      "options.config",
      `no config for a ${format} file (it has its own); config is for weights-only .h5 files`,
      options.config,
    );
  const config = await readConfig(options.config);
  const label = source.label;
  try {
    if (format === "tfjs") {
      if (!source.path) throw formatError(`${label}: a TF.js model.json is read from a path (its shards are beside it)`);
      const json = parseJson(await readWhole(source.path, label, MAX_JSON_BYTES), label);
      return { label, located: await locateTfjs(json, source.path, label), producer: { kerasVersion: undefined, tfjs: true } };
    }
    if (format === "keras") {
      const entries = await readZipEntries(source.path ? { path: source.path } : { bytes: source.bytes! }, label, {
        "config.json": MAX_JSON_BYTES,
        "metadata.json": MAX_JSON_BYTES,
        "model.weights.h5": MAX_ENTRY_BYTES,
      });
      const metadata = entries.get("metadata.json");
      const producer = { kerasVersion: metadata ? kerasVersionOf(parseJson(metadata, `${label}: metadata.json`)) : undefined, tfjs: false };
      const configBytes = entries.get("config.json");
      const weights = entries.get("model.weights.h5");
      if (!configBytes || !weights)
        throw formatError(`${label}: not a Keras 3 .keras file (no ${configBytes ? "model.weights.h5" : "config.json"} in the zip)`);
      const h5 = new H5File(weights, `${label}: model.weights.h5`);
      return { label, located: locateKeras3(h5, findCandidates(parseJson(configBytes, `${label}: config.json`), label)), producer };
    }
    const bytes = source.bytes ?? (await readWhole(source.path!, label, MAX_ENTRY_BYTES));
    const h5 = new H5File(bytes, label);
    // A config given replaces the file's own (model_config of a full legacy file).
    const embedded = config === undefined ? legacyConfig(h5) : undefined;
    const modelConfig = embedded !== undefined ? parseJson(embedded, `${label}: model_config`) : config;
    if (modelConfig === undefined)
      throw formatError(
        `${label}: a weights-only file (no model_config): pass the model's config, { config: "model.json" } (the output of model.to_json())`,
      );
    const candidates = findCandidates(modelConfig, label);
    const legacyRoot = legacyWeightsRoot(h5);
    if (legacyRoot) {
      const version = stringAttr(h5.attrs(h5.root), "keras_version") ?? stringAttr(h5.attrs(legacyRoot), "keras_version");
      return { label, located: locateLegacy(h5, legacyRoot, candidates), producer: { kerasVersion: version, tfjs: false } };
    }
    if (isKeras3Weights(h5)) return { label, located: locateKeras3(h5, candidates), producer: { kerasVersion: undefined, tfjs: false } };
    throw formatError(`${label}: an HDF5 file with neither Keras 3 weights (layers/…/vars) nor legacy ones (model_weights, layer_names)`);
  } catch (error) {
    throw asFormatError(label, error);
  }
}

function describeLayer(located: Located, index: number): ModelLayer {
  const c = located.candidate;
  return {
    index,
    name: c.name,
    className: c.className,
    features: located.features,
    units: c.units,
    activation: c.activation,
    useBias: c.useBias,
    dtype: located.dtype,
    path: c.namePath.join("/"),
    weights: located.location,
  };
}

/** Every layer of the model that tdfast can run: TimeDistributed(Dense) and Dense, nested models included. */
export async function inspectModel(source: ModelSource, options?: InspectOptions): Promise<ModelLayer[]> {
  const { located } = await locate(source, readOptions(options, ["format", "config"]));
  return located.map(describeLayer);
}

const listing = (layers: readonly ModelLayer[]) =>
  layers.length === 0
    ? "none"
    : layers.map((l) => `${l.index}: ${JSON.stringify(l.path)} (${l.className}, ${l.features} → ${l.units})`).join("; ");

/** The selected layer's weights as float32, its activation checked against tdfast's. */
export async function loadModelLayer(source: ModelSource, options: Record<string, unknown>): Promise<LoadedLayer> {
  const { label, located, producer } = await locate(source, options);
  const layers = located.map(describeLayer);
  const selector = options.layer;
  let index: number;
  if (selector === undefined) {
    index = located.length - 1;
    if (index < 0) throw missingLayerError(`${label}: the model has no TimeDistributed(Dense) or Dense layer`);
  } else if (typeof selector === "string") {
    index = layers.findIndex((l) => l.name === selector);
    if (index < 0) index = layers.findIndex((l) => l.path === selector);
    if (index < 0)
      throw missingLayerError(`${label}: no layer named ${JSON.stringify(selector)}; the layers tdfast can run are ${listing(layers)}`);
    if (layers.filter((l) => l.name === selector).length > 1)
      throw missingLayerError(
        `${label}: several layers are named ${JSON.stringify(selector)}: select one by path or index (${listing(layers)})`,
      );
  } else if (typeof selector === "number") {
    if (!Number.isInteger(selector) || selector < 0 || selector >= layers.length)
      throw missingLayerError(`${label}: layer index ${selector} is out of range; the layers tdfast can run are ${listing(layers)}`);
    index = selector;
  } else {
    throw invalidType("options.layer", "a layer name or an index", selector);
  }
  const chosen = located[index]!;
  const layer = layers[index]!;
  const c = chosen.candidate;
  if (c.quantization)
    throw layerError(`${label}: layer ${JSON.stringify(c.name)} is quantized (${c.quantization}); tdfast runs float weights only`);
  const activation = c.activationIsName ? lookupActivation(c.activation) : undefined;
  if (!activation)
    throw layerError(
      `${label}: layer ${JSON.stringify(c.name)} has activation ${JSON.stringify(c.activation)}, which tdfast does not compute`,
    );
  // tf.keras 1-2 and TF.js define hard_sigmoid as clip(0.2 x + 0.5, 0, 1); Keras 3 (and tdfast) as relu6(x + 3) / 6.
  if (activation.name === "hard_sigmoid" && (producer.tfjs || /^[12]\./.test(producer.kerasVersion ?? "")))
    throw layerError(
      `${label}: layer ${JSON.stringify(c.name)} has activation "hard_sigmoid" as ${producer.tfjs ? "TF.js" : `Keras ${producer.kerasVersion}`} defines it (clip(0.2 x + 0.5, 0, 1)), not Keras 3's relu6(x + 3) / 6, which tdfast computes`,
    );
  let weights: Awaited<ReturnType<Located["read"]>>;
  try {
    weights = await chosen.read();
  } catch (error) {
    throw asFormatError(label, error);
  }
  if (weights.kernel.length !== layer.features * layer.units || (weights.bias && weights.bias.length !== layer.units))
    throw sizeError(
      `${label}: layer ${JSON.stringify(c.name)}: read ${weights.kernel.length} kernel values, expected ${layer.features * layer.units}`,
    );
  return { layer, kernel: weights.kernel, bias: weights.bias, activation: activation.name };
}

export { readOptions as readModelOptions };
