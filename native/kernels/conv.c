/*
 * 2-D convolution, NHWC data, [kh, kw, Ci, Co] filters, dilation 1, as im2col + packed GEMM per image:
 * - forward:         y[img]   = cols(x[img]) · W                        (+ bias, ReLU)
 * - input gradient:  dx[img]  = col2im(dy[img] · Wᵀ)
 * - filter gradient: dW       = Σ_img cols(x[img])ᵀ · dy[img], in FILTER_PARTS fixed groups of images summed
 *                              in a fixed order, so the result is the same for any thread count.
 * Parameters: the geometry (GEOMETRY_WORDS), then the kernel's pointers (see each kernel).
 */
#include "common.h"

#define G GEOMETRY_WORDS

static inline int is_pointwise(const Geometry *g) {
  return g->kh == 1 && g->kw == 1 && g->sh == 1 && g->sw == 1 && g->top == 0 && g->left == 0 && g->oh == g->h &&
         g->ow == g->w;
}

/* cols[(oy·ow + ox)][(ky·kw + kx)·ci + c] = x[oy·sh + ky − top][ox·sw + kx − left][c], 0 outside */
static void im2col(const Geometry *g, const float *x, float *cols) {
  int taps = g->kh * g->kw * g->ci;
  for (int oy = 0; oy < g->oh; oy++) {
    for (int ox = 0; ox < g->ow; ox++) {
      float *row = cols + (oy * g->ow + ox) * taps;
      for (int ky = 0; ky < g->kh; ky++) {
        int iy = oy * g->sh + ky - g->top;
        for (int kx = 0; kx < g->kw; kx++) {
          int ix = ox * g->sw + kx - g->left;
          float *dst = row + (ky * g->kw + kx) * g->ci;
          if (iy < 0 || iy >= g->h || ix < 0 || ix >= g->w) zero(dst, g->ci);
          else copy(dst, x + (iy * g->w + ix) * g->ci, g->ci);
        }
      }
    }
  }
}

/* dx[iy][ix][c] += cols[(oy·ow + ox)][(ky·kw + kx)·ci + c], in a fixed order */
static void col2im(const Geometry *g, const float *cols, float *dx) {
  int taps = g->kh * g->kw * g->ci;
  zero(dx, g->h * g->w * g->ci);
  for (int oy = 0; oy < g->oh; oy++) {
    for (int ox = 0; ox < g->ow; ox++) {
      const float *row = cols + (oy * g->ow + ox) * taps;
      for (int ky = 0; ky < g->kh; ky++) {
        int iy = oy * g->sh + ky - g->top;
        if (iy < 0 || iy >= g->h) continue;
        for (int kx = 0; kx < g->kw; kx++) {
          int ix = ox * g->sw + kx - g->left;
          if (ix < 0 || ix >= g->w) continue;
          add_to(dx + (iy * g->w + ix) * g->ci, row + (ky * g->kw + kx) * g->ci, g->ci);
        }
      }
    }
  }
}

/* p[G..]: x, filter, y, scratch, scratch bytes per thread, bias (0 = none), relu (0/1). Task = image. */
EXPORT(cohort_conv2d) {
  const Geometry *g = geometry(p);
  const float *x = fptr(p, G) + task * g->h * g->w * g->ci;
  const float *w = fptr(p, G + 1);
  float *y = fptr(p, G + 2) + task * g->oh * g->ow * g->co;
  float *scratch = thread_scratch(p, G + 3, thread);
  const float *bias = fptr(p, G + 5);
  int relu = p[G + 6];
  int rows = g->oh * g->ow, taps = g->kh * g->kw * g->ci;
  const float *cols = x;
  if (!is_pointwise(g)) {
    im2col(g, x, scratch);
    cols = scratch;
    scratch += rows * taps;
  }
  gemm(rows, g->co, taps, cols, taps, 1, w, g->co, 1, y, g->co, 0, scratch);
  if (!bias && !relu) return;
  for (int r = 0; r < rows; r++) {
    float *out = y + r * g->co;
    int c = 0;
    for (; c + 4 <= g->co; c += 4) {
      v128_t v = wasm_v128_load(out + c);
      if (bias) v = wasm_f32x4_add(v, wasm_v128_load(bias + c));
      if (relu) v = wasm_f32x4_max(v, wasm_f32x4_splat(0.0f));
      wasm_v128_store(out + c, v);
    }
    for (; c < g->co; c++) {
      float v = out[c] + (bias ? bias[c] : 0.0f);
      out[c] = relu && v < 0.0f ? 0.0f : v;
    }
  }
}

/* p[G..]: dy, filter, dx, scratch, scratch bytes per thread. Task = image. */
EXPORT(cohort_conv2d_input_grad) {
  const Geometry *g = geometry(p);
  const float *dy = fptr(p, G) + task * g->oh * g->ow * g->co;
  const float *w = fptr(p, G + 1);
  float *dx = fptr(p, G + 2) + task * g->h * g->w * g->ci;
  float *scratch = thread_scratch(p, G + 3, thread);
  int rows = g->oh * g->ow, taps = g->kh * g->kw * g->ci;
  if (is_pointwise(g)) {
    gemm(rows, taps, g->co, dy, g->co, 1, w, 1, g->co, dx, taps, 0, scratch);
    return;
  }
  float *cols = scratch;
  gemm(rows, taps, g->co, dy, g->co, 1, w, 1, g->co, cols, taps, 0, scratch + rows * taps);
  col2im(g, cols, dx);
}

/* p[G..]: x, dy, partial sums (parts × taps × co), scratch, scratch bytes per thread, parts.
   Task t sums images [t·n/parts, (t+1)·n/parts) into its own partial. */
EXPORT(cohort_conv2d_filter_grad) {
  const Geometry *g = geometry(p);
  int parts = p[G + 5];
  int rows = g->oh * g->ow, taps = g->kh * g->kw * g->ci;
  float *partial = fptr(p, G + 2) + task * taps * g->co;
  float *scratch = thread_scratch(p, G + 3, thread);
  int first = part_begin(g->n, parts, task), last = part_begin(g->n, parts, task + 1);
  if (first == last) zero(partial, taps * g->co);
  int pointwise = is_pointwise(g);
  for (int img = first; img < last; img++) {
    const float *x = fptr(p, G) + img * g->h * g->w * g->ci;
    const float *dy = fptr(p, G + 1) + img * rows * g->co;
    const float *cols = x;
    float *rest = scratch;
    if (!pointwise) {
      im2col(g, x, scratch);
      cols = scratch;
      rest = scratch + rows * taps;
    }
    gemm(taps, g->co, rows, cols, 1, taps, dy, g->co, 1, partial, g->co, img != first, rest);
  }
}

/* p: partials, out, length, parts, chunks. out[i] = Σ_t partials[t][i] in order t = 0, 1, …; task = chunk. */
EXPORT(cohort_sum_parts) {
  (void)thread;
  const float *partials = fptr(p, 0);
  float *out = fptr(p, 1);
  int length = p[2], parts = p[3], chunks = p[4];
  int begin = part_begin(length / 4, chunks, task) * 4;
  int end = task == chunks - 1 ? length : part_begin(length / 4, chunks, task + 1) * 4;
  if (begin >= end) return;
  copy(out + begin, partials + begin, end - begin);
  for (int t = 1; t < parts; t++) add_to(out + begin, partials + t * length + begin, end - begin);
}
