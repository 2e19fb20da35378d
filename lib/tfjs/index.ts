// tdfast/tfjs: accelerate(model) makes a TensorFlow.js model's TimeDistributed(Dense) layers one fused
// computation at inference. Not imported by tdfast's main entry; tfjs itself is never imported (see tfjs-types.ts).

import { resolveBackend } from "../backends/index.js";
import { invalidType, invalidValue, withCode } from "../errors.js";
import { readOptionsObject } from "../options.js";
import { type AcceleratedState, activationPlan, isExactly, makeAcceleratedCall, type Path, pathFor } from "./layer.js";
import type { LayersModelLike, TfEngine, TfLayer } from "./tfjs-types.js";

export type { LayersModelLike } from "./tfjs-types.js";

/** How accelerate()d layers compute on host tfjs backends (cpu, wasm, tensorflow). */
export type AccelerateBackend = "auto" | "cpu" | "cuda" | "tfjs";

export interface AccelerateOptions {
  /**
   * "auto" (default): tdfast's cpu kernel, or tfjs's one matMul when the tdfast addon cannot load; "cpu" or
   * "cuda": that tdfast backend (an error if unavailable; cuda copies each input to the GPU and the result
   * back); "tfjs": always tfjs's one matMul over flattened time. On webgl and webgpu every choice computes
   * with tfjs's matMul, where the data already is.
   */
  readonly backend?: AccelerateBackend;
}

/** One layer accelerate() changed. */
export interface AcceleratedLayer {
  /** The TimeDistributed layer's name. */
  readonly name: string;
  /** The Dense's input features; null until the layer is built (its first call). */
  readonly features: number | null;
  readonly units: number;
  /** The Dense's activation as tfjs names it ("sigmoid", "swish", "logSoftmax", ...). */
  readonly activation: string;
  /**
   * true: the activation is computed inside tdfast's kernel; false: tdfast computes the linear part and tfjs
   * applies the activation (hardSigmoid and gelu_new, which tfjs defines differently from Keras 3).
   */
  readonly fused: boolean;
  /**
   * What computes the layer's inference calls on the tfjs backend active when accelerate() ran: tdfast's
   * "cpu" or "cuda" backend (host tfjs backends: cpu, wasm, tensorflow), or "tfjs": one matMul over all
   * timesteps with tfjs's own ops (webgl, webgpu, option backend "tfjs", or no tdfast addon). Decided again at
   * each call, so a later tf.setBackend() changes the path. Training calls always keep tfjs's own path.
   */
  readonly via: Path;
}

const ACCELERATED = Symbol.for("tdfast.tfjs.accelerated");
const OPTION_KEYS = ["backend"] as const;
const BACKEND_OPTIONS: readonly AccelerateBackend[] = ["auto", "cpu", "cuda", "tfjs"];

/**
 * Makes the inference call of every TimeDistributed(Dense) in `model` (Sequential or functional, nested models
 * included) one fused computation, and returns what it changed: calling it again changes nothing more and
 * returns []. Results equal tfjs's own within float32 tolerance; training, gradients, model.save and later
 * weight changes behave as before. Only these layers' instances change; their classes and the saved
 * architecture do not.
 */
export function accelerate(model: LayersModelLike, options?: AccelerateOptions): AcceleratedLayer[] {
  if (typeof model !== "object" || model === null || !Array.isArray((model as { layers?: unknown }).layers))
    throw invalidType("model", "a tfjs LayersModel (tf.sequential(), tf.model(), tf.loadLayersModel())", model);
  const fields = readOptionsObject("options", options, OPTION_KEYS);
  const choice = readChoice(fields.backend);
  const engine = tfjsEngine();
  const hostBackend = choice === "tfjs" ? null : tdfastBackend(choice);
  const changed: AcceleratedLayer[] = [];
  const seen = new Set<object>();
  const visit = (layers: readonly unknown[]): void => {
    for (const layer of layers) {
      if (typeof layer !== "object" || layer === null || seen.has(layer)) continue;
      seen.add(layer);
      const sublayers = (layer as { layers?: unknown }).layers;
      if (Array.isArray(sublayers)) visit(sublayers);
      else if (isExactly(layer, "TimeDistributed")) {
        const entry = accelerateLayer(layer, engine, hostBackend, choice === "tfjs");
        if (entry) changed.push(entry);
      }
    }
  };
  visit(model.layers);
  return changed;
}

