// Typed host tensors: a Float32Array (or float16 values) and a shape, row-major.

import { types } from "node:util";

import { newDeviceBuffer } from "./backends/cuda.js";
import type { BackendName, Device } from "./backends/types.js";
import { elementCode, type NativeCudaBuffer } from "./binding.js";
import { checkAsyncBuffer, pinForAsync } from "./buffers.js";
import { disposed, invalidSize, invalidType, invalidValue, withCode } from "./errors.js";
import {
  bytesPerValue,
  type DataOf,
  type DType,
  type Float16ArrayLike,
  type Float16Data,
  HAS_FLOAT16_ARRAY,
  isFloat16Array,
  isUint16Array,
  newFloat16Array,
  roundToFloat16Bits,
} from "./float16.js";
import { readOptionsObject } from "./options.js";

export type { BackendName, Device, DType };

/**
 * Anything with a Float32Array `data` and a `shape` (or, as onnxruntime-node tensors have, `dims`). float16
 * values: a Float16Array, or a Uint16Array of IEEE binary16 bits with `dtype: "float16"` (onnxruntime-node
 * tensors say `type: "float16"`); a Uint16Array without it is refused, never guessed.
 */
export interface TensorLike {
  readonly data: Float32Array | Float16Data;
  readonly shape?: readonly number[];
  readonly dims?: readonly number[];
  readonly dtype?: string;
  readonly type?: string;
}

// How the library makes tensors it has already checked (results, device tensors) without the public
// constructor's checks: set just before `new Tensor(...)`, taken and cleared by the constructor. Module-private,
// so no caller can reach it; plain variables, so the hot path allocates nothing extra.
let trustedDevice: Device | undefined;
let trustedHost: Float32Array | Float16Data | undefined;
let trustedBuffer: NativeCudaBuffer | undefined;
let trustedDtype: DType = "float32";
// Set by tensor() when its options say a Uint16Array holds float16 bits.
let declaredFloat16 = false;

/**
 * A tensor, row-major: on the host (`device: "cpu"`, values in `data`) or in GPU memory (`device: "cuda"`,
 * values reached with `await read()` or `await to("cpu")`). `dtype` "float32" (a Float32Array), or "float16"
 * (on the host a Float16Array, or a Uint16Array of IEEE binary16 bits where the runtime has no Float16Array;
 * on cuda, 2 bytes per value).
 */
export class Tensor<D extends DType = "float32"> implements TensorLike {
  readonly dtype: D;
  readonly device: Device;
  readonly shape: readonly number[];
  /** The backend that computed this tensor, or undefined for a tensor made by `tensor()`. */
  readonly backend: BackendName | undefined;
  readonly size: number;
  #host: DataOf<D> | undefined;
  #deviceBuffer: NativeCudaBuffer | undefined;

  /**
   * A host tensor over `data` (not copied), checked against `shape`: a Float32Array, or a Float16Array
   * (dtype "float16"). A Uint16Array of float16 bits needs tensor(data, shape, { dtype: "float16" }).
   */
  constructor(data: DataOf<D>, shape: readonly number[], backend?: BackendName) {
    if (trustedDevice !== undefined) {
      this.device = trustedDevice;
      this.#host = trustedHost as DataOf<D> | undefined;
      this.#deviceBuffer = trustedBuffer;
      this.dtype = trustedDtype as D;
      trustedDevice = trustedHost = trustedBuffer = undefined;
      trustedDtype = "float32";
      this.shape = Object.freeze(shape);
      this.size = shape.reduce((a, b) => a * b, 1);
      this.backend = backend;
      return;
    }
    const bits = declaredFloat16;
    declaredFloat16 = false;
    const checked = checkShape("shape", shape);
    if (types.isFloat32Array(data)) this.dtype = "float32" as D;
    else if (isFloat16Array(data) || (bits && isUint16Array(data))) this.dtype = "float16" as D;
    else if (isUint16Array(data))
      throw invalidType(
        "data",
        'a Float32Array, or a Float16Array (float16 bits in a Uint16Array: tensor(data, shape, { dtype: "float16" }))',
        data,
      );
    else throw invalidType("data", "a Float32Array", data);
    const size = checked.reduce((a, b) => a * b, 1);
    if (data.length !== size) throw invalidSize("data", `shape [${checked.join(", ")}] needs ${size} elements, got ${data.length}`);
    this.#host = data;
    this.device = "cpu";
    this.shape = Object.freeze(checked);
    this.size = size;
    this.backend = backend;
  }

