/*
 * 3×3 stride-1 convolution as Winograd F(2×2, 3×3) (Lavin & Gray 2016): each 2×2 block of outputs is
 * Aᵀ[(G g Gᵀ) ⊙ (Bᵀ d B)]A over its 4×4 input patch d, so the multiplies become 16 small GEMMs
 * (tiles × ci)·(ci × co) with 16 instead of 36 multiply-adds per 2×2 outputs and input channel: 2.25× fewer
 * than the direct kernel, which already issues near the core's f32x4 peak. The transforms use only ±1 and ½, so
 * the result stays within float rounding of the direct one. NHWC data, [3, 3, ci, co] filters, co a multiple of
 * 8 and ci of 4 (the caller checks).
 */
#include "common.h"

#define ADD wasm_f32x4_add
#define SUB wasm_f32x4_sub

/* p: ci, co, filter, U (16 × ci × co). Task = input channel c: U[ξ·4 + ν][c][o] = (G g Gᵀ)[ξ][ν], g = W[·][·][c][o]. */
EXPORT(cohort_winograd_filter) {
  (void)thread;
  int ci = p[0], co = p[1], plane = ci * co;
  const float *w = fptr(p, 2) + task * co;
  float *u = fptr(p, 3) + task * co;
  v128_t half = wasm_f32x4_splat(0.5f);
  for (int o = 0; o < co; o += 4) {
    const float *g = w + o;
    float *out = u + o;
#define LOAD_G(ky, kx) wasm_v128_load(g + ((ky) * 3 + (kx)) * plane)
    /* G along ky for each kx: t[ξ][kx] */
#define G_COLUMN(kx)                                                                                    \
  v128_t a0##kx = LOAD_G(0, kx), a2##kx = LOAD_G(2, kx), a1##kx = LOAD_G(1, kx);                         \
  v128_t t0##kx = a0##kx, t3##kx = a2##kx;                                                              \
  v128_t t1##kx = wasm_f32x4_mul(ADD(ADD(a0##kx, a1##kx), a2##kx), half);                               \
  v128_t t2##kx = wasm_f32x4_mul(ADD(SUB(a0##kx, a1##kx), a2##kx), half)
    G_COLUMN(0);
    G_COLUMN(1);
    G_COLUMN(2);
    /* G along kx for each ξ */
#define G_ROW(xi)                                                                                       \
  wasm_v128_store(out + ((xi) * 4 + 0) * plane, t##xi##0);                                              \
  wasm_v128_store(out + ((xi) * 4 + 1) * plane,                                                         \
                  wasm_f32x4_mul(ADD(ADD(t##xi##0, t##xi##1), t##xi##2), half));                       \
  wasm_v128_store(out + ((xi) * 4 + 2) * plane,                                                         \
                  wasm_f32x4_mul(ADD(SUB(t##xi##0, t##xi##1), t##xi##2), half));                       \
  wasm_v128_store(out + ((xi) * 4 + 3) * plane, t##xi##2)
    G_ROW(0);
    G_ROW(1);
    G_ROW(2);
    G_ROW(3);
#undef G_ROW
#undef G_COLUMN
#undef LOAD_G
  }
}

/* Bᵀ along one 4-vector: (d0 − d2, d1 + d2, d2 − d1, d1 − d3). */
#define BT(d0, d1, d2, d3, r0, r1, r2, r3) \
  v128_t r0 = SUB(d0, d2), r1 = ADD(d1, d2), r2 = SUB(d2, d1), r3 = SUB(d1, d3)

/* V[k][t][c..c+4) = (Bᵀ d B)[k] for the 4×4 patch at `x` (rows x_row floats apart, pixels ci apart). */
static inline void input_tile(float *v, int plane, const float *x, int x_row, int ci) {
#define ROW(i)                                                                                          \
  BT(wasm_v128_load(x + (i) * x_row), wasm_v128_load(x + (i) * x_row + ci),                              \
     wasm_v128_load(x + (i) * x_row + 2 * ci), wasm_v128_load(x + (i) * x_row + 3 * ci), e##i##0, e##i##1, \
     e##i##2, e##i##3)
  ROW(0);
  ROW(1);
  ROW(2);
  ROW(3);
#undef ROW
#define COLUMN(j)                                                                                       \
  do {                                                                                                  \
    BT(e0##j, e1##j, e2##j, e3##j, v0, v1, v2, v3);                                                     \
    wasm_v128_store(v + (0 * 4 + (j)) * plane, v0);                                                     \
    wasm_v128_store(v + (1 * 4 + (j)) * plane, v1);                                                     \
    wasm_v128_store(v + (2 * 4 + (j)) * plane, v2);                                                     \
    wasm_v128_store(v + (3 * 4 + (j)) * plane, v3);                                                     \
  } while (0)
  COLUMN(0);
  COLUMN(1);
  COLUMN(2);
  COLUMN(3);
#undef COLUMN
}

/* Aᵀ along one 4-vector: (m0 + m1 + m2, m1 − m2 − m3). */
#define AT(m0, m1, m2, m3, r0, r1) v128_t r0 = ADD(ADD(m0, m1), m2), r1 = SUB(SUB(m1, m2), m3)

/* The 2×2 outputs (channels o..o+4) of one tile from M[k][t][o] (k planes `plane` apart), then bias and ReLU;
   `rows`/`cols` (1 or 2) of them inside the output are stored at y (rows y_row floats apart, pixels co apart). */
static inline void output_tile(float *y, int y_row, int co, const float *m, int plane, int rows, int cols,
                               const float *bias, int relu) {
#define M(k) wasm_v128_load(m + (k) * plane)
#define ROW(a) AT(M((a) * 4), M((a) * 4 + 1), M((a) * 4 + 2), M((a) * 4 + 3), q##a##0, q##a##1)
  ROW(0);
  ROW(1);
  ROW(2);
  ROW(3);
#undef ROW
#undef M
  AT(q00, q10, q20, q30, y00, y10);
  AT(q01, q11, q21, q31, y01, y11);
  wasm_v128_store(y, epilogue(y00, bias, relu));
  if (cols > 1) wasm_v128_store(y + co, epilogue(y01, bias, relu));
  if (rows < 2) return;
  wasm_v128_store(y + y_row, epilogue(y10, bias, relu));
  if (cols > 1) wasm_v128_store(y + y_row + co, epilogue(y11, bias, relu));
}

/* Output tiles (2×2) down and across. */
static inline int tiles_high(const Geometry *g) { return (g->oh + 1) / 2; }
static inline int tiles_wide(const Geometry *g) { return (g->ow + 1) / 2; }

/*
 * One image: the input padded to whole 4×4 patches (scratch), then passes of `block` tiles (a multiple of 4, row
 * by row): their input transforms into V (16 × block × ci), the 16 GEMMs V[k]·U[k] into M (16 × block × co) with
 * the direct kernels' 4×8 register tile, and the output transforms into y. Everything in a fixed order.
 */
void winograd_image(const Geometry *g, const float *x, const float *u, int block, float *y, float *scratch,
                    const float *bias, int relu) {
  int ci = g->ci, co = g->co, th = tiles_high(g), tw = tiles_wide(g), tiles = th * tw;
  int hp = 2 * th + 2, wp = 2 * tw + 2, x_row = wp * ci;
  float *xp = scratch;
  pad_image(g, x, xp, hp, wp);
  float *v = xp + ((hp * wp * ci + 3) & ~3);
  float *m = v + 16 * block * ci;
  int v_plane = block * ci, m_plane = block * co, u_plane = ci * co;
  for (int t0 = 0; t0 < tiles; t0 += block) {
    int n = imin(block, tiles - t0);
    for (int i = 0; i < n; i++) {
      int t = t0 + i, ty = t / tw, tx = t % tw;
      const float *patch = xp + (2 * ty * wp + 2 * tx) * ci;
      for (int c = 0; c < ci; c += 4) input_tile(v + i * ci + c, v_plane, patch + c, x_row, ci);
    }
    for (int k = 0; k < 16; k++) {
      const float *vk = v + k * v_plane, *uk = u + k * u_plane;
      float *mk = m + k * m_plane;
      for (int i0 = 0; i0 < n; i0 += 4) {
        /* rows past the block's last tile repeat it (never stored) */
        const float *a0 = vk + i0 * ci, *a1 = vk + imin(i0 + 1, n - 1) * ci;
        const float *a2 = vk + imin(i0 + 2, n - 1) * ci, *a3 = vk + imin(i0 + 3, n - 1) * ci;
        for (int j0 = 0; j0 < co; j0 += 8) {
          TILE_DECLARE;
          TILE_ZERO;
          const float *b = uk + j0;
          for (int c = 0; c < ci; c++, b += co) TILE_STEP(a0 + c, a1 + c, a2 + c, a3 + c, b);
          store_tile(mk + i0 * co + j0, co, c00, c01, c10, c11, c20, c21, c30, c31);
        }
      }
    }
    for (int i = 0; i < n; i++) {
      int t = t0 + i, ty = t / tw, tx = t % tw;
      int rows = imin(2, g->oh - 2 * ty), cols = imin(2, g->ow - 2 * tx);
      float *out = y + (2 * ty * g->ow + 2 * tx) * co;
      for (int o = 0; o < co; o += 4)
        output_tile(out + o, g->ow * co, co, m + i * co + o, m_plane, rows, cols, bias ? bias + o : 0, relu);
    }
  }
}
