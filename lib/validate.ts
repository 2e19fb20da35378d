// Argument checks for the public API. Every message names the argument, what was expected and what was got;
// a wrong type is a TypeError, a wrong shape, length, size or value a RangeError.

import { types } from "node:util";

import { ACTIVATIONS, type CanonicalActivation, lookupActivation } from "./activations.js";
import { BACKEND_CHOICES, type BackendChoice } from "./backends/index.js";
import { type NativeCudaBuffer, nativeBinding } from "./binding.js";
import { invalidSize, invalidType, invalidValue } from "./errors.js";
import { type DType, type Float16Data, float16Bits, isFloat16Array, isUint16Array, widenFloat16 } from "./float16.js";
import { isObject } from "./options.js";
import { checkShape, Tensor } from "./tensor.js";

/** Host values of either dtype. */
export type HostData = Float32Array | Float16Data;

export interface Input {
  /** Host values; null for a cuda tensor, whose values are in `deviceBuffer`. */
  readonly data: HostData | null;
  readonly dtype: DType;
  readonly deviceBuffer?: NativeCudaBuffer;
  /** Leading axes (all but the last), flattened into rows. */
  readonly leading: readonly number[];
  readonly rows: number;
  readonly features: number;
}

const FLOAT16_HINT = 'a Float32Array, or float16 values (a Float16Array, or a Uint16Array with dtype "float16")';

/**
 * A tensor's values and dtype: a Float32Array, a Float16Array, or a Uint16Array whose tensor declares
 * `declared` "float16" (tdfast's and others' `dtype`, onnxruntime-node's `type`). A Uint16Array without it is
 * refused: its bits could be anything.
 */
function hostData(argument: string, value: unknown, declared: unknown): { data: HostData; dtype: DType } {
  if (types.isFloat32Array(value)) {
    if (declared === "float16") throw invalidType(argument, 'float16 values for dtype "float16"', value);
    return { data: value, dtype: "float32" };
  }
  if (isFloat16Array(value) || (declared === "float16" && isUint16Array(value))) {
    if (declared !== undefined && declared !== "float16") throw invalidType(argument, `${String(declared)} values for its dtype`, value);
    return { data: value, dtype: "float16" };
  }
  if (isUint16Array(value)) throw invalidType(argument, FLOAT16_HINT, value);
  throw invalidType(argument, "a Float32Array", value);
}

/** A tensor's declared element type: `dtype`, or onnxruntime-node's `type`. */
function declaredType(value: Record<string, unknown>): unknown {
  return value.dtype ?? value.type;
}

function detachedHint(data: HostData): string {
  return data.length === 0 && data.buffer.byteLength === 0 ? " (its ArrayBuffer may be detached)" : "";
}

/** x: a tdfast Tensor or any { data: Float32Array, shape | dims } of rank >= 2. */
export function readInput(x: unknown): Input {
  if (!isObject(x) || ArrayBuffer.isView(x)) throw invalidType("x", "a Tensor or an object with a Float32Array data and a shape", x);
  if (x instanceof Tensor) return tensorInput(x);
  const { data, dtype } = hostData("x.data", x.data, declaredType(x));
  const shapeValue = x.shape ?? x.dims;
  if (shapeValue === undefined) throw invalidType("x.shape", "an array of non-negative integers", shapeValue);
  const shape = checkShape("x.shape", shapeValue);
  if (shape.length < 2) throw invalidSize("x.shape", `expected rank >= 2 ([..., features]), got rank ${shape.length}`);
  const size = shape.reduce((a, b) => a * b, 1);
  if (size !== data.length)
    throw invalidSize("x.data", `shape [${shape.join(", ")}] needs ${size} elements, got ${data.length}${detachedHint(data)}`);
  const features = shape[shape.length - 1]!;
  const leading = shape.slice(0, -1);
  return { data, dtype, leading, rows: leading.reduce((a, b) => a * b, 1), features };
}

