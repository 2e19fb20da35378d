// Weight value conversions to float32: IEEE half, bfloat16, float64, and TF.js's quantized uint8/uint16.

/** IEEE 754 binary16 (little-endian bits) to float32. */
export function halfToFloat(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 0x1f) return fraction ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

/** `count` little-endian values of `itemSize` bytes at `offset` of `bytes`, as float32. */
export function toFloat32(
  bytes: Uint8Array,
  offset: number,
  count: number,
  kind: "float16" | "bfloat16" | "float32" | "float64",
): Float32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset);
  const out = new Float32Array(count);
  switch (kind) {
    case "float32":
      for (let i = 0; i < count; i++) out[i] = view.getFloat32(i * 4, true);
      break;
    case "float64":
      for (let i = 0; i < count; i++) out[i] = view.getFloat64(i * 8, true);
      break;
    case "float16":
      for (let i = 0; i < count; i++) out[i] = halfToFloat(view.getUint16(i * 2, true));
      break;
    case "bfloat16": {
      // bfloat16 is the top half of a float32.
      const word = new DataView(new ArrayBuffer(4));
      for (let i = 0; i < count; i++) {
        word.setUint32(0, view.getUint16(i * 2, true) << 16, true);
        out[i] = word.getFloat32(0, true);
      }
      break;
    }
  }
  return out;
}

/** TF.js quantization (tfjs-core io.decodeWeights): value = q * scale + min. */
export function dequantize(
  bytes: Uint8Array,
  offset: number,
  count: number,
  dtype: "uint8" | "uint16",
  scale: number,
  min: number,
): Float32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset);
  const out = new Float32Array(count);
  if (dtype === "uint8") for (let i = 0; i < count; i++) out[i] = view.getUint8(i) * scale + min;
  else for (let i = 0; i < count; i++) out[i] = view.getUint16(i * 2, true) * scale + min;
  return out;
}
