// One accelerated TimeDistributed(Dense): the inference call that replaces tfjs's loop over timesteps.

import type { Activation } from "../activations.js";
import { TimeDense } from "../time-dense.js";
import type { TfActivation, TfCall, TfCallInputs, TfEngine, TfLayer, TfLayerVariable, TfTensor } from "./tfjs-types.js";

/** tfjs activation class names whose definition is Keras 3's, and so tdfast's: computed inside tdfast's kernel. */
const FUSED_ACTIVATIONS: ReadonlyMap<string, Activation> = new Map<string, Activation>([
  ["linear", "linear"],
  ["sigmoid", "sigmoid"],
  ["tanh", "tanh"],
  ["relu", "relu"],
  ["relu6", "relu6"],
  ["elu", "elu"],
  ["selu", "selu"],
  ["gelu", "gelu"],
  ["swish", "silu"],
  ["softplus", "softplus"],
  ["softsign", "softsign"],
  ["mish", "mish"],
  ["softmax", "softmax"],
  ["logSoftmax", "log_softmax"],
]);
/**
 * tfjs activations tdfast does not compute as tfjs defines them: hardSigmoid is Keras 2's clip(0.2·x + 0.5)
 * in tfjs but relu6(x + 3)/6 in Keras 3 and tdfast; gelu_new is the tanh approximation. Both are elementwise,
 * so tdfast computes the linear part and tfjs applies the layer's own activation object to the result.
 */
const TFJS_APPLIED_ACTIVATIONS: ReadonlySet<string> = new Set(["hardSigmoid", "gelu_new"]);

/** tfjs backends whose tensors live in host memory: reading them back is a copy at most, so tdfast computes. */
export const HOST_BACKENDS: ReadonlySet<string> = new Set(["cpu", "wasm", "tensorflow"]);

/** The exact tfjs class (not a subclass that may override call()): its constructor has its own className. */
export function isExactly(layer: unknown, className: string): layer is TfLayer {
  if (typeof layer !== "object" || layer === null) return false;
  const candidate = layer as Partial<TfLayer>;
  if (typeof candidate.getClassName !== "function" || typeof candidate.call !== "function") return false;
  const ctor = (layer as { constructor?: unknown }).constructor;
  return (
    typeof ctor === "function" &&
    Object.hasOwn(ctor, "className") &&
    (ctor as { className?: unknown }).className === className &&
    candidate.getClassName() === className &&
    !Object.hasOwn(layer, "call")
  );
}

/** How tdfast computes a Dense's activation: fused in the kernel, applied by tfjs after, or not at all (unknown). */
export function activationPlan(activation: TfActivation | undefined): { name: string; fused: Activation | null } | undefined {
  if (activation === undefined || activation === null) return { name: "linear", fused: "linear" };
  if (!isExactlyActivation(activation)) return undefined;
  const name = activation.getClassName();
  const fused = FUSED_ACTIVATIONS.get(name);
  if (fused !== undefined) return { name, fused };
  if (TFJS_APPLIED_ACTIVATIONS.has(name)) return { name, fused: null };
  return undefined; // a custom activation: it need not be elementwise; tfjs keeps computing the layer
}

// Activation objects have apply(), not call(): the same exact-class test without the call() check.
function isExactlyActivation(activation: TfActivation): boolean {
  if (typeof activation !== "object" || typeof activation.getClassName !== "function") return false;
  const ctor = (activation as { constructor?: unknown }).constructor;
  const name = activation.getClassName();
  return (
    typeof ctor === "function" &&
    Object.hasOwn(ctor, "className") &&
    (ctor as { className?: unknown }).className === name &&
    typeof activation.apply === "function" &&
    !Object.hasOwn(activation, "apply")
  );
}

/** What a layer's call does with the tensors it gets: tdfast's kernel, or tfjs's own ops over flattened time. */
export type Path = "cpu" | "cuda" | "tfjs";

export interface AcceleratedState {
  readonly wrapper: TfLayer;
  readonly dense: TfLayer;
  readonly original: TfCall;
  readonly activation: { name: string; fused: Activation | null };
  /** The Dense's activation object when accelerated: another one put there later is left to tfjs. */
  readonly activationObject: TfActivation | undefined;
  /** The tdfast backend for host tensors (cpu or cuda), or null where tdfast cannot compute synchronously. */
  readonly hostBackend: "cpu" | "cuda" | null;
  /** true: every call takes tfjs's flattened path (option backend: "tfjs"). */
  readonly tfjsOnly: boolean;
  /** The prepared weights, valid while the kernel's and bias's data are these objects. */
  prepared: { kernelData: object; biasData: object | null; layer: TimeDense } | null;
}

