// Packed, cache-blocked SGEMM (the BLIS/Goto loop structure) around per-level micro-kernels.
//
// Loops: jc over NC-column blocks of B, pc over KC-deep slices, ic over MC-row blocks of A;
// B's KC x NC block is packed into NR-wide panels, A's MC x KC block into MR-high panels,
// then the micro-kernel computes each MR x NR tile of C from one A panel and one B panel.
// Threads are added by the caller (FlockTensor), which splits C into independent parts.
#include "CFlockKernels.h"
#include <stdlib.h>
#include <string.h>

#define FLOCK_MR 6
#define FK_CAT2(a, b) a##b
#define FK_CAT(a, b) FK_CAT2(a, b)

enum { KC = 256, MC = 120, NC = 2048 };

#define FK_NAME kernel_generic
#define FD_NAME dots_generic
#define FK_ATTR
#define FK_VW 4
#include "sgemm_microkernel.inc"
#include "sgemm_dots.inc"
#undef FK_NAME
#undef FD_NAME
#undef FK_ATTR
#undef FK_VW

#if defined(__x86_64__)
#define FK_NAME kernel_avx2
#define FD_NAME dots_avx2
#define FK_ATTR __attribute__((target("avx2,fma")))
#define FK_VW 8
#include "sgemm_microkernel.inc"
#include "sgemm_dots.inc"
#undef FK_NAME
#undef FD_NAME
#undef FK_ATTR
#undef FK_VW

#define FK_NAME kernel_avx512
#define FD_NAME dots_avx512
#define FK_ATTR __attribute__((target("avx512f,avx512vl,avx2,fma")))
#define FK_VW 16
#include "sgemm_microkernel.inc"
#include "sgemm_dots.inc"
#undef FK_NAME
#undef FD_NAME
#undef FK_ATTR
#undef FK_VW
#endif

typedef void (*micro_kernel)(long, const float *, const float *, long, float *, long, long, long,
                             float, int);
typedef void (*dots_kernel)(long, long, long, float, const float *, long, const float *, long, float *, long, int);

// Whether C = A * B is better computed as dot products of rows (sgemm_dots.inc): A's rows
// and B's columns contiguous, k long, and C small enough that packing (which transposes
// both operands) could not be amortised over many tiles.
static int prefers_dots(long m, long n, long k, long acs, long brs) {
    return acs == 1 && brs == 1 && k >= 256 && m <= 64 && n <= 256 && k >= 4 * (m > n ? m : n);
}

// Packs rows [0, mc) x columns [0, kc) of A into MR-high panels, zero-padding the last.
static void pack_a(long mc, long kc, const float *a, long rs, long cs, float *out) {
    for (long i0 = 0; i0 < mc; i0 += FLOCK_MR) {
        long rows = mc - i0 < FLOCK_MR ? mc - i0 : FLOCK_MR;
        const float *src = a + i0 * rs;
        if (cs == 1 && rows == FLOCK_MR) {
            for (long p = 0; p < kc; p++)
                for (long i = 0; i < FLOCK_MR; i++) out[p * FLOCK_MR + i] = src[i * rs + p];
        } else {
            for (long p = 0; p < kc; p++)
                for (long i = 0; i < FLOCK_MR; i++)
                    out[p * FLOCK_MR + i] = i < rows ? src[i * rs + p * cs] : 0.0f;
        }
        out += kc * FLOCK_MR;
    }
}

// Packs rows [0, kc) x columns [0, nc) of B into nr-wide panels, zero-padding the last.
static void pack_b(long kc, long nc, long nr, const float *b, long rs, long cs, float *out) {
    for (long j0 = 0; j0 < nc; j0 += nr) {
        long cols = nc - j0 < nr ? nc - j0 : nr;
        const float *src = b + j0 * cs;
        for (long p = 0; p < kc; p++) {
            float *dst = out + p * nr;
            if (cs == 1) {
                // A plain loop, not memcpy: rows are only nr floats, where a call costs more
                // than the copy; the compiler vectorises this.
                const float *row = src + p * rs;
                for (long j = 0; j < cols; j++) dst[j] = row[j];
            } else {
                for (long j = 0; j < cols; j++) dst[j] = src[p * rs + j * cs];
            }
            for (long j = cols; j < nr; j++) dst[j] = 0.0f;
        }
        out += kc * nr;
    }
}

