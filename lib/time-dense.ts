// The op: y[..., u] = act(sum_f x[..., f] * kernel[f, u] + bias[u]) over every timestep at once.

import type { Activation, CanonicalActivation } from "./activations.js";
import { newDeviceBuffer } from "./backends/cuda.js";
import { type BackendChoice, resolveBackend } from "./backends/index.js";
import type { Backend, BackendName, PreparedDense } from "./backends/types.js";
import { elementCode } from "./binding.js";
import { checkAsyncBuffer, pinForAsync } from "./buffers.js";
import { disposed, invalidSize, invalidType, invalidValue, withCode } from "./errors.js";
import { bytesPerValue, type DType, type Float16ArrayLike, type Float16Data } from "./float16.js";
import type { LoadOptions, ModelSource } from "./model/index.js";
import { modelReader } from "./model/lazy.js";
import { readOptionsObject } from "./options.js";
import { allocateOutput } from "./output.js";
import { Tensor, type TensorLike, tensor } from "./tensor.js";
import {
  type HostData,
  type Input,
  type KernelArg,
  readActivation,
  readBackend,
  readBias,
  readInput,
  readKernel,
  readOut,
  readOutputDtype,
} from "./validate.js";

export interface TimeDenseOptions {
  /**
   * Keras layout [features, units]: a tensor, or a flat Float32Array (or Float16Array) of features×units
   * values. float16 weights are widened to float32 once, here.
   */
  readonly kernel: Float32Array | Float16ArrayLike | TensorLike;
  /** units values; null or absent for no bias. */
  readonly bias?: Float32Array | Float16ArrayLike | TensorLike | null;
  /** Keras 3 activation name; "linear" by default. */
  readonly activation?: Activation;
  /** Which backend computes; "auto" by default. */
  readonly backend?: BackendChoice;
  /** The results' dtype when a call does not say: "float32" (the default) or "float16". */
  readonly outputDtype?: DType;
}

export interface CallOptions {
  /**
   * Write the result into this buffer (exactly the output's size, not overlapping x): a Float32Array, or for
   * a float16 result a Float16Array or a Uint16Array (the latter with outputDtype "float16").
   */
  readonly out?: Float32Array | Float16Data | TensorLike;
  /** timeDense / timeDenseSync only: which backend computes. */
  readonly backend?: BackendChoice;
  /**
   * "float16": the result is rounded to float16 (nearest, ties to even; beyond 65504 ±inf; NaN stays NaN) in a
   * Float16Array where the runtime has one, else a Uint16Array of the bits (the tensor's dtype says
   * "float16" either way). "float32" by default, or the layer's outputDtype.
   */
  readonly outputDtype?: DType;
}

/** Options of apply() and applySync(). */
export type ApplyOptions = Pick<CallOptions, "out" | "outputDtype">;

const LAYER_KEYS = ["kernel", "bias", "activation", "backend", "outputDtype"] as const;
const APPLY_KEYS = ["out", "outputDtype"] as const;
const CALL_KEYS = ["out", "backend", "outputDtype"] as const;
type RunOptions = { out?: unknown; outputDtype?: unknown };

const sameBytes = (a: Float32Array, b: Float32Array): boolean =>
  a.length === b.length && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

/**
 * A TimeDistributed(Dense) layer whose weights are validated, copied and prepared once (packed for the CPU
 * kernel, uploaded to the GPU, or compiled into an onnxruntime session) and reused by every call.
 * Later changes to the arrays passed in do not affect the layer.
 */
export class TimeDense<O extends DType = "float32"> {
  /**
   * A layer with the weights and activation of a model file's TimeDistributed(Dense) or Dense layer: a Keras 3
   * .keras, a legacy .h5, a .weights.h5 with `config`, or a TF.js model.json. By default the model's last such layer.
   */
  static async load(source: ModelSource, options?: LoadOptions): Promise<TimeDense> {
    const model = modelReader();
    const opts = model.readModelOptions(options, ["layer", "format", "config", "backend"]);
    const backend = readBackend(opts.backend);
    const { kernel, bias, activation, layer } = await model.loadModelLayer(source, opts);
    return new TimeDense({ kernel: tensor(kernel, [layer.features, layer.units]), bias, activation, backend });
  }

  readonly activation: CanonicalActivation;
  readonly backend: BackendChoice;
  /** The results' dtype when a call does not say (outputDtype). */
  readonly outputDtype: O;
  private readonly kernel: Float32Array;
  private readonly bias: Float32Array | null;
  private readonly activationId: number;
  /** Known from a [F, U] kernel or a bias; otherwise fixed by the first input. */
  private dims: { features: number; units: number } | undefined;
  private readonly prepared = new Map<BackendName, PreparedDense>();
  private disposed = false;