/** A Tensor's shape was checked when it was made; only its rank and, on the host, a detached buffer are left. */
function tensorInput(x: Tensor<DType>): Input {
  const { shape, size } = x;
  if (shape.length < 2) throw invalidSize("x.shape", `expected rank >= 2 ([..., features]), got rank ${shape.length}`);
  const leading = leadingAxes(shape);
  const rows = leading.reduce((a, b) => a * b, 1);
  const features = shape[shape.length - 1]!;
  if (x.device === "cuda") return { data: null, dtype: x.dtype, deviceBuffer: x.deviceBuffer!, leading, rows, features };
  const data = x.data;
  if (data.length !== size)
    throw invalidSize("x.data", `shape [${shape.join(", ")}] needs ${size} elements, got ${data.length}${detachedHint(data)}`);
  return { data, dtype: x.dtype, leading, rows, features };
}

/** All axes but the last. A loop: slice() of a frozen array (a Tensor's shape) is about ten times slower. */
function leadingAxes(shape: readonly number[]): number[] {
  const leading = new Array<number>(shape.length - 1);
  for (let i = 0; i < leading.length; i++) leading[i] = shape[i]!;
  return leading;
}

export interface KernelArg {
  /** float32 values: the caller's array, or float16 weights widened once. */
  readonly data: Float32Array;
  /** The caller's array (the one-off layer cache's key). */
  readonly source: object;
  /** From a [F, U] tensor; undefined for a flat Float32Array, whose F comes from the input. */
  readonly features: number | undefined;
}

/** float16 weights become float32 here, once: the kernels keep float32 weights. */
function weightValues(argument: string, value: unknown, declared: unknown): Float32Array {
  const { data, dtype } = hostData(argument, value, declared);
  return dtype === "float32" ? (data as Float32Array) : widenFloat16(data as Float16Data);
}

export function readKernel(kernel: unknown): KernelArg {
  if (types.isFloat32Array(kernel) || isFloat16Array(kernel)) {
    if (kernel.length === 0) throw invalidSize("kernel", `expected at least one element, got 0${detachedHint(kernel)}`);
    return { data: weightValues("kernel", kernel, undefined), source: kernel, features: undefined };
  }
  if (!isObject(kernel) || ArrayBuffer.isView(kernel)) throw invalidType("kernel", "a Float32Array or a [features, units] tensor", kernel);
  const data = weightValues("kernel.data", kernel.data, declaredType(kernel));
  const shape = checkShape("kernel.shape", kernel.shape ?? kernel.dims);
  if (shape.length !== 2) throw invalidSize("kernel.shape", `expected [features, units], got rank ${shape.length}`);
  const [features, units] = shape as [number, number];
  if (features === 0 || units === 0) throw invalidSize("kernel.shape", `expected features and units >= 1, got [${shape.join(", ")}]`);
  if (data.length !== features * units)
    throw invalidSize(
      "kernel.data",
      `shape [${features}, ${units}] needs ${features * units} elements, got ${data.length}${detachedHint(data)}`,
    );
  return { data, source: kernel.data as object, features };
}

export function readBias(bias: unknown): Float32Array | null {
  if (bias === undefined || bias === null) return null;
  if (types.isFloat32Array(bias)) return bias;
  if (isFloat16Array(bias)) return widenFloat16(bias);
  if (!isObject(bias) || ArrayBuffer.isView(bias)) throw invalidType("bias", "a Float32Array, a tensor, or null", bias);
  const data = weightValues("bias.data", bias.data, declaredType(bias));
  const shape = checkShape("bias.shape", bias.shape ?? bias.dims ?? [data.length]);
  if (shape.length !== 1) throw invalidSize("bias.shape", `expected [units], got rank ${shape.length}`);
  if (shape[0] !== data.length) throw invalidSize("bias.data", `shape [${shape[0]}] needs ${shape[0]} elements, got ${data.length}`);
  return data;
}

export function readActivation(activation: unknown): { name: CanonicalActivation; id: number } {
  if (activation === undefined) return { name: "linear", id: 0 };
  if (typeof activation !== "string") throw invalidType("activation", "an activation name (string)", activation);
  const found = lookupActivation(activation);
  if (!found) throw invalidValue("activation", `one of ${ACTIVATIONS.join(", ")}, swish`, activation);
  return found;
}