function accelerateLayer(
  wrapper: TfLayer,
  engine: TfEngine,
  hostBackend: "cpu" | "cuda" | null,
  tfjsOnly: boolean,
): AcceleratedLayer | undefined {
  if (Object.hasOwn(wrapper, ACCELERATED)) return undefined;
  const dense = wrapper.layer;
  if (!isExactly(dense, "Dense")) return undefined;
  const activation = activationPlan(dense.activation);
  if (activation === undefined) return undefined;
  const state: AcceleratedState = {
    wrapper,
    dense,
    original: wrapper.call,
    activation,
    activationObject: dense.activation,
    hostBackend,
    tfjsOnly,
    prepared: null,
  };
  // An own property on this instance: the class, other instances and the serialized model are untouched.
  Object.defineProperty(wrapper, "call", {
    value: makeAcceleratedCall(state, engine),
    writable: true,
    configurable: true,
    enumerable: false,
  });
  Object.defineProperty(wrapper, ACCELERATED, { value: state, configurable: true, enumerable: false });
  const kernel = dense.kernel;
  return {
    name: wrapper.name,
    features: kernel == null ? null : (kernel.read().shape[0] ?? null),
    units: dense.units!,
    activation: activation.name,
    fused: activation.fused !== null,
    via: pathFor(state, engine.backendName),
  };
}

function readChoice(value: unknown): AccelerateBackend {
  if (value === undefined) return "auto";
  if (typeof value !== "string") throw invalidType("options.backend", `one of ${BACKEND_OPTIONS.join(", ")}`, value);
  if (!(BACKEND_OPTIONS as readonly string[]).includes(value))
    throw invalidValue("options.backend", `one of ${BACKEND_OPTIONS.join(", ")}`, value);
  return value as AccelerateBackend;
}

/**
 * The tdfast backend that computes on host tensors. "auto" is the cpu kernel even where a GPU is usable: the
 * tensors are in host memory and the op is bound by memory traffic, so a round trip over PCIe costs more than
 * the CPU pass (measured: 4 µs for the seed's head); without the addon, "auto" falls back to tfjs's one matMul.
 */
function tdfastBackend(choice: "auto" | "cpu" | "cuda"): "cpu" | "cuda" | null {
  try {
    return resolveBackend(choice === "auto" ? "cpu" : choice, true).name === "cuda" ? "cuda" : "cpu";
  } catch (error) {
    if (choice === "auto") return null;
    throw error;
  }
}

/**
 * The tfjs engine the model runs on. Every copy of @tensorflow/tfjs-core loaded in a process shares one engine,
 * which the first copy keeps on the global object and every later copy (and every tensor) uses: it is the
 * model's, whichever tfjs package and copy created the model. Reading it loads nothing; requiring
 * @tensorflow/tfjs-core here could load a second copy of it (with its warnings) where tdfast resolves another
 * one than the application. The require is only the fallback should a tfjs version stop keeping it there.
 */
function tfjsEngine(): TfEngine {
  const shared = (globalThis as { _tfengine?: unknown })._tfengine;
  if (isEngine(shared)) return shared;
  let engine: unknown;
  try {
    engine = (require("@tensorflow/tfjs-core") as { engine(): unknown }).engine();
  } catch (cause) {
    throw withCode(
      new Error("tdfast/tfjs: TensorFlow.js is not loaded (install and import @tensorflow/tfjs, -node or -core)", { cause }),
      "ERR_TDFAST_BACKEND_UNAVAILABLE",
    );
  }
  if (!isEngine(engine)) throw withCode(new Error("tdfast/tfjs: this TensorFlow.js engine is not supported"), "ERR_TDFAST_INTERNAL");
  return engine;
}

function isEngine(value: unknown): value is TfEngine {
  if (typeof value !== "object" || value === null) return false;
  const engine = value as Record<string, unknown>;
  return ["makeTensor", "runKernel", "tidy", "isTapeOn"].every((name) => typeof engine[name] === "function");
}
