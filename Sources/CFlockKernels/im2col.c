// im2col and col2im for float32, compiled per CPU level like the other kernels (the rows
// are short, so wide vector copies and tight loops matter more than anything clever).
// Layouts are those of FlockTensor's generic Swift versions: cols[(c*KH + i)*KW + j] is a
// row of OH*OW values, rows `row_stride` apart; the image is contiguous [C, H, W].
#include "CFlockKernels.h"

typedef struct {
    long height, width, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow;
} geometry;

// Output columns [first, end) whose tap at kernel column j lands inside the image.
static inline void valid_columns(const geometry *g, long j, long *first, long *end) {
    long offset = g->pw - j * g->dw;  // x = ox * sw - offset
    long lo = offset > 0 ? (offset + g->sw - 1) / g->sw : 0;
    long hi_num = g->width + offset;
    long hi = hi_num > 0 ? (hi_num + g->sw - 1) / g->sw : 0;
    if (lo > g->ow) lo = g->ow;
    if (hi > g->ow) hi = g->ow;
    if (hi < lo) hi = lo;
    *first = lo;
    *end = hi;
}

#define IM2COL_BODY                                                                     \
    float *row = cols;                                                                  \
    for (long c = 0; c < channels; c++) {                                               \
        const float *plane = image + c * g->height * g->width;                          \
        for (long i = 0; i < g->kh; i++) {                                              \
            for (long j = 0; j < g->kw; j++) {                                          \
                long first, end;                                                        \
                valid_columns(g, j, &first, &end);                                      \
                long shift = j * g->dw - g->pw;                                         \
                if (g->sw == 1 && g->sh == 1 && g->ow == g->width && first < end) {     \
                    /* Rows of the output and of the image line up: one block copy  */  \
                    /* of all valid rows, then the edge columns are zeroed.          */  \
                    long oy0 = g->ph - i * g->dh; if (oy0 < 0) oy0 = 0;                 \
                    long oy1 = g->height + g->ph - i * g->dh; if (oy1 > g->oh) oy1 = g->oh; \
                    if (oy1 <= oy0) { for (long n = 0; n < g->oh * g->ow; n++) row[n] = 0.0f; } \
                    else {                                                              \
                        for (long n = 0; n < oy0 * g->ow + first; n++) row[n] = 0.0f;   \
                        const float *src = plane + (oy0 - g->ph + i * g->dh) * g->width + shift; \
                        for (long n = oy0 * g->ow + first; n < (oy1 - 1) * g->ow + end; n++) \
                            row[n] = src[n - oy0 * g->ow];                              \
                        for (long oy = oy0; oy < oy1; oy++) {                           \
                            for (long ox = 0; ox < first; ox++) row[oy * g->ow + ox] = 0.0f; \
                            for (long ox = end; ox < g->ow; ox++) row[oy * g->ow + ox] = 0.0f; \
                        }                                                               \
                        for (long n = (oy1 - 1) * g->ow + end; n < g->oh * g->ow; n++) row[n] = 0.0f; \
                    }                                                                   \
                    row += row_stride;                                                  \
                    continue;                                                           \
                }                                                                       \
                for (long oy = 0; oy < g->oh; oy++) {                                   \
                    long y = oy * g->sh - g->ph + i * g->dh;                            \
                    float *out = row + oy * g->ow;                                      \
                    if (y < 0 || y >= g->height || first >= end) {                      \
                        for (long ox = 0; ox < g->ow; ox++) out[ox] = 0.0f;             \
                        continue;                                                       \
                    }                                                                   \
                    const float *line = plane + y * g->width + shift;                   \
                    for (long ox = 0; ox < first; ox++) out[ox] = 0.0f;                 \
                    if (g->sw == 1) {                                                   \
                        for (long ox = first; ox < end; ox++) out[ox] = line[ox];       \
                    } else {                                                            \
                        for (long ox = first; ox < end; ox++) out[ox] = line[ox * g->sw]; \
                    }                                                                   \
                    for (long ox = end; ox < g->ow; ox++) out[ox] = 0.0f;               \
                }                                                                       \
                row += row_stride;                                                      \
            }                                                                           \
        }                                                                               \
    }

#define COL2IM_BODY                                                                     \
    for (long n = 0; n < channels * g->height * g->width; n++) image[n] = 0.0f;         \
    const float *row = cols;                                                            \
    for (long c = 0; c < channels; c++) {                                               \
        float *plane = image + c * g->height * g->width;                                \
        for (long i = 0; i < g->kh; i++) {                                              \
            for (long j = 0; j < g->kw; j++) {                                          \
                long first, end;                                                        \
                valid_columns(g, j, &first, &end);                                      \
                long shift = j * g->dw - g->pw;                                         \
                for (long oy = 0; oy < g->oh && first < end; oy++) {                    \
                    long y = oy * g->sh - g->ph + i * g->dh;                            \
                    if (y < 0 || y >= g->height) continue;                              \
                    float *line = plane + y * g->width + shift;                         \
                    const float *source = row + oy * g->ow;                             \
                    if (g->sw == 1) {                                                   \
                        for (long ox = first; ox < end; ox++) line[ox] += source[ox];   \
                    } else {                                                            \
                        for (long ox = first; ox < end; ox++) line[ox * g->sw] += source[ox]; \
                    }                                                                   \
                }                                                                       \
                row += g->oh * g->ow;                                                   \
            }                                                                           \
        }                                                                               \
    }

static void im2col_generic(const float *image, long channels, const geometry *g, float *cols, long row_stride) { IM2COL_BODY }
static void col2im_generic(const float *cols, long channels, const geometry *g, float *image) { COL2IM_BODY }
#if defined(__x86_64__)
__attribute__((target("avx2,fma"))) static void im2col_avx2(const float *image, long channels, const geometry *g, float *cols, long row_stride) { IM2COL_BODY }
__attribute__((target("avx2,fma"))) static void col2im_avx2(const float *cols, long channels, const geometry *g, float *image) { COL2IM_BODY }
__attribute__((target("avx512f,avx512vl,avx2,fma"))) static void im2col_avx512(const float *image, long channels, const geometry *g, float *cols, long row_stride) { IM2COL_BODY }
__attribute__((target("avx512f,avx512vl,avx2,fma"))) static void col2im_avx512(const float *cols, long channels, const geometry *g, float *image) { COL2IM_BODY }
#endif

static geometry make_geometry(const long *w) {
    geometry g = {w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7], w[8], w[9], w[10], w[11]};
    return g;
}

void flock_im2col_f32(const float *image, long channels, const long *window, float *cols, long row_stride) {
    geometry g = make_geometry(window);
#if defined(__x86_64__)
    int level = flock_cpu_level();
    if (level >= FLOCK_CPU_AVX512) { im2col_avx512(image, channels, &g, cols, row_stride); return; }
    if (level >= FLOCK_CPU_AVX2) { im2col_avx2(image, channels, &g, cols, row_stride); return; }
#endif
    im2col_generic(image, channels, &g, cols, row_stride);
}

void flock_col2im_f32(const float *cols, long channels, const long *window, float *image) {
    geometry g = make_geometry(window);
#if defined(__x86_64__)
    int level = flock_cpu_level();
    if (level >= FLOCK_CPU_AVX512) { col2im_avx512(cols, channels, &g, image); return; }
    if (level >= FLOCK_CPU_AVX2) { col2im_avx2(cols, channels, &g, image); return; }
#endif
    col2im_generic(cols, channels, &g, image);
}
