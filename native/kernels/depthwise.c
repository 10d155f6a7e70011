/*
 * Depthwise 2-D convolution gradients, NHWC data, [kh, kw, C, 1] filters (channel multiplier 1, dilation 1),
 * and the gradient of clipping (ReLU6). The depthwise layers have few taps per output (9) and many
 * channels: every loop runs over channels, 4 at a time, reading the images in place.
 * Parameters: the geometry (GEOMETRY_WORDS, co = ci), then the kernel's pointers.
 */
#include "common.h"

#define G GEOMETRY_WORDS

/* acc[0..c) += a[0..c) · b[0..c) */
static inline void multiply_add(float *acc, const float *a, const float *b, int c) {
  int i = 0;
  for (; i + 4 <= c; i += 4)
    wasm_v128_store(acc + i, wasm_f32x4_add(wasm_v128_load(acc + i),
                                            wasm_f32x4_mul(wasm_v128_load(a + i), wasm_v128_load(b + i))));
  for (; i < c; i++) acc[i] += a[i] * b[i];
}

/* p[G..]: dy, filter, dx. Task = image: dx[iy][ix] = Σ over the taps that read it of dy[oy][ox] · W[ky][kx]. */
EXPORT(cohort_depthwise_input_grad) {
  (void)thread;
  const Geometry *g = geometry(p);
  int c = g->ci;
  const float *dy = fptr(p, G) + task * g->oh * g->ow * c, *w = fptr(p, G + 1);
  float *dx = fptr(p, G + 2) + task * g->h * g->w * c;
  for (int iy = 0; iy < g->h; iy++) {
    for (int ix = 0; ix < g->w; ix++) {
      float *out = dx + (iy * g->w + ix) * c;
      zero(out, c);
      for (int ky = 0; ky < g->kh; ky++) {
        int ty = iy + g->top - ky;
        if (ty < 0 || ty % g->sh) continue;
        int oy = ty / g->sh;
        if (oy >= g->oh) continue;
        for (int kx = 0; kx < g->kw; kx++) {
          int tx = ix + g->left - kx;
          if (tx < 0 || tx % g->sw) continue;
          int ox = tx / g->sw;
          if (ox >= g->ow) continue;
          multiply_add(out, dy + (oy * g->ow + ox) * c, w + (ky * g->kw + kx) * c, c);
        }
      }
    }
  }
}

/* p[G..]: x, dy, partial sums (parts × kh·kw·C), parts. Task t sums output rows [t·n·oh/parts, …) of the
   whole batch into its own partial: dW[ky][kx] += x[oy·sh + ky − top][ox·sw + kx − left] · dy[oy][ox]. */
EXPORT(cohort_depthwise_filter_grad) {
  (void)thread;
  const Geometry *g = geometry(p);
  int c = g->ci, parts = p[G + 3];
  const float *x = fptr(p, G), *dy = fptr(p, G + 1);
  float *partial = fptr(p, G + 2) + task * g->kh * g->kw * c;
  zero(partial, g->kh * g->kw * c);
  int rows = g->n * g->oh;
  int r1 = part_begin(rows, parts, task + 1);
  for (int r = part_begin(rows, parts, task); r < r1; r++) {
    int img = r / g->oh, oy = r % g->oh;
    const float *image = x + img * g->h * g->w * c;
    for (int ox = 0; ox < g->ow; ox++) {
      const float *grad = dy + ((size_t)r * g->ow + ox) * c;
      for (int ky = 0; ky < g->kh; ky++) {
        int iy = oy * g->sh + ky - g->top;
        if (iy < 0 || iy >= g->h) continue;
        for (int kx = 0; kx < g->kw; kx++) {
          int ix = ox * g->sw + kx - g->left;
          if (ix < 0 || ix >= g->w) continue;
          multiply_add(partial + (ky * g->kw + kx) * c, image + (iy * g->w + ix) * c, grad, c);
        }
      }
    }
  }
}

/* p: n, dy, x, dx, min, max, chunks. dx = dy where min ≤ x ≤ max, else 0 (tfjs's ClipByValue gradient). */
EXPORT(cohort_clip_grad) {
  (void)thread;
  int n = p[0], chunks = p[6];
  const float *dy = fptr(p, 1), *x = fptr(p, 2);
  float *dx = fptr(p, 3);
  float lo = fparam(p, 4), hi = fparam(p, 5);
  int begin = part_begin(n / 4, chunks, task) * 4;
  int end = task == chunks - 1 ? n : part_begin(n / 4, chunks, task + 1) * 4;
  v128_t LO = wasm_f32x4_splat(lo), HI = wasm_f32x4_splat(hi);
  int i = begin;
  for (; i + 4 <= end; i += 4) {
    v128_t v = wasm_v128_load(x + i);
    v128_t inside = wasm_v128_and(wasm_f32x4_ge(v, LO), wasm_f32x4_le(v, HI));
    wasm_v128_store(dx + i, wasm_v128_and(wasm_v128_load(dy + i), inside));
  }
  for (; i < end; i++) dx[i] = x[i] >= lo && x[i] <= hi ? dy[i] : 0.0f;
}
