// [rows, features] cases for the U = 1 kernel at every x offset within a cache line: row counts that end inside
// and on a step, and counts split over threads. Shared by the float32 (simd-child) and float16 (float16-child)
// checks, so both cover the same paths.
export const OFFSET_CASES = [
  [1, 16],
  [17, 16],
  [33, 64],
  [40, 48],
  [47, 100],
  [18, 1024],
  [17, 1040],
  [1500, 64],
];
