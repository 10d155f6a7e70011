/*
 * MaxPool gradient, NHWC: each output gradient goes to the FIRST maximum of its window (row-major),
 * like tfjs's cpu backend and TensorFlow. Task = image, so images never race.
 * p: n, h, w, c, oh, ow, fh, fw, sh, sw, top, left, x, dy, dx.
 */
#include "common.h"

EXPORT(cohort_max_pool_grad) {
  (void)thread;
  int h = p[1], w = p[2], ch = p[3], oh = p[4], ow = p[5], fh = p[6], fw = p[7], sh = p[8], sw = p[9];
  int top = p[10], left = p[11];
  const float *x = fptr(p, 12) + task * h * w * ch;
  const float *dy = fptr(p, 13) + task * oh * ow * ch;
  float *dx = fptr(p, 14) + task * h * w * ch;
  zero(dx, h * w * ch);
  for (int i = 0; i < oh; i++) {
    int r0 = imax(0, i * sh - top), r1 = imin(h, i * sh - top + fh);
    for (int j = 0; j < ow; j++) {
      int c0 = imax(0, j * sw - left), c1 = imin(w, j * sw - left + fw);
      if (r0 >= r1 || c0 >= c1) continue;
      const float *g = dy + (i * ow + j) * ch;
      int first = (r0 * w + c0) * ch;
      int c = 0;
      for (; c + 4 <= ch; c += 4) {
        v128_t best = wasm_v128_load(x + first + c);
        v128_t at = wasm_i32x4_add(wasm_i32x4_splat(first + c), wasm_i32x4_make(0, 1, 2, 3));
        for (int r = r0; r < r1; r++) {
          for (int q = r == r0 ? c0 + 1 : c0; q < c1; q++) {
            int k = (r * w + q) * ch + c;
            v128_t v = wasm_v128_load(x + k);
            v128_t gt = wasm_f32x4_gt(v, best); /* strictly greater: the first maximum keeps it */
            best = wasm_v128_bitselect(v, best, gt);
            at = wasm_v128_bitselect(wasm_i32x4_add(wasm_i32x4_splat(k), wasm_i32x4_make(0, 1, 2, 3)), at, gt);
          }
        }
        dx[wasm_i32x4_extract_lane(at, 0)] += g[c];
        dx[wasm_i32x4_extract_lane(at, 1)] += g[c + 1];
        dx[wasm_i32x4_extract_lane(at, 2)] += g[c + 2];
        dx[wasm_i32x4_extract_lane(at, 3)] += g[c + 3];
      }
      for (; c < ch; c++) {
        float best = x[first + c];
        int at = first + c;
        for (int r = r0; r < r1; r++) {
          for (int q = r == r0 ? c0 + 1 : c0; q < c1; q++) {
            int k = (r * w + q) * ch + c;
            if (x[k] > best) {
              best = x[k];
              at = k;
            }
          }
        }
        dx[at] += g[c];
      }
    }
  }
}