  constructor(options: TimeDenseOptions & { readonly outputDtype?: O }) {
    const spec = validatedSpec ?? readLayerSpec(options);
    validatedSpec = undefined;
    const { kernel, bias, activation } = spec;
    this.backend = spec.backend;
    this.outputDtype = (spec.outputDtype ?? "float32") as O;
    this.activation = activation.name;
    this.activationId = activation.id;
    this.kernel = kernel.data === kernel.source ? kernel.data.slice() : kernel.data; // widened float16: already a copy
    this.bias = bias ? bias.slice() : null;
    if (kernel.features !== undefined) {
      this.dims = { features: kernel.features, units: kernel.data.length / kernel.features };
      if (bias && bias.length !== this.dims.units)
        throw invalidSize("bias", `expected ${this.dims.units} values (the kernel's units), got ${bias.length}`);
    } else if (bias) {
      if (kernel.data.length % bias.length !== 0)
        throw invalidSize(
          "kernel",
          `${kernel.data.length} values are not a whole number of rows of ${bias.length} units (the bias length)`,
        );
      this.dims = { features: kernel.data.length / bias.length, units: bias.length };
    }
  }

  /** Input features F; undefined until the first call for a flat kernel given without a bias. */
  get features(): number | undefined {
    return this.dims?.features;
  }

  /** Output units U; undefined until the first call for a flat kernel given without a bias. */
  get units(): number | undefined {
    return this.dims?.units;
  }

  /** Computes the layer on `x` ([..., features]); resolves to a host tensor of shape [..., units]. */
  apply(x: TensorLike, options?: ApplyOptions & { readonly outputDtype?: undefined }): Promise<Tensor<O>>;
  apply<P extends DType>(x: TensorLike, options: ApplyOptions & { readonly outputDtype: P }): Promise<Tensor<P>>;
  apply(x: TensorLike, options?: ApplyOptions): Promise<Tensor<DType>> {
    try {
      return this.run(readInput(x), readOptionsObject("options", options, APPLY_KEYS), false, this.backend);
    } catch (error) {
      return Promise.reject(error); // argument errors reject, as from an async function, without its extra tick
    }
  }

  /** As apply(), computed on the calling thread. */
  applySync(x: TensorLike, options?: ApplyOptions & { readonly outputDtype?: undefined }): Tensor<O>;
  applySync<P extends DType>(x: TensorLike, options: ApplyOptions & { readonly outputDtype: P }): Tensor<P>;
  applySync(x: TensorLike, options?: ApplyOptions): Tensor<DType> {
    return this.run(readInput(x), readOptionsObject("options", options, APPLY_KEYS), true, this.backend);
  }

  /** Frees the prepared weights of every backend; later calls throw. */
  dispose(): void {
    this.disposed = true;
    for (const prepared of this.prepared.values()) prepared.dispose();
    this.prepared.clear();
  }

  /** @internal the size of the layer's copy of its kernel. */
  get kernelBytes(): number {
    return this.kernel.byteLength;
  }

  /** @internal true while the layer's copy still equals these arrays (used to reuse one-off layers safely). */
  holds(kernel: Float32Array, bias: Float32Array | null): boolean {
    return sameBytes(this.kernel, kernel) && (bias === null ? this.bias === null : this.bias !== null && sameBytes(this.bias, bias));
  }

