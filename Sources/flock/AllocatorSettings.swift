import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The glibc malloc settings `flock` and the workers it starts run with. FlockData makes
/// columns of tens of MiB one after another (q10: 10M groups); with glibc's defaults each
/// is a fresh mapping that the kernel zeroes and maps 4 KiB at a time on first touch, and
/// freed heap memory goes back to the kernel only to be faulted in again. perf put a third
/// of q10 in page faults. These settings put every block on the heap (`mmap_max=0`: none
/// mapped on its own, however large) and keep freed memory for reuse (trim threshold 1
/// GiB), back the heap with transparent huge pages (`hugetlb=1`: 2 MiB pages, 512 times
/// fewer faults), and keep one arena (`arena_max=1`): a thread's own arena lives in 64 MiB
/// heaps that glibc unmaps when they empty, so a column of 20 MiB made on a pool thread was
/// fresh, zeroed memory every query. Measured (BENCHMARKS.md): q10 2.4 -> 1.5-1.9 s and q8
/// 0.42 -> 0.24 s (session 14); one arena then took the in-process group-by total 2.0 ->
/// 1.5 s and the cluster's 3.3 -> 3.1 s (session 15); no block mapped on its own took the
/// cluster's q10 1.11 -> 0.89 s, the driver's copy of its 520 MiB answer 70-540 -> 68 ms
/// (session 16). What a process keeps it gives back when idle (`IdleMemoryRelease`).
/// glibc reads the settings only when a process starts, so `flock` starts itself again
/// with them set. A program of your own that embeds FlockData gets the same by starting
/// with `GLIBC_TUNABLES` set to `tunables`.
enum AllocatorSettings {
    /// The settings, as `GLIBC_TUNABLES` takes them.
    static let tunables =
        "glibc.malloc.hugetlb=1:glibc.malloc.mmap_max=0:glibc.malloc.trim_threshold=1073741824"
        + ":glibc.malloc.arena_max=1"

    /// Runs this program again, same arguments, with `tunables` in the environment, unless
    /// `GLIBC_TUNABLES` is set already (then the caller chose; the restarted process sees it
    /// set and goes on) or `FLOCK_SYSTEM_MALLOC=1` asks for glibc's defaults. Returns only
    /// when it does not restart (or cannot: then it goes on with the defaults).
    static func restartIfNeeded() {
        #if os(Linux)
            let environment = ProcessInfo.processInfo.environment
            guard environment["GLIBC_TUNABLES"] == nil, environment["FLOCK_SYSTEM_MALLOC"] != "1" else { return }
            setenv("GLIBC_TUNABLES", tunables, 1)
            execv("/proc/self/exe", CommandLine.unsafeArgv)
            unsetenv("GLIBC_TUNABLES")  // execv failed: go on as started.
        #endif
    }
}
