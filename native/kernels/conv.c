/*
 * 2-D convolution, NHWC data, [kh, kw, Ci, Co] filters, dilation 1:
 * - forward:         y[img]   = cols(x[img]) · W                        (+ bias, ReLU)
 * - input gradient:  dx[img]  = col2im(dy[img] · Wᵀ), at stride 1 the forward of dy with the filter turned
 * - filter gradient: dW       = Σ_img cols(x[img])ᵀ · dy[img], in a fixed number of groups of images (the
 *                              caller's parts) summed in a fixed order, so the result is the same for any
 *                              thread count.
 * The kernels are direct: a 4×8 register tile reading the image in place (no im2col, no packing), an operand
 * broadcast straight from memory; the input gradient always, the forward and filter gradient where Co is a
 * multiple of 8, else im2col + packed GEMM (gemm.c) per image.
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

/* Can the direct kernels run this geometry (8-wide output channels)? */
static inline int direct_forward(const Geometry *g) { return g->co % 8 == 0; }

/*
 * Forward of one image without im2col: x (already padded: xp is hp×wp×ci with the top/left padding
 * included) times the filter read in place. A tile is 4 output pixels (any four: each has its own base
 * pointer, and every tap is the same offset from each base) × 8 output channels, summed over
 * (ky, kx, c) in that order.
 */
/* One forward tile: 8 output channels of 4 output pixels (x0…x3: their first tap's input) summed over
   (ky, kx, c), then bias and ReLU; `valid` of the pixels are stored (rows co apart from `out`). */
static inline void forward_tile(float *out, int co, int valid, const float *x0, const float *x1,
                                                   const float *x2, const float *x3, const float *w, int kh,
                                                   int kw, int ci, int x_row, const float *bias, int relu) {
  TILE_DECLARE;
  TILE_ZERO;
  for (int ky = 0; ky < kh; ky++) {
    for (int kx = 0; kx < kw; kx++) {
      int off = ky * x_row + kx * ci;
      for (int c = off; c < off + ci; c++, w += co) TILE_STEP(x0 + c, x1 + c, x2 + c, x3 + c, w);
    }
  }
  const float *b4 = bias ? bias + 4 : 0;
  wasm_v128_store(out, epilogue(c00, bias, relu));
  wasm_v128_store(out + 4, epilogue(c01, b4, relu));
  if (valid < 2) return;
  wasm_v128_store(out + co, epilogue(c10, bias, relu));
  wasm_v128_store(out + co + 4, epilogue(c11, b4, relu));
  if (valid < 3) return;
  wasm_v128_store(out + 2 * co, epilogue(c20, bias, relu));
  wasm_v128_store(out + 2 * co + 4, epilogue(c21, b4, relu));
  if (valid < 4) return;
  wasm_v128_store(out + 3 * co, epilogue(c30, bias, relu));
  wasm_v128_store(out + 3 * co + 4, epilogue(c31, b4, relu));
}

/*
 * Forward of one image without im2col: x (already padded: xp is hp×wp×ci with the top/left padding
 * included) times the filter read in place. A tile is 4 output pixels (any four, in order: each has its own
 * base pointer, and every tap is the same offset from each base) × 8 output channels.
 */
static void conv_direct(const Geometry *g, const float *xp, int wp, const float *w, float *y, const float *bias,
                        int relu) {
  int pixels = g->oh * g->ow, ci = g->ci, co = g->co, ow = g->ow;
  int x_row = wp * ci, x_col = g->sw * ci, x_out_row = g->sh * wp * ci;
  for (int j0 = 0; j0 < co; j0 += 8) {
    const float *bj = bias ? bias + j0 : 0;
    int ox = 0;
    const float *row = xp;
    for (int p0 = 0; p0 < pixels; p0 += 4) {
      /* the four pixels' inputs, stepping along the output rows (the last repeated past the end) */
      const float *x0 = row + ox * x_col, *x1 = x0, *x2 = x0, *x3 = x0;
      int o = ox;
      const float *r = row;
      if (p0 + 1 < pixels) {
        if (++o == ow) o = 0, r += x_out_row;
        x1 = r + o * x_col;
      }
      x2 = x1;
      if (p0 + 2 < pixels) {
        if (++o == ow) o = 0, r += x_out_row;
        x2 = r + o * x_col;
      }
      x3 = x2;
      if (p0 + 3 < pixels) {
        if (++o == ow) o = 0, r += x_out_row;
        x3 = r + o * x_col;
        if (++o == ow) o = 0, r += x_out_row;
      }
      ox = o;
      row = r;
      forward_tile(y + p0 * co + j0, co, pixels - p0, x0, x1, x2, x3, w + j0, g->kh, g->kw, ci, x_row, bj, relu);
    }
  }
}