  /** @internal shared by apply, applySync, timeDense and timeDenseSync. */
  run(input: Input, opts: RunOptions, sync: true, choice: BackendChoice): Tensor<DType>;
  /** @internal */
  run(input: Input, opts: RunOptions, sync: false, choice: BackendChoice): Promise<Tensor<DType>>;
  /** @internal */
  run(input: Input, opts: RunOptions, sync: boolean, choice: BackendChoice): Tensor<DType> | Promise<Tensor<DType>> {
    if (this.disposed) {
      throw disposed("TimeDense: the layer");
    }
    const requested = readOutputDtype("outputDtype", opts.outputDtype) ?? this.outputDtype;
    const dims = this.dimsFor(input);
    const outputShape = [...input.leading, dims.units];
    if (input.data === null) return this.runOnDevice(input, opts, sync, choice, dims, outputShape, requested);
    let out: HostData;
    let outDtype: DType;
    if (opts.out === undefined) {
      outDtype = requested;
      out = allocateOutput(input.rows * dims.units, outDtype);
    } else {
      ({ data: out, dtype: outDtype } = readOut(opts.out, outputShape, input.data, opts.outputDtype === undefined ? undefined : requested));
    }
    const float16 = input.dtype === "float16" || outDtype === "float16";
    const backend = resolveBackend(choice, sync, float16);
    const prepared = this.preparedFor(backend, dims);
    const xType = elementCode(input.dtype);
    const outType = elementCode(outDtype);
    if (sync) {
      if (float16) prepared.runSync!(input.data, input.rows, out, xType, outType);
      else prepared.runSync!(input.data, input.rows, out);
      return Tensor.ofResult(out, outputShape, backend.name, outDtype);
    }
    checkAsyncBuffer("x.data", input.data);
    if (opts.out !== undefined) checkAsyncBuffer("out", out);
    const pending = float16 ? prepared.run(input.data, input.rows, out, xType, outType) : prepared.run(input.data, input.rows, out);
    const result = () => Tensor.ofResult(out, outputShape, backend.name, outDtype);
    if (pending === undefined) return Promise.resolve(result());
    // The call goes on after this returns, on another thread (cpu, cuda): its buffers must not be detached
    // meanwhile (a result tdfast allocated is not reachable by anyone else until the call ends). The onnx
    // backend runs on this thread and checks the buffers before each slice instead.
    if (backend.name !== "onnx") {
      pinForAsync(input.data);
      if (opts.out !== undefined) pinForAsync(out);
    }
    return pending.then(result);
  }

  // A cuda tensor in gives a cuda tensor out, computed where the data already is.
  private runOnDevice(
    input: Input,
    opts: RunOptions,
    sync: boolean,
    choice: BackendChoice,
    dims: { features: number; units: number },
    outputShape: number[],
    outDtype: DType,
  ): Tensor<DType> | Promise<Tensor<DType>> {
    if (opts.out !== undefined) throw invalidValue("out", "no out option with a cuda tensor input", opts.out);
    const float16 = input.dtype === "float16" || outDtype === "float16";
    const backend = resolveBackend(choice === "auto" ? "cuda" : choice, sync, float16);
    if (backend.name !== "cuda")
      throw withCode(
        new RangeError(`${backend.name}: x is a cuda tensor; use backend "cuda" or "auto", or move it with await x.to("cpu")`),
        "ERR_TDFAST_INVALID_VALUE",
      );
    const prepared = this.preparedFor(backend, dims);
    const out = newDeviceBuffer(input.rows * dims.units * bytesPerValue(outDtype));
    const xType = elementCode(input.dtype);
    const outType = elementCode(outDtype);
    const result = () => Tensor.onDevice(out, outputShape, "cuda", outDtype);
    const fail = (error: unknown): never => {
      out.dispose();
      throw error;
    };
    if (sync) {
      try {
        prepared.runDeviceSync!(input.deviceBuffer!, input.rows, out, xType, outType);
      } catch (error) {
        fail(error);
      }
      return result();
    }
    return prepared.runDevice!(input.deviceBuffer!, input.rows, out, xType, outType).then(result, fail);
  }

  private dimsFor(input: Input): { features: number; units: number } {
    if (this.dims === undefined) {
      if (input.features === 0 || this.kernel.length % input.features !== 0)
        throw invalidSize(
          "x.shape",
          `the last axis (${input.features} features) does not divide the kernel's ${this.kernel.length} values`,
        );
      this.dims = { features: input.features, units: this.kernel.length / input.features };
    } else if (input.features !== this.dims.features) {
      throw invalidSize("x.shape", `expected the last axis to be ${this.dims.features} (the kernel's features), got ${input.features}`);
    }
    return this.dims;
  }

  private preparedFor(backend: Backend, dims: { features: number; units: number }): PreparedDense {
    let prepared = this.prepared.get(backend.name);
    if (!prepared) {
      prepared = backend.prepare({
        kernel: this.kernel,
        bias: this.bias,
        features: dims.features,
        units: dims.units,
        activation: this.activation,
        activationId: this.activationId,
      });
      this.prepared.set(backend.name, prepared);
    }
    return prepared;
  }
}

interface LayerSpec {
  readonly kernel: KernelArg;
  readonly bias: Float32Array | null;
  readonly activation: { name: CanonicalActivation; id: number };
  readonly backend: BackendChoice;
  readonly outputDtype?: DType | undefined;
}

function readLayerSpec(options: unknown): LayerSpec {
  if (typeof options !== "object" || options === null) throw invalidType("TimeDense options", "an object with a kernel", options);
  const fields = readOptionsObject("TimeDense options", options, LAYER_KEYS);
  return {
    kernel: readKernel(fields.kernel),
    bias: readBias(fields.bias),
    activation: readActivation(fields.activation),
    backend: readBackend(fields.backend),
    outputDtype: readOutputDtype("outputDtype", fields.outputDtype),
  };
}

