// Typed host tensors: a Float32Array and a shape, row-major.

import { types } from "node:util";

import { invalidSize, invalidType } from "./errors.js";

export type Device = "cpu";
export type BackendName = "cpu" | "onnx" | "cuda";

/** Anything with a Float32Array `data` and a `shape` (or, as onnxruntime-node tensors have, `dims`). */
export interface TensorLike {
  readonly data: Float32Array;
  readonly shape?: readonly number[];
  readonly dims?: readonly number[];
}

export class Tensor implements TensorLike {
  readonly dtype = "float32" as const;
  readonly device: Device = "cpu";
  readonly data: Float32Array;
  readonly shape: readonly number[];
  /** The backend that computed this tensor, or undefined for a tensor made by `tensor()`. */
  readonly backend: BackendName | undefined;

  constructor(data: Float32Array, shape: readonly number[], backend?: BackendName) {
    const checked = checkShape("shape", shape);
    if (!types.isFloat32Array(data)) throw invalidType("data", "a Float32Array", data);
    const size = checked.reduce((a, b) => a * b, 1);
    if (data.length !== size)
      throw invalidSize("data", `shape [${checked.join(", ")}] needs ${size} elements, got ${data.length}`);
    this.data = data;
    this.shape = Object.freeze(checked);
    this.backend = backend;
  }

  get rank(): number {
    return this.shape.length;
  }

  get size(): number {
    return this.data.length;
  }
}

/** A host tensor over `data` (not copied) with the given shape, or a 1-D tensor when no shape is given. */
export function tensor(data: Float32Array | readonly number[], shape?: readonly number[]): Tensor {
  let values: Float32Array;
  if (types.isFloat32Array(data)) values = data;
  else if (Array.isArray(data)) values = Float32Array.from(data as number[]);
  else throw invalidType("data", "a Float32Array or an array of numbers", data);
  return new Tensor(values, shape ?? [values.length]);
}

const MAX_SAFE = Number.MAX_SAFE_INTEGER;

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
