// Typed host tensors: a Float32Array and a shape, row-major.

import { types } from "node:util";

import { newDeviceBuffer } from "./backends/cuda.js";
import type { BackendName, Device } from "./backends/types.js";
import type { NativeCudaBuffer } from "./binding.js";
import { checkAsyncBuffer, pinForAsync } from "./buffers.js";
import { disposed, invalidSize, invalidType, invalidValue, withCode } from "./errors.js";
import { readOptionsObject } from "./options.js";

export type { BackendName, Device };

/** Anything with a Float32Array `data` and a `shape` (or, as onnxruntime-node tensors have, `dims`). */
export interface TensorLike {
  readonly data: Float32Array;
  readonly shape?: readonly number[];
  readonly dims?: readonly number[];
}

// How the library makes tensors it has already checked (results, device tensors) without the public
// constructor's checks: set just before `new Tensor(...)`, taken and cleared by the constructor. Module-private,
// so no caller can reach it; plain variables, so the hot path allocates nothing extra.
let trustedDevice: Device | undefined;
let trustedHost: Float32Array | undefined;
let trustedBuffer: NativeCudaBuffer | undefined;

/**
 * A float32 tensor, row-major: on the host (`device: "cpu"`, values in `data`) or in GPU memory
 * (`device: "cuda"`, values reached with `await read()` or `await to("cpu")`).
 */
export class Tensor implements TensorLike {
  readonly dtype = "float32" as const;
  readonly device: Device;
  readonly shape: readonly number[];
  /** The backend that computed this tensor, or undefined for a tensor made by `tensor()`. */
  readonly backend: BackendName | undefined;
  readonly size: number;
  #host: Float32Array | undefined;
  #deviceBuffer: NativeCudaBuffer | undefined;

  /** A host tensor over `data` (not copied), checked against `shape`. */
  constructor(data: Float32Array, shape: readonly number[], backend?: BackendName) {
    if (trustedDevice !== undefined) {
      this.device = trustedDevice;
      this.#host = trustedHost;
      this.#deviceBuffer = trustedBuffer;
      trustedDevice = trustedHost = trustedBuffer = undefined;
      this.shape = Object.freeze(shape);
      this.size = shape.reduce((a, b) => a * b, 1);
      this.backend = backend;
      return;
    }
    const checked = checkShape("shape", shape);
    if (!types.isFloat32Array(data)) throw invalidType("data", "a Float32Array", data);
    const size = checked.reduce((a, b) => a * b, 1);
    if (data.length !== size) throw invalidSize("data", `shape [${checked.join(", ")}] needs ${size} elements, got ${data.length}`);
    this.#host = data;
    this.device = "cpu";
    this.shape = Object.freeze(checked);
    this.size = size;
    this.backend = backend;
  }

  /** @internal a host tensor over a result the library allocated, with a shape it computed: no checks. */
  static ofResult(data: Float32Array, shape: readonly number[], backend: BackendName): Tensor {
    trustedDevice = "cpu";
    trustedHost = data;
    try {
      return new Tensor(data, shape, backend);
    } finally {
      trustedDevice = trustedHost = trustedBuffer = undefined; // also when the call failed before the constructor ran
    }
  }

  /** @internal a tensor over device memory that it now owns. */
  static onDevice(buffer: NativeCudaBuffer, shape: readonly number[], backend?: BackendName): Tensor {
    const ownShape = [...shape]; // before the trusted state is set: copying may run a patched iterator
    trustedDevice = "cuda";
    trustedBuffer = buffer;
    try {
      return new Tensor(EMPTY, ownShape, backend);
    } finally {
      trustedDevice = trustedHost = trustedBuffer = undefined;
    }
  }

  /** The host values. A cuda tensor has none here: use `await read()` or `await to("cpu")`. */
  get data(): Float32Array {
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
  async to(device: Device): Promise<Tensor> {
    if (device !== "cpu" && device !== "cuda") throw invalidValue("device", 'one of "cpu", "cuda"', device);
    if (device === this.device) return this;
    if (device === "cpu") return new Tensor(await this.read(), this.shape, this.backend);
    const data = this.data;
    checkAsyncBuffer("data", data);
    const buffer = newDeviceBuffer(this.size * 4);
    try {
      const upload = buffer.upload(data);
      pinForAsync(data); // the upload reads it on a libuv thread after this returns
      await upload;
    } catch (error) {
      buffer.dispose();
      throw error;
    }
    return Tensor.onDevice(buffer, this.shape, this.backend);
  }

  /** The values as a Float32Array: this tensor's own array on the host, a fresh copy from the GPU. */
  async read(): Promise<Float32Array> {
    if (this.device === "cpu") return this.data;
    const values = new Float32Array(this.size);
    await this.deviceBuffer!.download(values);
    return values;
  }

  /** Frees a cuda tensor's device memory now (it is also freed when the tensor is garbage-collected). */
  dispose(): void {
    this.#deviceBuffer?.dispose();
    this.#deviceBuffer = undefined;
  }
}

export interface TensorOptions {
  /** "cuda" uploads the values to the GPU once, now. */
  readonly device?: Device;
}

/** A tensor over `data` (not copied) with the given shape, or a 1-D tensor when no shape is given. */
export function tensor(data: Float32Array | readonly number[], shape?: readonly number[], options?: TensorOptions): Tensor {
  let values: Float32Array;
  if (types.isFloat32Array(data)) {
    values = data;
  } else if (Array.isArray(data)) {
    for (let i = 0; i < data.length; i++) if (typeof data[i] !== "number") throw invalidType(`data[${i}]`, "a number", data[i]);
    values = Float32Array.from(data as number[]);
  } else {
    throw invalidType("data", "a Float32Array or an array of numbers", data);
  }
  const host = new Tensor(values, shape ?? [values.length]);
  const device = readOptionsObject("options", options, TENSOR_OPTION_KEYS).device ?? "cpu";
  if (device === "cpu") return host;
  if (device !== "cuda") throw invalidValue("options.device", 'one of "cpu", "cuda"', device);
  const buffer = newDeviceBuffer(host.size * 4);
  try {
    buffer.uploadSync(values);
  } catch (error) {
    buffer.dispose();
    throw error;
  }
  return Tensor.onDevice(buffer, host.shape);
}

const MAX_SAFE = Number.MAX_SAFE_INTEGER;
const TENSOR_OPTION_KEYS = ["device"] as const;
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
