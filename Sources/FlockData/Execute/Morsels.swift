import FlockTensor

/// The rows of one input split into batches (morsels) that threads take one at a time,
/// with each morsel's first row in the whole input, so per-row results of all morsels can
/// live in one flat array.
struct Morsels {
    /// The batches, in input order.
    let batches: [RecordBatch]
    /// Where each batch starts in the whole input; one more entry holds the total.
    let starts: [Int]

    init(_ batches: [RecordBatch]) {
        self.batches = batches
        var starts = [0]
        for batch in batches { starts.append(starts[starts.count - 1] + batch.rowCount) }
        self.starts = starts
    }

    /// Rows in all morsels.
    var rowCount: Int { starts[starts.count - 1] }

    /// The rows of morsel `index` in the whole input.
    func range(_ index: Int) -> Range<Int> { starts[index]..<starts[index + 1] }

    /// The morsel holding global row `row`, and the row within it.
    func locate(_ row: Int) -> (morsel: Int, row: Int) {
        var (low, high) = (0, batches.count - 1)
        while low < high {
            let middle = (low + high + 1) / 2
            if starts[middle] <= row { low = middle } else { high = middle - 1 }
        }
        return (low, row - starts[low])
    }

    /// Runs `body(morsel)` for every morsel on the thread pool.
    func parallel(_ body: (Int) -> Void) {
        ThreadPool.shared.parallelFor(chunks: batches.count, body)
    }

    /// `body(morsel)` for every morsel on the thread pool, results in morsel order.
    func parallelMap<T>(_ body: (Int) throws -> T) throws -> [T] {
        try Parallel.map(batches.count, body)
    }
}

/// Parallel loops over independent items on Flock's thread pool.
enum Parallel {
    /// `body(i)` for i in 0..<count, run on the pool, results in order; the first error
    /// thrown (by index) is rethrown.
    static func map<T>(_ count: Int, _ body: (Int) throws -> T) throws -> [T] {
        let results = UnsafeMutablePointer<Result<T, Error>?>.allocate(capacity: count)
        results.initialize(repeating: nil, count: count)
        defer {
            results.deinitialize(count: count)
            results.deallocate()
        }
        ThreadPool.shared.parallelFor(chunks: count) { i in results[i] = Result { try body(i) } }
        // Invariant: parallelFor ran every index.
        return try (0..<count).map { try results[$0]!.get() }
    }

    /// `body(i)` for i in 0..<count on the pool.
    static func forEach(_ count: Int, _ body: (Int) -> Void) {
        ThreadPool.shared.parallelFor(chunks: count, body)
    }
}
