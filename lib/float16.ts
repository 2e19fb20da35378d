// float16 (IEEE binary16) data: which arrays hold it, and the widening of float16 weights to float32.
// x and out are converted inside the native kernels; nothing here runs per call on their values.

/** The element types a host tensor can have. */
export type DType = "float32" | "float16";

/**
 * A Float16Array (global from Node 24), typed by its shape so that tdfast's declarations compile without
 * TypeScript's esnext.float16 library; its `Symbol.toStringTag` tells it apart from the other typed arrays.
 */
export interface Float16ArrayLike extends ArrayLike<number> {
  readonly [Symbol.toStringTag]: "Float16Array";
  readonly buffer: ArrayBufferLike;
  readonly byteOffset: number;
  readonly byteLength: number;
  readonly BYTES_PER_ELEMENT: number;
  [index: number]: number;
  subarray(begin?: number, end?: number): Float16ArrayLike;
}

/** float16 values: IEEE binary16 bits in a Uint16Array, or a Float16Array. */
export type Float16Data = Uint16Array | Float16ArrayLike;

/** Bytes per value of a dtype (in host arrays and in cuda buffers). */
export function bytesPerValue(dtype: DType): 2 | 4 {
  return dtype === "float16" ? 2 : 4;
}

/** The host array of a dtype. */
export type DataOf<D extends DType> = D extends "float16" ? Float16Data : Float32Array;

const Float16ArrayConstructor = (globalThis as { Float16Array?: new (length: number) => Float16ArrayLike }).Float16Array;

/** Whether this runtime has Float16Array (Node 24 and later; Node 22 and 23 behind --js-float16array). */
export const HAS_FLOAT16_ARRAY = typeof Float16ArrayConstructor === "function";

// The TypedArray prototype's own toStringTag getter: a typed array's real kind, which a plain object or a
// subclass's own Symbol.toStringTag property cannot fake.
const typedArrayTag = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(Uint8Array.prototype), Symbol.toStringTag)!.get as (
  this: unknown,
) => string | undefined;

export function isFloat16Array(value: unknown): value is Float16ArrayLike {
  return ArrayBuffer.isView(value) && typedArrayTag.call(value) === "Float16Array";
}

export function isUint16Array(value: unknown): value is Uint16Array {
  return ArrayBuffer.isView(value) && typedArrayTag.call(value) === "Uint16Array";
}

/** A new float16 array of `length` values: a Float16Array where the runtime has one, else a Uint16Array. */
export function newFloat16Array(length: number): Float16Data {
  return Float16ArrayConstructor ? new Float16ArrayConstructor(length) : new Uint16Array(length);
}

/** The same memory as bits: a Uint16Array view of a Float16Array, or the Uint16Array itself. */
export function float16Bits(data: Float16Data): Uint16Array {
  return isFloat16Array(data) ? new Uint16Array(data.buffer, data.byteOffset, data.length) : data;
}

const scratch = new DataView(new ArrayBuffer(4));

/** The float32 value of one float16 (exact). */
export function halfToFloat(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 31) {
    if (mantissa === 0) return sign * Number.POSITIVE_INFINITY;
    // NaN keeps its payload, as the native conversion does (useful only to someone inspecting bits)
    scratch.setUint32(0, ((bits & 0x8000) << 16) | 0x7f800000 | (mantissa << 13), true);
    return scratch.getFloat32(0, true);
  }
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}

/** float16 weights (bits or a Float16Array) widened once to float32. */
export function widenFloat16(data: Float16Data): Float32Array {
  if (isFloat16Array(data)) return Float32Array.from(data as ArrayLike<number>);
  const out = new Float32Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = halfToFloat(data[i]!);
  return out;
}

/** The float16 bits nearest to `value` (ties to even; from 65520 on, infinity; NaN a quiet NaN), rounded once. */
export function roundToFloat16Bits(value: number): number {
  if (Number.isNaN(value)) return 0x7e00;
  const sign = value < 0 || Object.is(value, -0) ? 0x8000 : 0;
  const magnitude = Math.abs(value);
  if (magnitude >= 65520) return sign | 0x7c00;
  if (magnitude < 2 ** -14) return sign | roundHalfEven(magnitude * 2 ** 24); // subnormal: units of 2^-24
  let exponent = Math.floor(Math.log2(magnitude));
  if (2 ** exponent > magnitude)
    exponent--; // log2 may be off by one next to a power of two
  else if (2 ** (exponent + 1) <= magnitude) exponent++;
  // 1024 .. 2048 units of the exponent's ulp; 2048 carries into the next exponent through the addition
  return sign | (((exponent + 15) << 10) + roundHalfEven(magnitude * 2 ** (10 - exponent)) - 1024);
}

function roundHalfEven(value: number): number {
  const floor = Math.floor(value);
  const rest = value - floor;
  return rest > 0.5 || (rest === 0.5 && floor % 2 === 1) ? floor + 1 : floor;
}
