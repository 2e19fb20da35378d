// Result buffers for host calls that were given no `out`.

import { totalmem } from "node:os";
import { markAsUntransferable } from "node:worker_threads";

import { invalidSize } from "./errors.js";
import { bytesPerValue, type DataOf, type DType, type Float16Data, HAS_FLOAT16_ARRAY } from "./float16.js";

type ArrayKind = new (buffer: ArrayBufferLike, byteOffset: number, length: number) => Float32Array | Float16Data;
/** float16 results: a Float16Array where the runtime has one, else a Uint16Array of the bits. */
const Float16Kind = (HAS_FLOAT16_ARRAY ? (globalThis as unknown as { Float16Array: ArrayKind }).Float16Array : Uint16Array) as ArrayKind;

/** Read once: it is a system call, and costs more than a small call's compute. */
const MACHINE_MEMORY = totalmem();

// Large results skip zero-filling (every element is written by the backend before the result is returned):
// a zeroed allocation of that size comes fresh from the OS, a page fault per 4 KiB.
const UNZEROED_MIN_BYTES = 64 * 1024;

// Small results are views into shared, zero-filled slabs, as Node's own Buffer pool does: a fresh ArrayBuffer
// costs several times what a view into a slab does, a sizeable part of a whole small call
// (docs/benchmarks.md). Only results of up to POOLED_MAX_BYTES come from a slab, so a
// result that outlives its neighbours keeps at most 64 KiB alive for itself. Tiny results are pooled too: V8
// keeps typed arrays of up to 64 bytes inside its heap, but the addon's first look at such an array moves it
// out (a malloc and a copy, more than the call computes). Each slab is marked untransferable: putting one
// result's buffer in a postMessage transfer list then copies it instead of detaching the other results that
// share it.
const SLAB_BYTES = 64 * 1024;
const POOLED_MAX_BYTES = 4 * 1024;
const SLAB_ALIGNMENT = 64; // each result starts on a cache line, as a fresh allocation would

let slab = new ArrayBuffer(0);
let slabOffset = 0;

function pooled(kind: ArrayKind, length: number, bytes: number): Float32Array | Float16Data {
  const span = Math.ceil(bytes / SLAB_ALIGNMENT) * SLAB_ALIGNMENT;
  if (slabOffset + span > slab.byteLength) {
    slab = new ArrayBuffer(SLAB_BYTES);
    markAsUntransferable(slab);
    slabOffset = 0;
  }
  const view = new kind(slab, slabOffset, length);
  slabOffset += span;
  return view;
}

/**
 * An array of `length` values of `dtype` (a Float32Array; for float16 a Float16Array where the runtime has
 * one, else a Uint16Array) for a result that the backend fills completely, or a RangeError when it cannot
 * exist: more elements than a typed array holds, or more bytes than the machine has memory (the OS would
 * otherwise hand out pages until the process is killed).
 */
export function allocateOutput<D extends DType = "float32">(length: number, dtype: D = "float32" as D): DataOf<D> {
  const kind: ArrayKind = dtype === "float16" ? Float16Kind : Float32Array;
  const bytes = length * bytesPerValue(dtype);
  if (bytes > MACHINE_MEMORY)
    throw invalidSize(
      "out",
      `the result needs ${(bytes / 2 ** 30).toFixed(1)} GiB, more than this machine's ${(MACHINE_MEMORY / 2 ** 30).toFixed(1)} GiB of memory`,
    );
  try {
    if (bytes > 0 && bytes <= POOLED_MAX_BYTES) return pooled(kind, length, bytes) as DataOf<D>;
    if (bytes < UNZEROED_MIN_BYTES) return new kind(new ArrayBuffer(bytes), 0, length) as DataOf<D>;
    const memory = Buffer.allocUnsafeSlow(bytes);
    return new kind(memory.buffer, memory.byteOffset, length) as DataOf<D>;
  } catch (error) {
    throw invalidSize("out", `cannot allocate the result of ${length} ${dtype} values: ${(error as Error).message}`);
  }
}
