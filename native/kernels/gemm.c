/*
 * C (m×n) = A (m×k) · B (k×n), or C += A·B, with any element strides: A(i, l) = a[i·a_row + l·a_col],
 * B(l, j) = b[l·b_row + j·b_col], so one routine serves A·B, Aᵀ·B and A·Bᵀ. B is packed once into
 * 8-column panels, A into 4-row panels as it goes; a 4×8 micro-kernel keeps its tile in eight f32x4
 * registers. Summation order over l is fixed, so the result never depends on threading.
 */
#include "common.h"

int gemm_scratch_floats(int m, int n, int k) {
  (void)m;
  return ((n + 7) / 8) * 8 * k + 4 * k + 32;
}

static void pack_b(int n, int k, const float *b, int b_row, int b_col, float *out) {
  for (int j0 = 0; j0 < n; j0 += 8) {
    int cols = imin(8, n - j0);
    float *panel = out + j0 * k;
    if (cols == 8 && b_col == 1) {
      for (int l = 0; l < k; l++) {
        const float *src = b + l * b_row + j0;
        wasm_v128_store(panel + l * 8, wasm_v128_load(src));
        wasm_v128_store(panel + l * 8 + 4, wasm_v128_load(src + 4));
      }
      continue;
    }
    for (int l = 0; l < k; l++) {
      int c = 0;
      for (; c < cols; c++) panel[l * 8 + c] = b[l * b_row + (j0 + c) * b_col];
      for (; c < 8; c++) panel[l * 8 + c] = 0.0f;
    }
  }
}

static void pack_a(int rows, int k, const float *a, int a_row, int a_col, float *out) {
  if (rows == 4 && a_row == 1) {
    for (int l = 0; l < k; l++) wasm_v128_store(out + l * 4, wasm_v128_load(a + l * a_col));
    return;
  }
  if (rows == 4 && a_col == 1) {
    const float *r0 = a, *r1 = a + a_row, *r2 = a + 2 * a_row, *r3 = a + 3 * a_row;
    int l = 0;
    for (; l + 4 <= k; l += 4) {
      /* a 4×4 transpose from four row loads */
      v128_t x0 = wasm_v128_load(r0 + l), x1 = wasm_v128_load(r1 + l);
      v128_t x2 = wasm_v128_load(r2 + l), x3 = wasm_v128_load(r3 + l);
      v128_t t0 = wasm_i32x4_shuffle(x0, x1, 0, 4, 1, 5), t1 = wasm_i32x4_shuffle(x2, x3, 0, 4, 1, 5);
      v128_t t2 = wasm_i32x4_shuffle(x0, x1, 2, 6, 3, 7), t3 = wasm_i32x4_shuffle(x2, x3, 2, 6, 3, 7);
      wasm_v128_store(out + l * 4, wasm_i64x2_shuffle(t0, t1, 0, 2));
      wasm_v128_store(out + l * 4 + 4, wasm_i64x2_shuffle(t0, t1, 1, 3));
      wasm_v128_store(out + l * 4 + 8, wasm_i64x2_shuffle(t2, t3, 0, 2));
      wasm_v128_store(out + l * 4 + 12, wasm_i64x2_shuffle(t2, t3, 1, 3));
    }
    for (; l < k; l++) {
      out[l * 4] = r0[l];
      out[l * 4 + 1] = r1[l];
      out[l * 4 + 2] = r2[l];
      out[l * 4 + 3] = r3[l];
    }
    return;
  }
  for (int l = 0; l < k; l++) {
    int r = 0;
    for (; r < rows; r++) out[l * 4 + r] = a[r * a_row + l * a_col];
    for (; r < 4; r++) out[l * 4 + r] = 0.0f;
  }
}