/* The padded input's size: every tap of every output pixel inside it. */
static inline int padded_height(const Geometry *g) { return (g->oh - 1) * g->sh + g->kh; }
static inline int padded_width(const Geometry *g) { return (g->ow - 1) * g->sw + g->kw; }
static inline int needs_padding(const Geometry *g) {
  return g->top > 0 || g->left > 0 || padded_height(g) > g->h || padded_width(g) > g->w;
}

void pad_image(const Geometry *g, const float *x, float *xp, int hp, int wp) {
  int ci = g->ci;
  for (int py = 0; py < hp; py++) {
    int iy = py - g->top;
    float *row = xp + py * wp * ci;
    if (iy < 0 || iy >= g->h) {
      zero(row, wp * ci);
      continue;
    }
    int lo = imin(wp, imax(0, g->left)), hi = imax(lo, imin(wp, g->w + g->left));
    zero(row, lo * ci);
    copy(row + lo * ci, x + (iy * g->w + lo - g->left) * ci, (hi - lo) * ci);
    zero(row + hi * ci, (wp - hi) * ci);
  }
}

/* Forward of one image: Winograd when given the transformed filter `u` (winograd.c), else direct where it can,
   else im2col + GEMM. */
static void conv_image(const Geometry *g, const float *x, const float *w, const float *u, int block, float *y,
                       float *scratch, const float *bias, int relu) {
  if (u) {
    winograd_image(g, x, u, block, y, scratch, bias, relu);
    return;
  }
  if (direct_forward(g)) {
    int wp = g->w;
    if (needs_padding(g)) {
      pad_image(g, x, scratch, padded_height(g), wp = padded_width(g));
      x = scratch;
    }
    conv_direct(g, x, wp, w, y, bias, relu);
    return;
  }
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
    for (; c + 4 <= g->co; c += 4) wasm_v128_store(out + c, epilogue(wasm_v128_load(out + c), bias ? bias + c : 0, relu));
    for (; c < g->co; c++) {
      float v = out[c] + (bias ? bias[c] : 0.0f);
      out[c] = relu && v < 0.0f ? 0.0f : v;
    }
  }
}

/* p[G..]: x, filter, y, scratch, scratch bytes per thread, bias (0 = none), relu (0/1), Winograd filter
   (cohort_winograd_filter's, 0 = none), Winograd tiles a pass. Task = image. */
EXPORT(cohort_conv2d) {
  const Geometry *g = geometry(p);
  conv_image(g, fptr(p, G) + task * g->h * g->w * g->ci, fptr(p, G + 1), fptr(p, G + 7), p[G + 8],
             fptr(p, G + 2) + task * g->oh * g->ow * g->co, thread_scratch(p, G + 3, thread), fptr(p, G + 5),
             p[G + 6]);
}

/*
 * At stride 1 the input gradient is a forward convolution of dy with the filter turned half a circle and its
 * channels swapped (W'[ky][kx][o][c] = W[kh−1−ky][kw−1−kx][c][o]) and padding kh−1−top, kw−1−left: that
 * geometry and filter go in the thread's scratch (never on the stack), then the direct forward runs.
 */
static int input_grad_direct(const Geometry *g) {
  return g->sh == 1 && g->sw == 1 && g->ci % 8 == 0 && g->top <= g->kh - 1 && g->left <= g->kw - 1;
}

#define GEOMETRY_FLOATS 16 /* a Geometry in scratch, rounded up to keep what follows 16-byte aligned */

static void input_grad_image(const Geometry *g, const float *dy, const float *flipped, const float *u, int block,
                             float *dx, float *scratch) {
  Geometry *t = (Geometry *)scratch;
  t->n = 1;
  t->h = g->oh;
  t->w = g->ow;
  t->ci = g->co;
  t->oh = g->h;
  t->ow = g->w;
  t->co = g->ci;
  t->kh = g->kh;
  t->kw = g->kw;
  t->sh = t->sw = 1;
  t->top = g->kh - 1 - g->top;
  t->left = g->kw - 1 - g->left;
  conv_image(t, dy, flipped, u, block, dx, scratch + GEOMETRY_FLOATS, 0, 0);
}

