/*
 * Shared helpers for Cohort's wasm32 SIMD128 kernels. Freestanding: no libc, no static data, no stack
 * arrays (every thread instantiates the module on one shared memory with one shared stack region, so a
 * kernel must never put anything on the stack). Every kernel is `void name(const int *params, int task,
 * int thread)`: the caller writes the arguments into `params`, runs tasks 0..n−1 on any threads, and a
 * task's result never depends on which thread ran it (scratch is per thread, outputs per task).
 */
#ifndef COHORT_COMMON_H
#define COHORT_COMMON_H

#include <wasm_simd128.h>

typedef __SIZE_TYPE__ size_t;

#define EXPORT(name) __attribute__((export_name(#name))) void name(const int *p, int task, int thread)

static inline float *fptr(const int *p, int i) { return (float *)(size_t)p[i]; }
static inline float fparam(const int *p, int i) { return __builtin_bit_cast(float, p[i]); }
static inline int imin(int a, int b) { return a < b ? a : b; }
static inline int imax(int a, int b) { return a > b ? a : b; }

/* Task t's share [begin, end) of n items split into `parts` near-equal contiguous ranges. */
static inline int part_begin(int n, int parts, int t) { return (int)(((long long)n * t) / parts); }

/* The per-thread scratch region: `scratch` base, `bytes` per thread. */
static inline float *thread_scratch(const int *p, int base_index, int thread) {
  return (float *)(size_t)(p[base_index] + thread * p[base_index + 1]);
}

static inline void zero(float *x, int n) {
  int i = 0;
  for (; i + 4 <= n; i += 4) wasm_v128_store(x + i, wasm_f32x4_splat(0.0f));
  for (; i < n; i++) x[i] = 0.0f;
}

/* y[0..n) += x[0..n) */
static inline void add_to(float *y, const float *x, int n) {
  int i = 0;
  for (; i + 4 <= n; i += 4)
    wasm_v128_store(y + i, wasm_f32x4_add(wasm_v128_load(y + i), wasm_v128_load(x + i)));
  for (; i < n; i++) y[i] += x[i];
}

static inline void copy(float *y, const float *x, int n) {
  int i = 0;
  for (; i + 4 <= n; i += 4) wasm_v128_store(y + i, wasm_v128_load(x + i));
  for (; i < n; i++) y[i] = x[i];
}

/* y = x·scale + offset per channel over rows [r0, r1) of [rows, ch] data (BatchNorm once its factors are known). */
static inline void affine_rows(const float *x, const float *scale, const float *offset, float *y, int ch, int r0,
                               int r1) {
  for (int r = r0; r < r1; r++) {
    const float *in = x + r * ch;
    float *out = y + r * ch;
    int c = 0;
    for (; c + 4 <= ch; c += 4)
      wasm_v128_store(out + c, wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(in + c), wasm_v128_load(scale + c)),
                                              wasm_v128_load(offset + c)));
    for (; c < ch; c++) out[c] = in[c] * scale[c] + offset[c];
  }
}

/* Stores a 4×8 register tile (row r in c_r0, c_r1), its rows `ld` floats apart. */
static inline void store_tile(float *out, int ld, v128_t c00, v128_t c01, v128_t c10, v128_t c11, v128_t c20,
                              v128_t c21, v128_t c30, v128_t c31) {
  wasm_v128_store(out, c00);
  wasm_v128_store(out + 4, c01);
  wasm_v128_store(out + ld, c10);
  wasm_v128_store(out + ld + 4, c11);
  wasm_v128_store(out + 2 * ld, c20);
  wasm_v128_store(out + 2 * ld + 4, c21);
  wasm_v128_store(out + 3 * ld, c30);
  wasm_v128_store(out + 3 * ld + 4, c31);
}

/* The 4×8 register tile of the direct kernels: eight f32x4 accumulators, rows broadcast from memory
   (v128.load32_splat: a load, no shuffle), an 8-wide row of the other operand from two vector loads. */
#define TILE_DECLARE v128_t c00, c01, c10, c11, c20, c21, c30, c31
#define TILE_ZERO c00 = c01 = c10 = c11 = c20 = c21 = c30 = c31 = wasm_f32x4_splat(0.0f)
#define TILE_STEP(r0, r1, r2, r3, bp)                                                                   \
  do {                                                                                                  \
    v128_t b0_ = wasm_v128_load(bp), b1_ = wasm_v128_load((bp) + 4);                                     \
    v128_t a_ = wasm_v128_load32_splat(r0);                                                             \
    c00 = wasm_f32x4_add(c00, wasm_f32x4_mul(a_, b0_));                                                 \
    c01 = wasm_f32x4_add(c01, wasm_f32x4_mul(a_, b1_));                                                 \
    a_ = wasm_v128_load32_splat(r1);                                                                    \
    c10 = wasm_f32x4_add(c10, wasm_f32x4_mul(a_, b0_));                                                 \
    c11 = wasm_f32x4_add(c11, wasm_f32x4_mul(a_, b1_));                                                 \
    a_ = wasm_v128_load32_splat(r2);                                                                    \
    c20 = wasm_f32x4_add(c20, wasm_f32x4_mul(a_, b0_));                                                 \
    c21 = wasm_f32x4_add(c21, wasm_f32x4_mul(a_, b1_));                                                 \
    a_ = wasm_v128_load32_splat(r3);                                                                    \
    c30 = wasm_f32x4_add(c30, wasm_f32x4_mul(a_, b0_));                                                 \
    c31 = wasm_f32x4_add(c31, wasm_f32x4_mul(a_, b1_));                                                 \
  } while (0)

static inline v128_t epilogue(v128_t v, const float *bias, int relu) {
  if (bias) v = wasm_f32x4_add(v, wasm_v128_load(bias));
  if (relu) v = wasm_f32x4_max(v, wasm_f32x4_splat(0.0f));
  return v;
}

/* Convolution geometry, NHWC data and [kh, kw, Ci, Co] filters: the first parameter words, read in place
   (a copy would live on the stack). */
typedef struct {
  int n, h, w, ci, oh, ow, co, kh, kw, sh, sw, top, left;
} Geometry;
#define GEOMETRY_WORDS 13

static inline const Geometry *geometry(const int *p) { return (const Geometry *)p; }

/* gemm.c */
void gemm(int m, int n, int k, const float *a, int a_row, int a_col, const float *b, int b_row, int b_col,
          float *c, int ldc, int accumulate, float *scratch);
int gemm_scratch_floats(int m, int n, int k);

/* conv.c: xp (hp×wp×ci) = x shifted by the top/left padding, zero outside it. */
void pad_image(const Geometry *g, const float *x, float *xp, int hp, int wp);

/* winograd.c: the forward of one image of a 3×3 stride-1 convolution from its transformed filter u. */
void winograd_image(const Geometry *g, const float *x, const float *u, int block, float *y, float *scratch,
                    const float *bias, int relu);

#endif