void gemm(int m, int n, int k, const float *a, int a_row, int a_col, const float *b, int b_row, int b_col,
          float *c, int ldc, int accumulate, float *scratch) {
  float *bp = scratch;
  float *ap = bp + ((n + 7) / 8) * 8 * k;
  float *edge = ap + 4 * k;
  pack_b(n, k, b, b_row, b_col, bp);
  for (int i0 = 0; i0 < m; i0 += 4) {
    int rows = imin(4, m - i0);
    pack_a(rows, k, a + i0 * a_row, a_row, a_col, ap);
    for (int j0 = 0; j0 < n; j0 += 8) {
      const float *panel = bp + j0 * k;
      v128_t c00 = wasm_f32x4_splat(0.0f), c01 = c00, c10 = c00, c11 = c00;
      v128_t c20 = c00, c21 = c00, c30 = c00, c31 = c00;
      for (int l = 0; l < k; l++) {
        v128_t b0 = wasm_v128_load(panel + l * 8), b1 = wasm_v128_load(panel + l * 8 + 4);
        v128_t av = wasm_v128_load(ap + l * 4);
        v128_t a0 = wasm_i32x4_shuffle(av, av, 0, 0, 0, 0);
        v128_t a1 = wasm_i32x4_shuffle(av, av, 1, 1, 1, 1);
        v128_t a2 = wasm_i32x4_shuffle(av, av, 2, 2, 2, 2);
        v128_t a3 = wasm_i32x4_shuffle(av, av, 3, 3, 3, 3);
        c00 = wasm_f32x4_add(c00, wasm_f32x4_mul(a0, b0));
        c01 = wasm_f32x4_add(c01, wasm_f32x4_mul(a0, b1));
        c10 = wasm_f32x4_add(c10, wasm_f32x4_mul(a1, b0));
        c11 = wasm_f32x4_add(c11, wasm_f32x4_mul(a1, b1));
        c20 = wasm_f32x4_add(c20, wasm_f32x4_mul(a2, b0));
        c21 = wasm_f32x4_add(c21, wasm_f32x4_mul(a2, b1));
        c30 = wasm_f32x4_add(c30, wasm_f32x4_mul(a3, b0));
        c31 = wasm_f32x4_add(c31, wasm_f32x4_mul(a3, b1));
      }
      int cols = imin(8, n - j0);
      float *out = c + i0 * ldc + j0;
      if (rows == 4 && cols == 8) {
        if (accumulate) {
          c00 = wasm_f32x4_add(c00, wasm_v128_load(out));
          c01 = wasm_f32x4_add(c01, wasm_v128_load(out + 4));
          c10 = wasm_f32x4_add(c10, wasm_v128_load(out + ldc));
          c11 = wasm_f32x4_add(c11, wasm_v128_load(out + ldc + 4));
          c20 = wasm_f32x4_add(c20, wasm_v128_load(out + 2 * ldc));
          c21 = wasm_f32x4_add(c21, wasm_v128_load(out + 2 * ldc + 4));
          c30 = wasm_f32x4_add(c30, wasm_v128_load(out + 3 * ldc));
          c31 = wasm_f32x4_add(c31, wasm_v128_load(out + 3 * ldc + 4));
        }
        store_tile(out, ldc, c00, c01, c10, c11, c20, c21, c30, c31);
        continue;
      }
      store_tile(edge, 8, c00, c01, c10, c11, c20, c21, c30, c31);
      for (int r = 0; r < rows; r++)
        for (int j = 0; j < cols; j++) out[r * ldc + j] = (accumulate ? out[r * ldc + j] : 0.0f) + edge[r * 8 + j];
    }
  }
}

/* p: m, n, k, a, a_row, a_col, b, b_row, b_col, c, ldc, scratch, scratch bytes per thread, row parts.
   Task t computes rows [t·m/parts, (t+1)·m/parts) rounded to multiples of 4. */
EXPORT(cohort_gemm) {
  int m = p[0], parts = p[13];
  int r0 = part_begin((m + 3) / 4, parts, task) * 4, r1 = imin(m, part_begin((m + 3) / 4, parts, task + 1) * 4);
  if (r0 >= r1) return;
  gemm(r1 - r0, p[1], p[2], fptr(p, 3) + r0 * p[4], p[4], p[5], fptr(p, 6), p[7], p[8], fptr(p, 9) + r0 * p[10],
       p[10], 0, thread_scratch(p, 11, thread));
}
