// Walks a Keras model config (config.json of a .keras file, model_config of a legacy .h5, model.to_json(), a
// TF.js modelTopology) to the layers tdfast can run, in the order Keras's saving_lib walks them, with the path
// under which Keras 3 stores each one's variables (keras/src/saving/saving_lib.py: _save_state → _walk_saveable
// yields a Functional/Sequential model's `layers` first; _save_container_state names each layer by the snake-case
// of its class name, made unique with _1, _2, …; a TimeDistributed keeps its Dense under `layer`).

import { formatError } from "./fail.js";

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => typeof value === "object" && value !== null && !Array.isArray(value);

export interface Candidate {
  /** The user's layer name (the TimeDistributed's, or the Dense's). */
  readonly name: string;
  readonly className: "TimeDistributed" | "Dense";
  readonly units: number;
  /** As written in the config: a Keras name, or a description of something else. */
  readonly activation: string;
  readonly activationIsName: boolean;
  readonly useBias: boolean;
  readonly dtype: string;
  /** The quantization mode (int8, int4, float8, gptq, awq, …) of a quantized layer. */
  readonly quantization: string | undefined;
  /** Keras 3 weights path of the Dense (its variables are at `<kerasPath>/vars/0`, `/1`). */
  readonly kerasPath: string;
  /** User names from the outermost model down to this layer. */
  readonly namePath: readonly string[];
}

/** keras.src.utils.naming.to_snake_case. */
export function toSnakeCase(name: string): string {
  let s = name.replace(/[^\p{L}\p{N}_]+/gu, "");
  s = s.replace(/(.)([A-Z][a-z]+)/g, "$1_$2");
  return s.replace(/([a-z])([A-Z])/g, "$1_$2").toLowerCase();
}

/** The model config object ({ class_name, config }) inside the various wrappers. */
export function modelConfigOf(root: unknown, label: string): Json {
  if (!isObject(root)) throw formatError(`${label}: the model config is not a JSON object`);
  if (isObject(root.model_config)) return root.model_config; // TF.js converter's modelTopology
  if (typeof root.class_name === "string") return root;
  throw formatError(`${label}: no model config (expected an object with class_name and config)`);
}

function layersOf(model: Json): unknown[] | undefined {
  const config = model.config;
  if (Array.isArray(config)) return config; // Keras 2.0's Sequential
  if (isObject(config) && Array.isArray(config.layers)) return config.layers;
  return undefined;
}

const nameOf = (layer: Json): string => {
  const config = isObject(layer.config) ? layer.config : {};
  const name = config.name ?? layer.name;
  return typeof name === "string" ? name : "";
};

function describeActivation(value: unknown): { activation: string; isName: boolean } {
  if (value === undefined || value === null) return { activation: "linear", isName: true };
  if (typeof value === "string") return { activation: value, isName: true };
  if (isObject(value)) {
    const inner = value.config;
    const label = typeof inner === "string" ? inner : typeof value.class_name === "string" ? value.class_name : "an object";
    return { activation: `${typeof value.module === "string" ? `${value.module}.` : ""}${label}`, isName: false };
  }
  return { activation: String(value), isName: false };
}

function dtypeOf(config: Json): { dtype: string; quantization: string | undefined } {
  const raw = config.dtype;
  let name = "float32";
  let quantization: string | undefined;
  if (typeof raw === "string") name = raw;
  else if (isObject(raw)) {
    const inner = isObject(raw.config) ? raw.config : {};
    const className = typeof raw.class_name === "string" ? raw.class_name : "";
    if (typeof inner.name === "string") name = inner.name;
    else if (typeof inner.source_name === "string") name = inner.source_name;
    if (/quantiz/i.test(className) || typeof inner.mode === "string")
      quantization = typeof inner.mode === "string" ? inner.mode : className;
  }
  // Keras 3.0-3.3 named quantized policies "int8_from_float32" and the like.
  const match = /^(int8|int4|float8|gptq|awq)_from_(\w+)$/.exec(name);
  if (match) {
    quantization ??= match[1];
    name = match[2]!;
  }
  if (quantization === undefined && isObject(config.quantization_config)) {
    const qc = config.quantization_config;
    quantization = typeof qc.class_name === "string" ? qc.class_name : "quantized";
  }
  return { dtype: name, quantization };
}

function denseCandidate(
  dense: Json,
  name: string,
  className: "TimeDistributed" | "Dense",
  kerasPath: string,
  namePath: string[],
): Candidate {
  const config = isObject(dense.config) ? dense.config : {};
  const units = config.units;
  if (typeof units !== "number" || !Number.isSafeInteger(units) || units < 1)
    throw formatError(`layer ${JSON.stringify(name)}: units ${JSON.stringify(units)} is not a positive integer`);
  const { activation, isName } = describeActivation(config.activation);
  const { dtype, quantization } = dtypeOf(config);
  return {
    name,
    className,
    units,
    activation,
    activationIsName: isName,
    useBias: config.use_bias !== false,
    dtype,
    quantization,
    kerasPath,
    namePath,
  };
}

/** Every TimeDistributed(Dense) and Dense of the model, nested models included, in Keras's saving order. */
export function findCandidates(root: unknown, label: string): Candidate[] {
  const model = modelConfigOf(root, label);
  const out: Candidate[] = [];
  const walk = (modelJson: Json, path: string, namePath: string[], depth: number) => {
    if (depth > 64) throw formatError(`${label}: models nested more than 64 deep`);
    const layers = layersOf(modelJson);
    if (!layers) {
      if (depth === 0) throw formatError(`${label}: the model config has no list of layers`);
      return;
    }
    const used = new Map<string, number>();
    const sequential = modelJson.class_name === "Sequential";
    layers.forEach((layer, i) => {
      if (!isObject(layer) || typeof layer.class_name !== "string")
        throw formatError(`${label}: layer ${i} of ${namePath.join("/") || "the model"} is not a layer config`);
      const className = layer.class_name;
      // Sequential.layers leaves out its InputLayer (keras/src/models/sequential.py), so saving does too.
      if (sequential && i === 0 && className === "InputLayer") return;
      const snake = toSnakeCase(className);
      const seen = used.get(snake);
      used.set(snake, seen === undefined ? 0 : seen + 1);
      const unique = seen === undefined ? snake : `${snake}_${seen + 1}`;
      const layerPath = path ? `${path}/layers/${unique}` : `layers/${unique}`;
      const name = nameOf(layer);
      const config = isObject(layer.config) ? layer.config : {};
      if (layersOf(layer)) walk(layer, layerPath, [...namePath, name], depth + 1);
      else if (className === "TimeDistributed" && isObject(config.layer) && config.layer.class_name === "Dense")
        out.push(denseCandidate(config.layer, name, "TimeDistributed", `${layerPath}/layer`, [...namePath, name]));
      else if (className === "Dense") out.push(denseCandidate(layer, name, "Dense", layerPath, [...namePath, name]));
    });
  };
  walk(model, "", [], 0);
  return out;
}
