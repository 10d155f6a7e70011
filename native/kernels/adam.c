/*
 * One Adam update of one variable, in the order of tfjs's AdamOptimizer (so a fused step matches its
 * composition to rounding): m' = m·β1 + g·(1−β1), v' = v·β2 + g²·(1−β2),
 * w' = (m'/c1) / (√(v'/c2) + ε) · (−lr) + w, with c1 = 1 − β1ᵗ and c2 = 1 − β2ᵗ. One call replaces ten
 * tfjs ops per variable, each paying its own preparation.
 */
#include "common.h"

/* p: n, w, m, v, g, w', m', v', β1, 1−β1, β2, 1−β2, ε, −lr, c1, c2, chunks (floats as their bits) */
EXPORT(cohort_adam) {
  (void)thread;
  int n = p[0], chunks = p[16];
  const float *w = fptr(p, 1), *m = fptr(p, 2), *v = fptr(p, 3), *g = fptr(p, 4);
  float *w1 = fptr(p, 5), *m1 = fptr(p, 6), *v1 = fptr(p, 7);
  float b1 = fparam(p, 8), a1 = fparam(p, 9), b2 = fparam(p, 10), a2 = fparam(p, 11);
  float eps = fparam(p, 12), step = fparam(p, 13), c1 = fparam(p, 14), c2 = fparam(p, 15);
  /* 4-aligned ranges so every task but the last runs whole vectors */
  int begin = part_begin(n / 4, chunks, task) * 4;
  int end = task == chunks - 1 ? n : part_begin(n / 4, chunks, task + 1) * 4;
  int i = begin;
  v128_t B1 = wasm_f32x4_splat(b1), A1 = wasm_f32x4_splat(a1), B2 = wasm_f32x4_splat(b2), A2 = wasm_f32x4_splat(a2);
  v128_t E = wasm_f32x4_splat(eps), S = wasm_f32x4_splat(step), C1 = wasm_f32x4_splat(c1), C2 = wasm_f32x4_splat(c2);
  for (; i + 4 <= end; i += 4) {
    v128_t gi = wasm_v128_load(g + i);
    v128_t mi = wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(m + i), B1), wasm_f32x4_mul(gi, A1));
    v128_t vi = wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(v + i), B2), wasm_f32x4_mul(wasm_f32x4_mul(gi, gi), A2));
    v128_t ratio = wasm_f32x4_div(wasm_f32x4_div(mi, C1), wasm_f32x4_add(wasm_f32x4_sqrt(wasm_f32x4_div(vi, C2)), E));
    wasm_v128_store(m1 + i, mi);
    wasm_v128_store(v1 + i, vi);
    wasm_v128_store(w1 + i, wasm_f32x4_add(wasm_f32x4_mul(ratio, S), wasm_v128_load(w + i)));
  }
  for (; i < end; i++) {
    float mi = m[i] * b1 + g[i] * a1;
    float vi = v[i] * b2 + (g[i] * g[i]) * a2;
    m1[i] = mi;
    v1[i] = vi;
    w1[i] = (mi / c1) / (__builtin_sqrtf(vi / c2) + eps) * step + w[i];
  }
}