/* p[G..]: filter, flipped (kh·kw·co·ci). Task = tap: W'[tap] = W[kh·kw − 1 − tap]ᵀ. */
EXPORT(cohort_conv2d_flip_filter) {
  (void)thread;
  const Geometry *g = geometry(p);
  int taps = g->kh * g->kw;
  const float *src = fptr(p, G) + (taps - 1 - task) * g->ci * g->co;
  float *dst = fptr(p, G + 1) + task * g->co * g->ci;
  for (int o = 0; o < g->co; o++)
    for (int c = 0; c < g->ci; c++) dst[o * g->ci + c] = src[c * g->co + o];
}

/* The (ky, kx, c) columns of the input gradient, rounded up to whole 8-wide tiles. */
static inline int filter_columns(const Geometry *g) { return (g->kh * g->kw * g->ci + 7) / 8 * 8; }

/* p[G..]: filter, columns (co × filter_columns). Task = output channel o: columns[o][(ky·kw + kx)·ci + c] =
   W[ky][kx][c][o], zero past the end. */
EXPORT(cohort_conv2d_filter_columns) {
  (void)thread;
  const Geometry *g = geometry(p);
  int rows = g->kh * g->kw * g->ci, stride = filter_columns(g);
  const float *src = fptr(p, G) + task;
  float *dst = fptr(p, G + 1) + task * stride;
  for (int j = 0; j < rows; j++) dst[j] = src[j * g->co];
  for (int j = rows; j < stride; j++) dst[j] = 0.0f;
}

/*
 * The input gradient of one image for any input channel count (the stems' 1 or 3): for 4 dy pixels × 8
 * consecutive (ky, kx, c) columns, Σ_o dy[p][o]·W[ky][kx][c][o] (columns from cohort_conv2d_filter_columns),
 * each of the 32 sums added into a padded copy of dx (no bounds to check; `offsets` holds each column's
 * place), which is then cropped into dx. Pixels and columns go in a fixed order.
 */
static void input_grad_columns(const Geometry *g, const float *dy, const float *columns, float *dx,
                               float *scratch) {
  int pixels = g->oh * g->ow, co = g->co, ci = g->ci, rows = g->kh * g->kw * ci, stride = filter_columns(g);
  int hp = padded_height(g), wp = padded_width(g);
  int *offsets = (int *)scratch;
  float *dxp = scratch + stride;
  for (int j = 0; j < stride; j++) {
    int t = imin(j, rows - 1);
    offsets[j] = ((t / (g->kw * ci)) * wp + (t / ci) % g->kw) * ci + t % ci;
  }
  zero(dxp, hp * wp * ci);
  int x_col = g->sw * ci, x_out_row = g->sh * wp * ci;
  int ox = 0;
  float *row = dxp;
  for (int p0 = 0; p0 < pixels; p0 += 4) {
    int valid = imin(4, pixels - p0);
    const float *a0 = dy + p0 * co, *a1 = a0 + (valid > 1) * co, *a2 = a0 + (valid > 2) * 2 * co;
    const float *a3 = a0 + (valid > 3) * 3 * co;
    /* the four pixels' places in the padded dx, stepping along the output rows */
    float *d0 = row + ox * x_col, *d1 = d0, *d2 = d0, *d3 = d0;
    int o = ox;
    float *r = row;
    if (++o == g->ow) o = 0, r += x_out_row;
    d1 = r + o * x_col;
    if (++o == g->ow) o = 0, r += x_out_row;
    d2 = r + o * x_col;
    if (++o == g->ow) o = 0, r += x_out_row;
    d3 = r + o * x_col;
    if (++o == g->ow) o = 0, r += x_out_row;
    ox = o;
    row = r;
    for (int j0 = 0; j0 < stride; j0 += 8) {
      TILE_DECLARE;
      TILE_ZERO;
      const float *b = columns + j0;
      for (int k = 0; k < co; k++, b += stride) TILE_STEP(a0 + k, a1 + k, a2 + k, a3 + k, b);
      int n = imin(8, rows - j0);
      const int *off = offsets + j0;
#define ADD_ROW(d, lo, hi)                                                                              \
  do {                                                                                                  \
    (d)[off[0]] += wasm_f32x4_extract_lane(lo, 0);                                                      \
    if (n > 1) (d)[off[1]] += wasm_f32x4_extract_lane(lo, 1);                                           \
    if (n > 2) (d)[off[2]] += wasm_f32x4_extract_lane(lo, 2);                                           \
    if (n > 3) (d)[off[3]] += wasm_f32x4_extract_lane(lo, 3);                                           \
    if (n > 4) (d)[off[4]] += wasm_f32x4_extract_lane(hi, 0);                                           \
    if (n > 5) (d)[off[5]] += wasm_f32x4_extract_lane(hi, 1);                                           \
    if (n > 6) (d)[off[6]] += wasm_f32x4_extract_lane(hi, 2);                                           \
    if (n > 7) (d)[off[7]] += wasm_f32x4_extract_lane(hi, 3);                                           \
  } while (0)
      ADD_ROW(d0, c00, c01);
      if (valid > 1) ADD_ROW(d1, c10, c11);
      if (valid > 2) ADD_ROW(d2, c20, c21);
      if (valid > 3) ADD_ROW(d3, c30, c31);
#undef ADD_ROW
    }
  }
  /* crop: dx[iy][ix] = dxp[iy + top][ix + left], zero where no tap reached */
  for (int iy = 0; iy < g->h; iy++) {
    float *out = dx + iy * g->w * ci;
    int py = iy + g->top;
    if (py < 0 || py >= hp) {
      zero(out, g->w * ci);
      continue;
    }
    int lo = imin(g->w, imax(0, -g->left)), hi = imax(lo, imin(g->w, wp - g->left));
    zero(out, lo * ci);
    copy(out + lo * ci, dxp + (py * wp + lo + g->left) * ci, (hi - lo) * ci);
    zero(out + hi * ci, (g->w - hi) * ci);
  }
}