static void scale_c(long m, long n, float beta, float *c, long ldc) {
    for (long i = 0; i < m; i++) {
        float *row = c + i * ldc;
        if (beta == 0.0f) {
            memset(row, 0, (size_t)n * sizeof(float));
        } else {
            for (long j = 0; j < n; j++) row[j] *= beta;
        }
    }
}

void flock_sgemm(long m, long n, long k, float alpha,
                 const float *a, long ars, long acs,
                 const float *b, long brs, long bcs,
                 float beta, float *c, long ldc) {
    if (m <= 0 || n <= 0) return;
    if (k <= 0 || alpha == 0.0f) {
        if (beta != 1.0f) scale_c(m, n, beta, c, ldc);
        return;
    }
    micro_kernel kernel = kernel_generic;
    dots_kernel dots = dots_generic;
    long nr = 8;
#if defined(__x86_64__)
    int level = flock_cpu_level();
    if (level >= FLOCK_CPU_AVX512) {
        kernel = kernel_avx512;
        dots = dots_avx512;
        nr = 32;
    } else if (level >= FLOCK_CPU_AVX2) {
        kernel = kernel_avx2;
        dots = dots_avx2;
        nr = 16;
    }
#endif
    // beta == 0: the first k-slice overwrites C (never reading it, so NaNs in C vanish).
    int overwrite_first = beta == 0.0f;
    if (!overwrite_first && beta != 1.0f) scale_c(m, n, beta, c, ldc);
    if (prefers_dots(m, n, k, acs, brs)) {
        dots(m, n, k, alpha, a, ars, b, bcs, c, ldc, !overwrite_first);
        return;
    }

    long nc_max = n < NC ? n : NC;
    long mc_max = m < MC ? m : MC;
    float *packed_b = NULL, *packed_a = NULL;
    size_t b_bytes = (size_t)KC * (size_t)((nc_max + nr - 1) / nr * nr) * sizeof(float);
    size_t a_bytes = (size_t)KC * (size_t)((mc_max + FLOCK_MR - 1) / FLOCK_MR * FLOCK_MR) * sizeof(float);
    if (posix_memalign((void **)&packed_b, 64, b_bytes) != 0) return;
    if (posix_memalign((void **)&packed_a, 64, a_bytes) != 0) {
        free(packed_b);
        return;
    }
    for (long jc = 0; jc < n; jc += NC) {
        long nc = n - jc < NC ? n - jc : NC;
        for (long pc = 0; pc < k; pc += KC) {
            long kc = k - pc < KC ? k - pc : KC;
            int accumulate = !(overwrite_first && pc == 0);
            // With few rows of A each B panel is used only once or twice, so packing it
            // would cost as much as the product: full-width panels are read in place
            // (rows must be contiguous); only the ragged last panel is packed.
            int direct_b = bcs == 1 && m <= 4 * FLOCK_MR;
            long packed_from = direct_b ? nc / nr * nr : 0;
            if (packed_from < nc)
                pack_b(kc, nc - packed_from, nr, b + pc * brs + (jc + packed_from) * bcs, brs, bcs, packed_b + packed_from * kc);
            for (long ic = 0; ic < m; ic += MC) {
                long mc = m - ic < MC ? m - ic : MC;
                pack_a(mc, kc, a + ic * ars + pc * acs, ars, acs, packed_a);
                for (long jr = 0; jr < nc; jr += nr) {
                    long cols = nc - jr < nr ? nc - jr : nr;
                    int in_place = jr < packed_from;
                    const float *bp = in_place ? b + pc * brs + jc + jr : packed_b + jr * kc;
                    long ldb = in_place ? brs : nr;
                    for (long ir = 0; ir < mc; ir += FLOCK_MR) {
                        long rows = mc - ir < FLOCK_MR ? mc - ir : FLOCK_MR;
                        kernel(kc, packed_a + ir * kc, bp, ldb, c + (ic + ir) * ldc + jc + jr, ldc,
                               rows, cols, alpha, accumulate);
                    }
                }
            }
        }
    }
    free(packed_a);
    free(packed_b);
}