  /** @internal a host tensor over a result the library allocated, with a shape it computed: no checks. */
  static ofResult<R extends DType>(data: DataOf<R>, shape: readonly number[], backend: BackendName | undefined, dtype: R): Tensor<R> {
    trustedDevice = "cpu";
    trustedHost = data;
    trustedDtype = dtype;
    try {
      return new Tensor<R>(data, shape, backend);
    } finally {
      trustedDevice = trustedHost = trustedBuffer = undefined; // also when the call failed before the constructor ran
      trustedDtype = "float32";
    }
  }

  /** @internal a tensor over device memory that it now owns, holding `dtype` values. */
  static onDevice<R extends DType>(
    buffer: NativeCudaBuffer,
    shape: readonly number[],
    backend: BackendName | undefined,
    dtype: R,
  ): Tensor<R> {
    const ownShape = [...shape]; // before the trusted state is set: copying may run a patched iterator
    trustedDevice = "cuda";
    trustedBuffer = buffer;
    trustedDtype = dtype;
    try {
      return new Tensor<R>(EMPTY as DataOf<R>, ownShape, backend);
    } finally {
      trustedDevice = trustedHost = trustedBuffer = undefined;
      trustedDtype = "float32";
    }
  }

  /** The host values. A cuda tensor has none here: use `await read()` or `await to("cpu")`. */
  get data(): DataOf<D> {
    if (this.#host === undefined)
      throw withCode(
        new Error('this tensor is on cuda: use "await tensor.read()" or "await tensor.to("cpu")" for its values'),
        "ERR_TDFAST_INVALID_VALUE",
      );
    return this.#host;
  }

  get rank(): number {
    return this.shape.length;
  }

  /** @internal the device memory of a cuda tensor (throws once disposed). */
  get deviceBuffer(): NativeCudaBuffer | undefined {
    if (this.device === "cuda" && this.#deviceBuffer === undefined) throw disposed("this cuda tensor");
    return this.#deviceBuffer;
  }

  /** This tensor's values on `device`: uploads to or downloads from the GPU once, or returns itself. */
  async to(device: Device): Promise<Tensor<D>> {
    if (device !== "cpu" && device !== "cuda") throw invalidValue("device", 'one of "cpu", "cuda"', device);
    if (device === this.device) return this;
    // a fresh array of the right length; the trusted path also carries float16 bits in a Uint16Array
    if (device === "cpu") return Tensor.ofResult(await this.read(), this.shape, this.backend, this.dtype);
    const data = this.data;
    checkAsyncBuffer("data", data);
    const buffer = newDeviceBuffer(this.size * bytesPerValue(this.dtype));
    try {
      const upload = buffer.upload(data, elementCode(this.dtype));
      pinForAsync(data); // the upload reads it on a libuv thread after this returns
      await upload;
    } catch (error) {
      buffer.dispose();
      throw error;
    }
    return Tensor.onDevice(buffer, this.shape, this.backend, this.dtype);
  }

  /**
   * The values: this tensor's own array on the host, or a fresh array copied from the GPU (a Float32Array, or
   * for float16 a Float16Array where the runtime has one, else a Uint16Array of the bits).
   */
  async read(): Promise<DataOf<D>> {
    if (this.device === "cpu") return this.data;
    if (this.dtype === "float16") {
      const halves = newFloat16Array(this.size);
      await this.deviceBuffer!.download(halves, 1);
      return halves as DataOf<D>;
    }
    const values = new Float32Array(this.size);
    await this.deviceBuffer!.download(values);
    return values as DataOf<D>;
  }

  /** Frees a cuda tensor's device memory now (it is also freed when the tensor is garbage-collected). */
  dispose(): void {
    this.#deviceBuffer?.dispose();
    this.#deviceBuffer = undefined;
  }
}

export interface TensorOptions {
  /** "cuda" uploads the values to the GPU once, now (float32 or float16, as they are). */
  readonly device?: Device;
  /**
   * "float16": `data` is a Float16Array, a Uint16Array of IEEE binary16 bits, or numbers to round to float16.
   * By default a Float16Array is float16 and anything else float32.
   */
  readonly dtype?: DType;
}

/** A tensor over `data` (not copied) with the given shape, or a 1-D tensor when no shape is given. */
export function tensor(
  data: Float32Array | readonly number[],
  shape?: readonly number[],
  options?: TensorOptions & { readonly dtype?: "float32" },
): Tensor<"float32">;
export function tensor(
  data: Float16ArrayLike,
  shape?: readonly number[],
  options?: TensorOptions & { readonly dtype?: "float16" },
): Tensor<"float16">;
export function tensor(
  data: Float16Data | readonly number[],
  shape: readonly number[] | undefined,
  options: TensorOptions & { readonly dtype: "float16" },
): Tensor<"float16">;
export function tensor(
  data: Float32Array | Float16Data | readonly number[],
  shape?: readonly number[],
  options?: TensorOptions,
): Tensor<DType>;
export function tensor(
  data: Float32Array | Float16Data | readonly number[],
  shape?: readonly number[],
  options?: TensorOptions,
): Tensor<DType> {
  const fields = readOptionsObject("options", options, TENSOR_OPTION_KEYS);
  const dtype = fields.dtype;
  if (dtype !== undefined && dtype !== "float32" && dtype !== "float16")
    throw invalidValue("options.dtype", '"float32" or "float16"', dtype);
  let values: Float32Array | Float16Data;
  if (types.isFloat32Array(data) || isFloat16Array(data) || isUint16Array(data)) {
    const given = types.isFloat32Array(data) ? "float32" : "float16";
    if (isUint16Array(data) && dtype !== "float16")
      throw invalidType("data", 'a Float32Array or an array of numbers (float16 bits in a Uint16Array need { dtype: "float16" })', data);
    if (dtype !== undefined && dtype !== given)
      throw invalidValue("options.dtype", `"${given}" for ${data.constructor.name} data (tdfast does not convert tensors)`, dtype);
    values = data;
  } else if (Array.isArray(data)) {
    for (let i = 0; i < data.length; i++) if (typeof data[i] !== "number") throw invalidType(`data[${i}]`, "a number", data[i]);
    if (dtype === "float16") values = float16From(data as number[]);
    else values = Float32Array.from(data as number[]);
  } else {
    throw invalidType("data", "a Float32Array or an array of numbers", data);
  }
  declaredFloat16 = dtype === "float16";
  let host: Tensor<DType>;
  try {
    host = new Tensor<DType>(values, shape ?? [values.length]);
  } finally {
    declaredFloat16 = false;
  }
  const device = fields.device ?? "cpu";
  if (device === "cpu") return host;
  if (device !== "cuda") throw invalidValue("options.device", 'one of "cpu", "cuda"', device);
  const buffer = newDeviceBuffer(host.size * bytesPerValue(host.dtype));
  try {
    buffer.uploadSync(values, elementCode(host.dtype));
  } catch (error) {
    buffer.dispose();
    throw error;
  }
  return Tensor.onDevice(buffer, host.shape, undefined, host.dtype);
}

/** Numbers rounded to float16 (nearest, ties to even), in a Float16Array where the runtime has one. */
function float16From(numbers: readonly number[]): Float16Data {
  const values = newFloat16Array(numbers.length);
  if (HAS_FLOAT16_ARRAY) {
    for (let i = 0; i < numbers.length; i++) values[i] = numbers[i]!;
  } else {
    for (let i = 0; i < numbers.length; i++) values[i] = roundToFloat16Bits(numbers[i]!);
  }
  return values;
}

const MAX_SAFE = Number.MAX_SAFE_INTEGER;
const TENSOR_OPTION_KEYS = ["device", "dtype"] as const;
const EMPTY = new Float32Array(0);

/** A copy of `shape` after checking it is an array of non-negative integers whose product is a safe integer. */
export function checkShape(argument: string, shape: unknown): number[] {
  if (!Array.isArray(shape)) throw invalidType(argument, "an array of non-negative integers", shape);
  let size = 1;
  const dims: number[] = [];
  for (let i = 0; i < shape.length; i++) {
    const dim: unknown = shape[i];
    if (typeof dim !== "number") throw invalidType(`${argument}[${i}]`, "a non-negative integer", dim);
    if (!Number.isSafeInteger(dim) || dim < 0) throw invalidSize(`${argument}[${i}]`, `expected a non-negative integer, got ${dim}`);
    size *= dim;
    if (size > MAX_SAFE) throw invalidSize(argument, `the product of [${shape.join(", ")}] overflows`);
    dims.push(dim);
  }
  return dims;
}
