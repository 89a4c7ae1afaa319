import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Gives the heap's free memory back to the kernel once the process has sat idle, because
/// `AllocatorSettings` keeps all of it otherwise: with every block on the heap (none
/// mapped on its own) and a 1 GiB trim threshold, memory that a large query freed stays in
/// the process for the next one, which is what makes the next one fast (no page zeroing),
/// and would also stay in a worker that has nothing left to do. Every `interval` seconds
/// a thread reads the process's CPU time; after an interval in which the process used
/// under 1% of one core, and when it has been busy since it last did so, it calls glibc's
/// `malloc_trim(0)`, which returns every free page of the heap (jemalloc's and mimalloc's
/// decay do the same by time). A process that works steadily is never trimmed.
enum IdleMemoryRelease {
    /// Starts the watching thread (Linux only; once per process), every
    /// `FLOCK_IDLE_RELEASE_SECONDS` (default 5; 0 turns it off).
    static func start() {
        #if os(Linux)
            let setting = ProcessInfo.processInfo.environment["FLOCK_IDLE_RELEASE_SECONDS"]
            let interval = setting.flatMap(Double.init) ?? 5
            guard interval > 0, let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_trim") else {
                return
            }
            typealias Trim = @convention(c) (Int) -> Int32
            let trim = unsafeBitCast(symbol, to: Trim.self)
            let thread = Thread {
                var busySinceTrim = false
                var last = processCPUSeconds()
                while true {
                    Thread.sleep(forTimeInterval: interval)
                    let now = processCPUSeconds()
                    if now - last < 0.01 * interval {
                        if busySinceTrim { _ = trim(0) }
                        busySinceTrim = false
                    } else {
                        busySinceTrim = true
                    }
                    last = now
                }
            }
            thread.name = "flock idle memory release"
            thread.start()
        #endif
    }

    /// CPU seconds this process has used, all threads together.
    private static func processCPUSeconds() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }
}