/** Set just before layerFor constructs a layer from weights it has validated, so they are not validated twice. */
let validatedSpec: LayerSpec | undefined;

// One-off calls reuse prepared layers, so repeated timeDense(x, { kernel }) calls neither repack the weights nor
// rebuild an onnxruntime session, whatever wrapper objects carry the weights: a layer is found by the kernel's
// Float32Array (a WeakMap lookup), else among the most recently used layers by content. It is reused only while
// a byte comparison shows its copy equal to the arrays passed, so a kernel mutated between calls is never
// silently ignored. At most MAX_ONE_OFF_LAYERS layers holding at most MAX_ONE_OFF_BYTES of kernels are kept;
// the least recently used is disposed (its native memory freed at once), so memory stays flat however many
// different weights pass through, even in a loop that never yields to the garbage collector.
const MAX_ONE_OFF_LAYERS = 16;
const MAX_ONE_OFF_BYTES = 256 * 2 ** 20;
const recentLayers: TimeDense<DType>[] = []; // least recently used first
let recentBytes = 0;
const layerByKernel = new WeakMap<object, TimeDense<DType>>();

const WEIGHT_KEYS = ["kernel", "bias", "activation"] as const;

function layerFor(options: unknown, input: Input): TimeDense<DType> {
  const fields = readOptionsObject("weights", options, WEIGHT_KEYS);
  const kernel = readKernel(fields.kernel);
  const bias = readBias(fields.bias);
  const activation = readActivation(fields.activation);
  const fits = (layer: TimeDense<DType>): boolean =>
    layer.activation === activation.name &&
    (layer.features ?? input.features) === input.features &&
    (kernel.features === undefined || layer.features === kernel.features) &&
    layer.holds(kernel.data, bias);
  let layer = layerByKernel.get(kernel.source);
  let index = layer === undefined ? -1 : recentLayers.indexOf(layer);
  if (index < 0 || !fits(layer!)) index = recentLayers.findIndex(fits);
  if (index >= 0) {
    layer = recentLayers[index]!;
    if (index !== recentLayers.length - 1) recentLayers.push(...recentLayers.splice(index, 1));
  } else {
    validatedSpec = { kernel, bias, activation, backend: "auto" };
    try {
      layer = new TimeDense<DType>(fields as unknown as TimeDenseOptions);
    } finally {
      validatedSpec = undefined;
    }
    recentLayers.push(layer);
    recentBytes += kernel.data.byteLength;
    while (recentLayers.length > 1 && (recentLayers.length > MAX_ONE_OFF_LAYERS || recentBytes > MAX_ONE_OFF_BYTES)) {
      const evicted = recentLayers.shift()!;
      recentBytes -= evicted.kernelBytes;
      evicted.dispose();
    }
  }
  layerByKernel.set(kernel.source, layer);
  return layer;
}

/** The weights of a one-off call. */
export type WeightsOptions = Omit<TimeDenseOptions, "backend" | "outputDtype">;

/** TimeDistributed(Dense) on `x` ([..., features]) → Promise of a host tensor [..., units]. */
export function timeDense(
  x: TensorLike,
  weights: WeightsOptions,
  options?: CallOptions & { readonly outputDtype?: "float32" },
): Promise<Tensor<"float32">>;
export function timeDense<P extends DType>(
  x: TensorLike,
  weights: WeightsOptions,
  options: CallOptions & { readonly outputDtype: P },
): Promise<Tensor<P>>;
export function timeDense(x: TensorLike, weights: WeightsOptions, options?: CallOptions): Promise<Tensor<DType>> {
  try {
    const opts = readOptionsObject("options", options, CALL_KEYS);
    const input = readInput(x);
    return layerFor(weights, input).run(input, opts, false, readBackend(opts.backend));
  } catch (error) {
    return Promise.reject(error);
  }
}

/** As timeDense(), computed synchronously on the calling thread. */
export function timeDenseSync(
  x: TensorLike,
  weights: WeightsOptions,
  options?: CallOptions & { readonly outputDtype?: "float32" },
): Tensor<"float32">;
export function timeDenseSync<P extends DType>(
  x: TensorLike,
  weights: WeightsOptions,
  options: CallOptions & { readonly outputDtype: P },
): Tensor<P>;
export function timeDenseSync(x: TensorLike, weights: WeightsOptions, options?: CallOptions): Tensor<DType> {
  const opts = readOptionsObject("options", options, CALL_KEYS);
  const input = readInput(x);
  return layerFor(weights, input).run(input, opts, true, readBackend(opts.backend));
}