/* dx[iy][ix][0..8) += (lo, hi) where (iy, ix) is inside the image */
static inline void scatter8(const Geometry *g, float *dx, int iy, int ix, v128_t lo, v128_t hi) {
  if (iy < 0 || iy >= g->h || ix < 0 || ix >= g->w) return;
  float *d = dx + (iy * g->w + ix) * g->ci;
  wasm_v128_store(d, wasm_f32x4_add(wasm_v128_load(d), lo));
  wasm_v128_store(d + 4, wasm_f32x4_add(wasm_v128_load(d + 4), hi));
}

/*
 * The strided input gradient of one image as a direct scatter (no im2col, no col2im): for 4 output pixels
 * (dy rows, broadcast from memory) × 8 input channels of one tap, Σ_o dy[p][o]·W[tap][c][o] (the turned filter
 * read backwards: W'[taps−1−tap] = W[tap]ᵀ) is added into dx where that tap lands. Pixels, taps and channels go
 * in a fixed order.
 */
static void input_grad_scatter(const Geometry *g, const float *dy, const float *flipped, float *dx) {
  int pixels = g->oh * g->ow, co = g->co, ci = g->ci, taps = g->kh * g->kw;
  zero(dx, g->h * g->w * ci);
  int oy = 0, ox = 0;
  for (int p0 = 0; p0 < pixels; p0 += 4) {
    int valid = imin(4, pixels - p0);
    const float *a0 = dy + p0 * co, *a1 = a0 + (valid > 1) * co, *a2 = a0 + (valid > 2) * 2 * co;
    const float *a3 = a0 + (valid > 3) * 3 * co;
    /* the four pixels' (oy, ox), stepping along the output rows */
    int y0 = oy, x0 = ox, y1 = y0, x1 = x0 + 1;
    if (x1 == g->ow) x1 = 0, y1++;
    int y2 = y1, x2 = x1 + 1;
    if (x2 == g->ow) x2 = 0, y2++;
    int y3 = y2, x3 = x2 + 1;
    if (x3 == g->ow) x3 = 0, y3++;
    oy = y3;
    ox = x3 + 1;
    if (ox == g->ow) ox = 0, oy++;
    for (int ky = 0; ky < g->kh; ky++) {
      for (int kx = 0; kx < g->kw; kx++) {
        const float *wt = flipped + (taps - 1 - (ky * g->kw + kx)) * co * ci;
        int dy0 = ky - g->top, dx0 = kx - g->left;
        for (int c0 = 0; c0 < ci; c0 += 8) {
          TILE_DECLARE;
          TILE_ZERO;
          const float *b = wt + c0;
          for (int o = 0; o < co; o++, b += ci) TILE_STEP(a0 + o, a1 + o, a2 + o, a3 + o, b);
          float *d = dx + c0;
          scatter8(g, d, y0 * g->sh + dy0, x0 * g->sw + dx0, c00, c01);
          if (valid > 1) scatter8(g, d, y1 * g->sh + dy0, x1 * g->sw + dx0, c10, c11);
          if (valid > 2) scatter8(g, d, y2 * g->sh + dy0, x2 * g->sw + dx0, c20, c21);
          if (valid > 3) scatter8(g, d, y3 * g->sh + dy0, x3 * g->sw + dx0, c30, c31);
        }
      }
    }
  }
}