export function readBackend(backend: unknown): BackendChoice {
  if (backend === undefined) return "auto";
  if (typeof backend !== "string") throw invalidType("backend", `one of ${BACKEND_CHOICES.join(", ")}`, backend);
  if (!(BACKEND_CHOICES as readonly string[]).includes(backend))
    throw invalidValue("backend", `one of ${BACKEND_CHOICES.join(", ")}`, backend);
  return backend as BackendChoice;
}

/**
 * Whether two arrays' bytes overlap. Views of one ArrayBuffer are compared by offsets; two SharedArrayBuffer
 * objects may hold the same memory (structuredClone of one, a shared WebAssembly.Memory before and after
 * grow()), so those are compared by address, natively. Without the addon such a pair counts as overlapping
 * only when it is: the onnx backend copies shared x before computing (see backends/onnx.ts).
 */
function sharesMemory(a: HostData, b: HostData): boolean {
  if (a.buffer === b.buffer) return a.byteOffset < b.byteOffset + b.byteLength && b.byteOffset < a.byteOffset + a.byteLength;
  if (!types.isSharedArrayBuffer(a.buffer) || !types.isSharedArrayBuffer(b.buffer)) return false;
  const native = (data: HostData): Float32Array | Uint16Array => (types.isFloat32Array(data) ? data : float16Bits(data as Float16Data));
  return nativeBinding().binding?.sharesMemory(native(a), native(b)) ?? false;
}

/**
 * The `out` option: a Float32Array or tensor of exactly the output's size, not sharing memory with x; float16
 * (a Float16Array, or a Uint16Array when `requested` or its tensor says "float16") for a float16 result.
 * `requested` is the outputDtype option, when given: out must then hold that dtype.
 */
export function readOut(
  out: unknown,
  outputShape: readonly number[],
  input: HostData,
  requested: DType | undefined,
): { data: HostData; dtype: DType } {
  if (out instanceof Tensor && out.device === "cuda") throw invalidValue("out", "a host Float32Array or tensor", "a cuda tensor");
  const size = outputShape.reduce((a, b) => a * b, 1);
  let data: HostData;
  let dtype: DType;
  // A Uint16Array holds float16 when outputDtype (or its tensor) says so; any other mismatch is reported below.
  const bitsFor = (array: unknown) => (requested === "float16" && isUint16Array(array) ? requested : undefined);
  if (types.isFloat32Array(out) || isFloat16Array(out) || isUint16Array(out)) {
    ({ data, dtype } = hostData("out", out, bitsFor(out)));
  } else if (isObject(out) && !ArrayBuffer.isView(out)) {
    ({ data, dtype } = hostData("out.data", out.data, declaredType(out) ?? bitsFor(out.data)));
    const shapeValue = out.shape ?? out.dims;
    if (shapeValue !== undefined) {
      const shape = checkShape("out.shape", shapeValue);
      if (shape.length !== outputShape.length || shape.some((dim, i) => dim !== outputShape[i]))
        throw invalidSize("out.shape", `expected [${outputShape.join(", ")}], got [${shape.join(", ")}]`);
    }
  } else {
    throw invalidType("out", "a Float32Array or a tensor", out);
  }
  if (requested !== undefined && dtype !== requested) throw invalidValue("out", `${requested} values for outputDtype "${requested}"`, data);
  if (data.length !== size)
    throw invalidSize("out", `expected ${size} elements for shape [${outputShape.join(", ")}], got ${data.length}${detachedHint(data)}`);
  if (size > 0 && input.length > 0 && sharesMemory(data, input))
    throw invalidSize("out", "overlaps the memory of x; pass a separate buffer");
  return { data, dtype };
}

/** The outputDtype option: "float32" or "float16", or undefined when absent. */
export function readOutputDtype(argument: string, value: unknown): DType | undefined {
  if (value === undefined) return undefined;
  if (value !== "float32" && value !== "float16") throw invalidValue(argument, '"float32" or "float16"', value);
  return value;
}
