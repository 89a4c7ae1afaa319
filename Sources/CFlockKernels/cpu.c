// Run-time CPU level detection for the kernels' dispatch.
#include "CFlockKernels.h"

static int detected_level = -1;
static int active_level = -1;

int flock_cpu_level_detected(void) {
    if (detected_level < 0) {
        int level = FLOCK_CPU_GENERIC;
#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
        __builtin_cpu_init();
        if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) level = FLOCK_CPU_AVX2;
        if (level == FLOCK_CPU_AVX2 && __builtin_cpu_supports("avx512f") &&
            __builtin_cpu_supports("avx512vl"))
            level = FLOCK_CPU_AVX512;
#endif
        detected_level = level;  // idempotent: racing first calls write the same value
    }
    return detected_level;
}

int flock_cpu_level(void) {
    if (active_level < 0) active_level = flock_cpu_level_detected();
    return active_level;
}

int flock_set_cpu_level(int level) {
    int detected = flock_cpu_level_detected();
    if (level < FLOCK_CPU_GENERIC) level = FLOCK_CPU_GENERIC;
    active_level = level > detected ? detected : level;
    return active_level;
}

void flock_cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

static _Thread_local int in_parallel_region = 0;

int flock_in_parallel_region(void) { return in_parallel_region; }

int flock_set_in_parallel_region(int value) {
    int previous = in_parallel_region;
    in_parallel_region = value;
    return previous;
}