/* p[G..]: dy, filter, dx, scratch, scratch bytes per thread, flipped filter (cohort_conv2d_flip_filter's, for
   8-wide input channels), filter columns (cohort_conv2d_filter_columns', for other channel counts), the
   flipped filter's Winograd transform (stride 1, 3×3; 0 = none), Winograd tiles a pass. Task = image. */
EXPORT(cohort_conv2d_input_grad) {
  const Geometry *g = geometry(p);
  const float *dy = fptr(p, G) + task * g->oh * g->ow * g->co;
  float *dx = fptr(p, G + 2) + task * g->h * g->w * g->ci;
  float *scratch = thread_scratch(p, G + 3, thread);
  if (input_grad_direct(g)) {
    input_grad_image(g, dy, fptr(p, G + 5), fptr(p, G + 7), p[G + 8], dx, scratch);
    return;
  }
  if (g->ci % 8 == 0) {
    input_grad_scatter(g, dy, fptr(p, G + 5), dx);
    return;
  }
  input_grad_columns(g, dy, fptr(p, G + 6), dx, scratch);
}

/* Images summed per pass of the filter gradient's tiles: about this many floats of x and dy (an L2-sized
   block), so every tile's pass over them hits the cache. */
#define FILTER_BLOCK_FLOATS 16384

/* One filter-gradient tile's pass over a block: `out` (4 rows co apart × 8) += Σ over images, rows and
   columns of x[4 channels] ⊗ dy[8 channels]; everything is a pointer step, so the loops stay in registers. */
__attribute__((noinline)) static void filter_tile(float *out, int co, const float *x, const float *dy,
                                                  int images, int x_image, int dy_image, int rows, int x_row,
                                                  int dy_row, int cols, int x_col) {
  v128_t c00 = wasm_v128_load(out), c01 = wasm_v128_load(out + 4);
  v128_t c10 = wasm_v128_load(out + co), c11 = wasm_v128_load(out + co + 4);
  v128_t c20 = wasm_v128_load(out + 2 * co), c21 = wasm_v128_load(out + 2 * co + 4);
  v128_t c30 = wasm_v128_load(out + 3 * co), c31 = wasm_v128_load(out + 3 * co + 4);
  for (int i = 0; i < images; i++, x += x_image, dy += dy_image) {
    const float *xr = x, *dr = dy;
    for (int r = 0; r < rows; r++, xr += x_row, dr += dy_row) {
      const float *xc = xr, *dc = dr;
      for (int c = 0; c < cols; c++, xc += x_col, dc += co) TILE_STEP(xc, xc + 1, xc + 2, xc + 3, dc);
    }
  }
  store_tile(out, co, c00, c01, c10, c11, c20, c21, c30, c31);
}

/*
 * The filter gradient of images [first, last) without im2col, into `partial` (taps × co, zeroed): a tile is 4
 * input channels of one tap × 8 output channels, summed over the block's output pixels, the input read in
 * place (each tap's valid rows and columns only: no padding, no zeros multiplied). Blocks, taps and pixels go
 * in a fixed order, so the sum never depends on threading.
 */
static void filter_grad_direct(const Geometry *g, const float *x, const float *dy, int first, int last,
                               float *partial) {
  int ci = g->ci, co = g->co, ow = g->ow, oh = g->oh;
  int x_image = g->h * g->w * ci, dy_image = oh * ow * co;
  int block = imax(1, FILTER_BLOCK_FLOATS / (x_image + dy_image));
  for (int i0 = first; i0 < last; i0 += block) {
    int images = imin(block, last - i0);
    for (int ky = 0; ky < g->kh; ky++) {
      /* output rows and columns whose tap (ky, kx) falls inside the image */
      int top = g->top - ky, bottom = g->h - 1 + g->top - ky;
      if (bottom < 0) continue;
      int y0 = top > 0 ? (top + g->sh - 1) / g->sh : 0, y1 = imin(oh, bottom / g->sh + 1);
      if (y1 <= y0) continue;
      for (int kx = 0; kx < g->kw; kx++) {
        int left = g->left - kx, right = g->w - 1 + g->left - kx;
        if (right < 0) continue;
        int x0 = left > 0 ? (left + g->sw - 1) / g->sw : 0, x1 = imin(ow, right / g->sw + 1);
        if (x1 <= x0) continue;
        const float *xs = x + i0 * x_image + ((y0 * g->sh - top) * g->w + x0 * g->sw - left) * ci;
        const float *ds = dy + i0 * dy_image + (y0 * ow + x0) * co;
        for (int c0 = 0; c0 < ci; c0 += 4)
          for (int j0 = 0; j0 < co; j0 += 8)
            filter_tile(partial + ((ky * g->kw + kx) * ci + c0) * co + j0, co, xs + c0, ds + j0, images, x_image,
                        dy_image, y1 - y0, g->sh * g->w * ci, ow * co, x1 - x0, g->sw * ci);
      }
    }
  }
}

