// An independent float16 (IEEE binary16) reference for the tests, written from the format's definition rather
// than from lib/ or native/: decoding by the formula, and rounding by searching the sorted table of every finite
// half for the nearest one (ties to the even bit pattern). float16.test.mjs checks both against known bit patterns.

/** The value of float16 bits. */
export function decodeHalf(bits) {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 31) return fraction === 0 ? sign * Infinity : Number.NaN;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  return sign * (1024 + fraction) * 2 ** (exponent - 25);
}

// Non-negative finite halves in increasing order: their bit patterns 0x0000 .. 0x7bff are ordered as their values.
const POSITIVE = Float64Array.from({ length: 0x7c00 }, (_, bits) => decodeHalf(bits));
const MAX_HALF = POSITIVE[0x7bff]; // 65504
// Halfway between the largest half and the next power of two (65536, where the next half would be): from
// there a value rounds to infinity, as IEEE 754 defines overflow under round-to-nearest.
const OVERFLOW = MAX_HALF + 2 ** (15 - 10) / 2;

/** The float16 bits nearest to `value` (ties to even bits; |value| >= 65520 to infinity; NaN to 0x7e00). */
export function roundHalf(value) {
  if (Number.isNaN(value)) return 0x7e00;
  const sign = value < 0 || Object.is(value, -0) ? 0x8000 : 0;
  const magnitude = Math.abs(value);
  if (magnitude >= OVERFLOW) return sign | 0x7c00;
  let low = 0;
  let high = 0x7bff; // POSITIVE[low] <= magnitude < POSITIVE[high + 1] after the search
  while (low < high) {
    const middle = (low + high + 1) >> 1;
    if (POSITIVE[middle] <= magnitude) low = middle;
    else high = middle - 1;
  }
  if (low === 0x7bff) return sign | low; // between 65504 and the overflow threshold
  const below = magnitude - POSITIVE[low];
  const above = POSITIVE[low + 1] - magnitude;
  const bits = below < above ? low : above < below ? low + 1 : low % 2 === 0 ? low : low + 1;
  return sign | bits;
}

export const isNanHalf = (bits) => (bits & 0x7c00) === 0x7c00 && (bits & 0x3ff) !== 0;

/** Bits as numbers from any float16 array (a Uint16Array of bits, or a Float16Array). */
export function halfBits(array) {
  if (array instanceof Uint16Array) return array;
  return new Uint16Array(array.buffer, array.byteOffset, array.length);
}

/** Random float16 bits for values in (-scale, scale), rounded from uniform doubles. */
export function randomHalves(length, random, scale = 1) {
  const bits = new Uint16Array(length);
  for (let i = 0; i < length; i++) bits[i] = roundHalf((random() * 2 - 1) * scale);
  return bits;
}

/** The first index where float16 results differ from float32 results rounded by roundHalf (NaN: any NaN), or -1. */
export function firstRoundingMismatch(halves, floats) {
  const bits = halfBits(halves);
  if (bits.length !== floats.length) return 0;
  for (let i = 0; i < bits.length; i++) {
    const expected = roundHalf(floats[i]);
    if (isNanHalf(expected) ? !isNanHalf(bits[i]) : bits[i] !== expected) return i;
  }
  return -1;
}
