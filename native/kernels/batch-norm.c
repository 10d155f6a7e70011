/*
 * BatchNorm in training mode over channels-last data seen as [rows, C] (biased batch variance, as
 * tfjs-layers uses). Sums are in doubles, over `parts` fixed row ranges, added in a fixed order: one pass
 * to sum (task = part), one to write (task = row chunk), each writing task deriving the per-channel
 * factors itself from the partial sums (C values; cheaper than another round trip).
 */
#include "common.h"

static inline double *dptr(const int *p, int i) { return (double *)(size_t)p[i]; }

/* p: rows, C, x, partials (parts × 2C doubles), parts. Sums of x − x[row 0] and their squares. */
EXPORT(cohort_batch_norm_stats) {
  (void)thread;
  int rows = p[0], ch = p[1], parts = p[4];
  const float *x = fptr(p, 2);
  double *s1 = dptr(p, 3) + task * 2 * ch, *s2 = s1 + ch;
  for (int c = 0; c < ch; c++) s1[c] = s2[c] = 0.0;
  int r1 = part_begin(rows, parts, task + 1);
  for (int r = part_begin(rows, parts, task); r < r1; r++) {
    const float *row = x + r * ch;
    for (int c = 0; c < ch; c++) {
      double d = (double)row[c] - (double)x[c];
      s1[c] += d;
      s2[c] += d * d;
    }
  }
}

/* p: rows, C, x, gamma, beta, y, mean, variance, partials, parts, epsilon, scratch, bytes, chunks */
EXPORT(cohort_batch_norm_apply) {
  int rows = p[0], ch = p[1], parts = p[9], chunks = p[13];
  const float *x = fptr(p, 2), *gamma = fptr(p, 3), *beta = fptr(p, 4);
  float *y = fptr(p, 5), *mean = fptr(p, 6), *variance = fptr(p, 7);
  const double *partials = dptr(p, 8);
  double epsilon = fparam(p, 10);
  float *scale = thread_scratch(p, 11, thread), *offset = scale + ch;
  for (int c = 0; c < ch; c++) {
    double s1 = 0.0, s2 = 0.0;
    for (int t = 0; t < parts; t++) {
      s1 += partials[t * 2 * ch + c];
      s2 += partials[t * 2 * ch + ch + c];
    }
    double m = s1 / rows, v = s2 / rows - m * m;
    if (v < 0.0) v = 0.0;
    float mu = (float)((double)x[c] + m);
    scale[c] = (float)(gamma[c] / __builtin_sqrt(v + epsilon));
    offset[c] = (float)(beta[c] - (double)mu * scale[c]);
    if (task == 0) {
      mean[c] = mu;
      variance[c] = (float)v;
    }
  }
  affine_rows(x, scale, offset, y, ch, part_begin(rows, chunks, task), part_begin(rows, chunks, task + 1));
}

/* p: rows, C, dy, x, partials (parts × 2C doubles), parts. Σdy and Σdy·x per channel. */
EXPORT(cohort_batch_norm_grad_sums) {
  (void)thread;
  int rows = p[0], ch = p[1], parts = p[5];
  const float *dy = fptr(p, 2), *x = fptr(p, 3);
  double *s1 = dptr(p, 4) + task * 2 * ch, *s2 = s1 + ch;
  for (int c = 0; c < ch; c++) s1[c] = s2[c] = 0.0;
  int r1 = part_begin(rows, parts, task + 1);
  for (int r = part_begin(rows, parts, task); r < r1; r++) {
    const float *g = dy + r * ch, *in = x + r * ch;
    for (int c = 0; c < ch; c++) {
      double d = g[c];
      s1[c] += d;
      s2[c] += d * in[c];
    }
  }
}

/* p: rows, C, dy, x, gamma, mean, variance, dx, dgamma, dbeta, partials, parts, epsilon, scratch, bytes,
   chunks. dx = k1·dy + k2·x + k3 per channel, the statistics' own dependence on x included. */
EXPORT(cohort_batch_norm_grad_apply) {
  int rows = p[0], ch = p[1], parts = p[11], chunks = p[15];
  const float *dy = fptr(p, 2), *x = fptr(p, 3), *gamma = fptr(p, 4), *mean = fptr(p, 5), *variance = fptr(p, 6);
  float *dx = fptr(p, 7), *dgamma = fptr(p, 8), *dbeta = fptr(p, 9);
  const double *partials = dptr(p, 10);
  double epsilon = fparam(p, 12);
  float *k1 = thread_scratch(p, 13, thread), *k2 = k1 + ch, *k3 = k2 + ch;
  for (int c = 0; c < ch; c++) {
    double sum_dy = 0.0, sum_dyx = 0.0;
    for (int t = 0; t < parts; t++) {
      sum_dy += partials[t * 2 * ch + c];
      sum_dyx += partials[t * 2 * ch + ch + c];
    }
    double inv = 1.0 / __builtin_sqrt((double)variance[c] + epsilon);
    double sum_dyxhat = inv * (sum_dyx - (double)mean[c] * sum_dy);
    if (task == 0) {
      dgamma[c] = (float)sum_dyxhat;
      dbeta[c] = (float)sum_dy;
    }
    double a = gamma[c] * inv;
    double slope = (a * inv * sum_dyxhat) / rows;
    k1[c] = (float)a;
    k2[c] = (float)-slope;
    k3[c] = (float)(slope * mean[c] - (a * sum_dy) / rows);
  }
  int r1 = part_begin(rows, chunks, task + 1);
  for (int r = part_begin(rows, chunks, task); r < r1; r++) {
    const float *g = dy + r * ch, *in = x + r * ch;
    float *out = dx + r * ch;
    int c = 0;
    for (; c + 4 <= ch; c += 4) {
      v128_t v = wasm_f32x4_mul(wasm_v128_load(k1 + c), wasm_v128_load(g + c));
      v = wasm_f32x4_add(v, wasm_f32x4_mul(wasm_v128_load(k2 + c), wasm_v128_load(in + c)));
      wasm_v128_store(out + c, wasm_f32x4_add(v, wasm_v128_load(k3 + c)));
    }
    for (; c < ch; c++) out[c] = k1[c] * g[c] + k2[c] * in[c] + k3[c];
  }
}

/* p: rows, C, x, scale, offset, y, chunks. Inference BatchNorm as y = x·scale + offset per channel (the
   caller folds mean, variance, gamma and beta into the two C-vectors once a call). */
EXPORT(cohort_channel_affine) {
  (void)thread;
  int rows = p[0], ch = p[1], chunks = p[6];
  const float *x = fptr(p, 2), *scale = fptr(p, 3), *offset = fptr(p, 4);
  float *y = fptr(p, 5);
  affine_rows(x, scale, offset, y, ch, part_begin(rows, chunks, task), part_begin(rows, chunks, task + 1));
}
