import CFlockKernels
import Foundation
import Synchronization

/// A fixed pool of worker threads that runs data-parallel loops for the kernels.
///
/// `parallelFor` splits work into chunks that the caller's thread and the workers take
/// from a shared counter, and returns when all are done. Only one loop runs on the pool
/// at a time: a loop started while another is running (from another thread, or nested
/// inside a chunk) runs inline on its caller's thread, so the pool can never deadlock.
/// The size comes from `FLOCK_NUM_THREADS`, else the number of cores.
///
/// Waking a sleeping thread costs tens of microseconds, as much as a whole small kernel,
/// so workers (and the waiting caller) spin for a few microseconds on an atomic before
/// sleeping on the condition variable: back-to-back ops then start without a wake-up.
public final class ThreadPool: @unchecked Sendable {
    /// The pool the kernels use.
    public static let shared = ThreadPool(threadCount: ThreadPool.defaultThreadCount)

    /// `FLOCK_NUM_THREADS` when set to a positive integer, else the active core count.
    public static var defaultThreadCount: Int {
        if let text = ProcessInfo.processInfo.environment["FLOCK_NUM_THREADS"],
            let value = Int(text), value > 0
        {
            return value
        }
        return max(1, ProcessInfo.processInfo.activeProcessorCount)
    }

    private let condition = NSCondition()
    private let loopLock = NSLock()
    private var workerCount = 0
    private var limit: Int
    // State of the running loop, guarded by `condition`.
    private var body: ((Int) -> Void)?
    private var chunkCount = 0
    private var nextChunk = 0
    private var finishedChunks = 0
    private var generation = 0
    // Mirrors of `generation` and `finishedChunks` for spinning without the lock.
    private let publishedGeneration = Atomic<Int>(0)
    private let finishedCount = Atomic<Int>(0)
    /// How long a thread spins before sleeping (OpenMP runtimes spin up to 200 ms; a
    /// short spin keeps the CPU cost of an idle pool small).
    private static let spinNanoseconds: UInt64 = 200_000

    /// Creates a pool that uses `threadCount` threads (the caller's included).
    public init(threadCount: Int) {
        limit = max(1, threadCount)
        spawnWorkers(upTo: limit - 1)
    }

    /// How many threads (the caller's included) a loop may use.
    public var threadCount: Int {
        condition.lock()
        defer { condition.unlock() }
        return limit
    }

    /// Sets how many threads a loop may use; starts workers when growing.
    public func setThreadCount(_ count: Int) {
        let count = max(1, count)
        condition.lock()
        limit = count
        condition.unlock()
        spawnWorkers(upTo: count - 1)
    }

    /// Runs `body(chunk)` for every chunk in `0..<chunks`, in parallel, and returns when
    /// all have finished. Chunks must be independent.
    public func parallelFor(chunks: Int, _ body: (Int) -> Void) {
        guard chunks > 0 else { return }
        guard chunks > 1, threadCount > 1, loopLock.try() else {
            let previous = flock_set_in_parallel_region(1)
            defer { flock_set_in_parallel_region(previous) }
            for chunk in 0..<chunks { body(chunk) }
            return
        }
        defer { loopLock.unlock() }
        withoutActuallyEscaping(body) { escapable in
            condition.lock()
            self.body = escapable
            chunkCount = chunks
            nextChunk = 0
            finishedChunks = 0
            finishedCount.store(0, ordering: .relaxed)
            generation &+= 1
            publishedGeneration.store(generation, ordering: .releasing)
            condition.broadcast()
            condition.unlock()
            runChunks()
            Self.spin { finishedCount.load(ordering: .acquiring) >= chunks }
            condition.lock()
            while finishedChunks < chunkCount { condition.wait() }
            self.body = nil
            condition.unlock()
        }
    }

    /// Takes chunks of the current loop until none is left.
    private func runChunks() {
        while runOneChunk() {
            condition.lock()
            finishedChunks += 1
            finishedCount.wrappingAdd(1, ordering: .releasing)
            if finishedChunks == chunkCount { condition.broadcast() }
            condition.unlock()
        }
    }

    /// Runs the next chunk, if any. The loop's closure is only referenced inside this
    /// function, so the reference is gone before the chunk is counted as finished (the
    /// caller's `withoutActuallyEscaping` traps if the closure outlives the loop).
    @inline(never)
    private func runOneChunk() -> Bool {
        condition.lock()
        guard let body, nextChunk < chunkCount else {
            condition.unlock()
            return false
        }
        let chunk = nextChunk
        nextChunk += 1
        condition.unlock()
        let previous = flock_set_in_parallel_region(1)
        body(chunk)
        flock_set_in_parallel_region(previous)
        return true
    }

    /// Spins until `done()` or `spinNanoseconds` pass, reading the clock every 64 pauses.
    private static func spin(until done: () -> Bool) {
        let deadline = DispatchTime.now().uptimeNanoseconds + spinNanoseconds
        while !done() {
            for _ in 0..<64 { flock_cpu_relax() }
            if DispatchTime.now().uptimeNanoseconds > deadline { return }
        }
    }

    private func spawnWorkers(upTo count: Int) {
        condition.lock()
        defer { condition.unlock() }
        while workerCount < count {
            let index = workerCount
            workerCount += 1
            // Workers hold the pool strongly: a pool lives as long as the process.
            let thread = Thread { self.workerLoop(index: index) }
            thread.name = "flock-worker-\(index)"
            thread.start()
        }
    }

    private func workerLoop(index: Int) {
        var seen = 0
        while true {
            Self.spin { publishedGeneration.load(ordering: .acquiring) != seen }
            condition.lock()
            while generation == seen { condition.wait() }
            seen = generation
            let participate = index < limit - 1
            condition.unlock()
            if participate { runChunks() }
        }
    }
}

/// Splits `0..<count` into at most `threads * 4` contiguous ranges of at least `grain`
/// elements and runs `body` on them in parallel on the shared pool; small counts run
/// inline on the caller's thread.
func parallelRanges(count: Int, grain: Int, _ body: (Range<Int>) -> Void) {
    let threads = ThreadPool.shared.threadCount
    guard count > grain, threads > 1 else {
        if count > 0 { body(0..<count) }
        return
    }
    let chunks = min(threads * 4, (count + grain - 1) / grain)
    let size = (count + chunks - 1) / chunks
    ThreadPool.shared.parallelFor(chunks: chunks) { chunk in
        let start = chunk * size
        let end = min(count, start + size)
        if start < end { body(start..<end) }
    }
}