/*
 * The filter gradient for any input channel count (the stems' 1 or 3), image by image from a padded copy
 * (scratch): a tile is 4 consecutive (ky, kx, c) rows, each its own base pointer into the padded image, ×
 * 8 output channels; every output pixel is the same offset from each base.
 */
static void filter_grad_padded(const Geometry *g, const float *x, const float *dy, int first, int last,
                               float *partial, float *scratch) {
  int ci = g->ci, co = g->co, wp = padded_width(g), rows = g->kh * g->kw * ci;
  int x_out_row = g->sh * wp * ci, x_col = g->sw * ci;
  for (int img = first; img < last; img++) {
    pad_image(g, x + img * g->h * g->w * ci, scratch, padded_height(g), wp);
    const float *d = dy + img * g->oh * g->ow * co;
    for (int i0 = 0; i0 < rows; i0 += 4) {
      int valid = imin(4, rows - i0);
      const float *b0 = scratch, *b1, *b2, *b3;
      int t = i0;
      b0 = scratch + ((t / (g->kw * ci)) * wp + (t / ci) % g->kw) * ci + t % ci;
      t = imin(i0 + 1, rows - 1);
      b1 = scratch + ((t / (g->kw * ci)) * wp + (t / ci) % g->kw) * ci + t % ci;
      t = imin(i0 + 2, rows - 1);
      b2 = scratch + ((t / (g->kw * ci)) * wp + (t / ci) % g->kw) * ci + t % ci;
      t = imin(i0 + 3, rows - 1);
      b3 = scratch + ((t / (g->kw * ci)) * wp + (t / ci) % g->kw) * ci + t % ci;
      for (int j0 = 0; j0 < co; j0 += 8) {
        float *out = partial + i0 * co + j0;
        v128_t c00 = wasm_v128_load(out), c01 = wasm_v128_load(out + 4);
        v128_t c10 = c00, c11 = c01, c20 = c00, c21 = c01, c30 = c00, c31 = c01;
        if (valid > 1) c10 = wasm_v128_load(out + co), c11 = wasm_v128_load(out + co + 4);
        if (valid > 2) c20 = wasm_v128_load(out + 2 * co), c21 = wasm_v128_load(out + 2 * co + 4);
        if (valid > 3) c30 = wasm_v128_load(out + 3 * co), c31 = wasm_v128_load(out + 3 * co + 4);
        const float *dp = d + j0;
        for (int oy = 0; oy < g->oh; oy++) {
          int off = oy * x_out_row;
          for (int ox = 0; ox < g->ow; ox++, off += x_col, dp += co)
            TILE_STEP(b0 + off, b1 + off, b2 + off, b3 + off, dp);
        }
        wasm_v128_store(out, c00);
        wasm_v128_store(out + 4, c01);
        if (valid > 1) wasm_v128_store(out + co, c10), wasm_v128_store(out + co + 4, c11);
        if (valid > 2) wasm_v128_store(out + 2 * co, c20), wasm_v128_store(out + 2 * co + 4, c21);
        if (valid > 3) wasm_v128_store(out + 3 * co, c30), wasm_v128_store(out + 3 * co + 4, c31);
      }
    }
  }
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
  if (g->ci % 4 == 0 && g->co % 8 == 0) {
    zero(partial, taps * g->co);
    filter_grad_direct(g, fptr(p, G), fptr(p, G + 1), first, last, partial);
    return;
  }
  if (g->co % 8 == 0) {
    zero(partial, taps * g->co);
    filter_grad_padded(g, fptr(p, G), fptr(p, G + 1), first, last, partial, scratch);
    return;
  }
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
