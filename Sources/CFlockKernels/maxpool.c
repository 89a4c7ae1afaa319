// 2x2, stride-2 max pooling for float32 (LeNet's and most CNNs' pooling), compiled per
// CPU level like the other kernels. Branch-free selects: data-dependent branches
// mispredict about half the time on real activations.
#include "CFlockKernels.h"

// Takes `value` (at in-plane offset `offset`) when it beats the best so far: larger, or
// NaN when the best is not (the first NaN wins, as in PyTorch).
#define TAKE(value, offset)                                                        \
    {                                                                              \
        float candidate = (value);                                                 \
        int take = (candidate > best) | ((candidate != candidate) & (best == best)); \
        best = take ? candidate : best;                                            \
        at = take ? (offset) : at;                                                 \
    }

#define MAXPOOL_2X2_BODY                                                           \
    long oh = height / 2, ow = width / 2;                                          \
    for (long p = 0; p < planes; p++) {                                            \
        const float *plane = x + p * height * width;                               \
        for (long oy = 0; oy < oh; oy++) {                                         \
            const float *top = plane + 2 * oy * width, *bottom = top + width;      \
            float *out_row = out + (p * oh + oy) * ow;                             \
            int *index_row = indices + (p * oh + oy) * ow;                         \
            int row_offset = (int)(2 * oy * width);                                \
            for (long ox = 0; ox < ow; ox++) {                                     \
                float best = top[2 * ox];                                          \
                int at = row_offset + (int)(2 * ox);                               \
                TAKE(top[2 * ox + 1], row_offset + (int)(2 * ox + 1))             \
                TAKE(bottom[2 * ox], row_offset + (int)(width + 2 * ox))           \
                TAKE(bottom[2 * ox + 1], row_offset + (int)(width + 2 * ox + 1))   \
                out_row[ox] = best;                                                \
                index_row[ox] = at;                                                \
            }                                                                      \
        }                                                                          \
    }

static void maxpool_2x2_generic(const float *x, long planes, long height, long width, float *out, int *indices) {
    MAXPOOL_2X2_BODY
}
#if defined(__x86_64__)
__attribute__((target("avx2,fma"))) static void maxpool_2x2_avx2(
    const float *x, long planes, long height, long width, float *out, int *indices) {
    MAXPOOL_2X2_BODY
}
__attribute__((target("avx512f,avx512vl,avx2,fma"))) static void maxpool_2x2_avx512(
    const float *x, long planes, long height, long width, float *out, int *indices) {
    MAXPOOL_2X2_BODY
}
#endif

void flock_maxpool_2x2_f32(const float *x, long planes, long height, long width, float *out, int *indices) {
#if defined(__x86_64__)
    int level = flock_cpu_level();
    if (level >= FLOCK_CPU_AVX512) { maxpool_2x2_avx512(x, planes, height, width, out, indices); return; }
    if (level >= FLOCK_CPU_AVX2) { maxpool_2x2_avx2(x, planes, height, width, out, indices); return; }
#endif
    maxpool_2x2_generic(x, planes, height, width, out, indices);
}
