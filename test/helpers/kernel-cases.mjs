// Kernel-path cases shared by the float32 (simd-child) and float16 (float16-child) checks.
//
// [rows, features] cases for the U = 1 kernel at every x offset within a cache line: row counts that end inside
// and on a step, and counts split over threads.
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

// [rows, features, units] cases that reach every kernel path: U = 1, the dot kernels for U = 2..4, and the panel
// kernel with one to four registers of units and a partial last one; with one register of units (AVX-512, U =
// 5..16) also its 16-row steps followed by a tail of fewer rows, and rows split over threads. On AVX-512, U =
// 5..16 with F a multiple of 4 goes to the quad kernel (4 rows a step for float32 x, 6 for float16 x): row
// counts that end inside and on a step, F from 4; F not a multiple of 4 keeps the panel kernel.
export const PATH_CASES = [
  [33, 1, 1],
  [101, 3, 2],
  [19, 17, 3],
  [20, 64, 4],
  [29, 9, 5],
  [9, 4, 6],
  [24, 12, 5],
  [13, 40, 16],
  [37, 24, 16],
  [53, 64, 12],
  [300, 64, 16],
  [41, 300, 7],
  [11, 33, 33],
  [7, 100, 70],
  [5, 300, 130],
];