function single(inputs: TfCallInputs): TfTensor | undefined {
  if (Array.isArray(inputs)) return inputs.length === 1 ? inputs[0] : undefined;
  return inputs;
}

/** Which path a call on the active tfjs backend takes. */
export function pathFor(state: AcceleratedState, backendName: string | null): Path {
  if (state.tfjsOnly || state.hostBackend === null) return "tfjs";
  return backendName !== null && HOST_BACKENDS.has(backendName) ? state.hostBackend : "tfjs";
}

/**
 * The replacement of TimeDistributed.call. Inference only: a training call (kwargs.training, or any call while a
 * gradient tape records, which is how model.fit, tf.grad and optimizer.minimize run) keeps tfjs's own path, so
 * gradients flow exactly as before. So does anything this does not handle (a non-float input, a rank below 3,
 * a wrong feature count, an empty tensor, an unbuilt layer): tfjs then gives its own result or error.
 */
export function makeAcceleratedCall(state: AcceleratedState, engine: TfEngine): TfCall {
  const { wrapper, dense, original } = state;
  return function acceleratedCall(inputs: TfCallInputs, kwargs?: Record<string, unknown>) {
    if (kwargs?.training || engine.isTapeOn() || wrapper.layer !== dense || dense.activation !== state.activationObject)
      return original.call(wrapper, inputs, kwargs);
    const x = single(inputs);
    const kernelVariable = dense.kernel;
    if (x === undefined || kernelVariable == null || x.dtype !== "float32" || x.rank < 3 || x.size === 0)
      return original.call(wrapper, inputs, kwargs);
    const kernel = kernelVariable.read();
    const features = kernel.shape[0]!;
    const units = kernel.shape[1]!;
    if (x.shape[x.rank - 1] !== features || kernel.dtype !== "float32") return original.call(wrapper, inputs, kwargs);
    const outputShape = x.shape.slice(0, -1);
    outputShape.push(units);
    const path = pathFor(state, engine.backendName);
    if (path === "tfjs") {
      // One matMul (with the bias and activation) over all timesteps: tfjs's own Dense on [rows, features].
      return engine.tidy(() => {
        const flat = engine.runKernel("Reshape", { x }, { shape: [x.size / features, features] });
        const y = single(dense.call(flat, kwargs));
        if (y === undefined) throw new Error("tdfast/tfjs: Dense returned several tensors"); // cannot happen
        return engine.runKernel("Reshape", { x: y }, { shape: outputShape });
      });
    }
    const layer = preparedLayer(state, kernel, dense.bias ?? null);
    // A new array for every call: the cpu backend keeps the array it is given as the tensor's storage.
    const out = new Float32Array((x.size / features) * units);
    layer.applySync({ data: x.dataSync() as Float32Array, shape: x.shape }, { out });
    if (state.activation.fused !== null) return engine.makeTensor(out, outputShape, "float32");
    const activation = dense.activation!;
    return engine.tidy(() => activation.apply(engine.makeTensor(out, outputShape, "float32")));
  };
}

/** The layer's weights prepared by tdfast, re-read whenever the variables were assigned (setWeights, training). */
function preparedLayer(state: AcceleratedState, kernel: TfTensor, biasVariable: TfLayerVariable | null): TimeDense {
  const bias = biasVariable === null ? null : biasVariable.read();
  const prepared = state.prepared;
  const biasData = bias === null ? null : bias.dataId;
  if (prepared !== null && prepared.kernelData === kernel.dataId && prepared.biasData === biasData) return prepared.layer;
  const layer = new TimeDense({
    // TimeDense copies the values: the tensors' own arrays are only read.
    kernel: { data: kernel.dataSync() as Float32Array, shape: kernel.shape },
    bias: bias === null ? null : (bias.dataSync() as Float32Array),
    activation: state.activation.fused ?? "linear",
    backend: state.hostBackend ?? "cpu",
  });
  prepared?.layer.dispose();
  state.prepared = { kernelData: kernel.dataId, biasData, layer };
  return layer;
}
