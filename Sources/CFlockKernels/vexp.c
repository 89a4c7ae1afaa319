// Vectorised exp for float32, one loop body compiled per CPU level.
//
// exp(x) = 2^n * exp(r) with n = round(x / ln 2) and |r| <= ln(2)/2; exp(r) by a degree-6
// polynomial (Cephes' coefficients); 2^n is applied in two halves so that results in the
// subnormal range are still right. Inputs above ~88.72 give +inf, NaN stays NaN.
#include "CFlockKernels.h"
#include <stdint.h>
#include <string.h>

#define VEXP_BODY                                                                      \
    for (long i = 0; i < n; i++) {                                                     \
        float v = x[i];                                                                \
        float xc = v < -104.0f ? -104.0f : (v > 88.8f ? 88.8f : (v == v ? v : 0.0f));     \
        float t = xc * 1.44269504088896341f + 12582912.0f;                             \
        float fn = t - 12582912.0f;                                                    \
        int32_t ni = (int32_t)fn;                                                      \
        float r = xc - fn * 0.693359375f;                                              \
        r = r - fn * -2.12194440e-4f;                                                  \
        float p = 1.9875691500e-4f;                                                    \
        p = p * r + 1.3981999507e-3f;                                                  \
        p = p * r + 8.3334519073e-3f;                                                  \
        p = p * r + 4.1665795894e-2f;                                                  \
        p = p * r + 1.6666665459e-1f;                                                  \
        p = p * r + 5.0000001201e-1f;                                                  \
        p = p * r * r + r + 1.0f;                                                      \
        int32_t n1 = ni >> 1;                                                          \
        int32_t n2 = ni - n1;                                                          \
        union { int32_t i; float f; } s1, s2;                                          \
        s1.i = (n1 + 127) << 23;                                                       \
        s2.i = (n2 + 127) << 23;                                                       \
        float result = p * s1.f * s2.f;                                                \
        result = v > 88.72283935546875f ? __builtin_inff() : result;                  \
        y[i] = v == v ? result : v;                                                    \
    }

static void vexp_generic(const float *x, float *y, long n) { VEXP_BODY }

#if defined(__x86_64__)
__attribute__((target("avx2,fma"))) static void vexp_avx2(const float *x, float *y, long n) {
    VEXP_BODY
}
__attribute__((target("avx512f,avx512vl,avx2,fma"))) static void vexp_avx512(const float *x,
                                                                             float *y, long n) {
    VEXP_BODY
}
#endif

void flock_vexp_f32(const float *x, float *y, long n) {
#if defined(__x86_64__)
    int level = flock_cpu_level();
    if (level >= FLOCK_CPU_AVX512) {
        vexp_avx512(x, y, n);
        return;
    }
    if (level >= FLOCK_CPU_AVX2) {
        vexp_avx2(x, y, n);
        return;
    }
#endif
    vexp_generic(x, y, n);
}
