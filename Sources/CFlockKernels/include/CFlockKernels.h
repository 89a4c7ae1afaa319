// CFlockKernels: the few hot loops of FlockTensor that need the CPU's widest vector unit.
//
// Swift cannot compile one function for several CPU levels, so these kernels are written
// in C with per-function target attributes (generic x86-64, AVX2+FMA, AVX-512) and the
// level is chosen once at run time from the CPU's feature bits. A binary built with the
// default target therefore runs on any x86-64 and still uses AVX-512 where present.
#ifndef CFLOCK_KERNELS_H
#define CFLOCK_KERNELS_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Vector levels, in increasing order of capability.
enum {
    FLOCK_CPU_GENERIC = 0,  ///< baseline (SSE2 on x86-64, NEON on arm64)
    FLOCK_CPU_AVX2 = 1,     ///< AVX2 + FMA
    FLOCK_CPU_AVX512 = 2,   ///< AVX-512 F/VL
};

/// The widest vector level this CPU supports (detected once).
int flock_cpu_level_detected(void);

/// The level the kernels use: the detected one, or a lower one set with flock_set_cpu_level.
int flock_cpu_level(void);

/// Caps the level the kernels use (for tests and benchmarks); values above the detected
/// level are clamped to it. Returns the level now in force.
int flock_set_cpu_level(int level);

/// Single-threaded C = alpha * A * B + beta * C for row-major C (row stride ldc, column
/// stride 1). A (m x k) and B (k x n) are read through arbitrary element strides, so
/// transposed and sliced views need no copy. With beta == 0, C is not read.
void flock_sgemm(long m, long n, long k, float alpha,
                 const float *a, long a_row_stride, long a_col_stride,
                 const float *b, long b_row_stride, long b_col_stride,
                 float beta, float *c, long ldc);

/// y[i] = exp(x[i]) for n contiguous floats (max error about 2 ulp); x and y may alias.
void flock_vexp_f32(const float *x, float *y, long n);

/// im2col for float32: unfolds a contiguous [channels, H, W] image into rows of OH*OW
/// columns, `row_stride` apart. `window` holds H, W, KH, KW, stride (2), padding (2),
/// dilation (2), OH, OW: twelve values.
void flock_im2col_f32(const float *image, long channels, const long *window, float *cols, long row_stride);

/// col2im for float32: the adjoint of flock_im2col_f32 (rows OH*OW apart); overwrites
/// the image with the sum of the column values that came from each pixel.
void flock_col2im_f32(const float *cols, long channels, const long *window, float *image);

/// 2x2 max pooling with stride 2 and no padding over `planes` contiguous H x W float32
/// planes: writes each window's maximum (NaN propagates; the first largest wins) to `out`
/// and its in-plane offset y * W + x to `indices`, both [planes, H/2, W/2].
void flock_maxpool_2x2_f32(const float *x, long planes, long height, long width, float *out, int *indices);

/// Whether the calling thread is running a chunk of a ThreadPool loop (a thread-local
/// flag): code there must not call into a BLAS that is unsafe for concurrent callers.
int flock_in_parallel_region(void);

/// Sets the calling thread's parallel-region flag; returns the previous value.
int flock_set_in_parallel_region(int value);

/// A spin-wait hint to the CPU (x86 `pause`, arm64 `yield`), for the thread pool's
/// short spins before sleeping.
void flock_cpu_relax(void);

#ifdef __cplusplus
}
#endif

#endif
