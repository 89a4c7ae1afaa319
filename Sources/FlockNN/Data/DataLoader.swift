import FlockTensor
import Foundation

/// A source of samples that `DataLoader` batches: anything that can say how many samples
/// it has and assemble the samples at given positions into a batch (from memory, from
/// files, or generated on the fly).
public protocol Dataset: Sendable {
    /// The number of samples.
    var count: Int { get }
    /// The samples at `indices` (1-D int64) as batched features and labels.
    func batch(_ indices: Tensor) throws -> (features: Tensor, labels: Tensor)
}

/// Features and labels with one row per sample, indexable by sample.
public struct TensorDataset: Dataset {
    /// [N, ...] sample features.
    public let features: Tensor
    /// [N] labels (or [N, ...] targets).
    public let labels: Tensor

    /// Pairs features and labels.
    /// - Throws: when their first dimensions differ.
    public init(features: Tensor, labels: Tensor) throws {
        guard features.rank >= 1, labels.rank >= 1, features.shape[0] == labels.shape[0] else {
            throw ModuleError.invalidInput(
                module: "TensorDataset",
                reason: "features \(features.shape) and labels \(labels.shape) need the same first dimension")
        }
        self.features = features
        self.labels = labels
    }

    /// The number of samples.
    public var count: Int { features.shape[0] }

    /// The samples at `indices` (int64), as contiguous tensors.
    public func batch(_ indices: Tensor) throws -> (features: Tensor, labels: Tensor) {
        (try features.indexSelect(axis: 0, indices: indices), try labels.indexSelect(axis: 0, indices: indices))
    }

    /// Splits into two datasets by a seeded shuffle: the first `fraction` of a random
    /// permutation, and the rest.
    public func split(fraction: Double, seed: UInt64) throws -> (TensorDataset, TensorDataset) {
        var generator = RandomGenerator(seed: seed)
        let order = try Tensor.permutation(count, generator: &generator)
        let cut = Int((Double(count) * fraction).rounded())
        let parts = try order.split(sizes: [cut, count - cut])
        let (a, b) = (try batch(parts[0]), try batch(parts[1]))
        return (
            try TensorDataset(features: a.features, labels: a.labels),
            try TensorDataset(features: b.features, labels: b.labels)
        )
    }
}

/// Iterates a dataset in batches: seeded shuffling (a new order every epoch, the same
/// for the same seed and epoch on every machine), an optional short last batch, and a
/// background thread that prepares the next batches while the current one is used.
public struct DataLoader<Data: Dataset>: Sequence {
    /// The dataset.
    public let dataset: Data
    /// Samples per batch.
    public let batchSize: Int
    /// Whether each epoch visits samples in a new random order.
    public let shuffle: Bool
    /// Seed of the shuffles.
    public let seed: UInt64
    /// Whether to skip a final batch smaller than `batchSize`.
    public let dropLast: Bool
    /// How many batches the background thread prepares ahead (0: none, no thread).
    public let prefetch: Int
    /// The epoch whose order the next iteration uses (set it at the start of each epoch).
    public var epoch = 0

    /// Creates a loader.
    /// - Throws: when `batchSize` is not positive.
    public init(
        _ dataset: Data, batchSize: Int, shuffle: Bool = true, seed: UInt64 = 0, dropLast: Bool = false,
        prefetch: Int = 2
    ) throws {
        guard batchSize > 0 else {
            throw ModuleError.invalidInput(
                module: "DataLoader", reason: "batch size must be positive, got \(batchSize)")
        }
        self.dataset = dataset
        self.batchSize = batchSize
        self.shuffle = shuffle
        self.seed = seed
        self.dropLast = dropLast
        self.prefetch = Swift.max(0, prefetch)
    }

    /// Batches per epoch.
    public var batchCount: Int {
        dropLast ? dataset.count / batchSize : (dataset.count + batchSize - 1) / batchSize
    }

    /// The sample order of `epoch`: a permutation from (seed, epoch), or 0..<N.
    public func order(epoch: Int) -> Tensor {
        guard shuffle else {
            // Invariant: arange over a non-negative count cannot fail.
            return try! Tensor.arange(0, Double(dataset.count))
        }
        var generator = RandomGenerator(seed: seed, stream: UInt64(epoch))
        // Invariant: the count is non-negative.
        return try! Tensor.permutation(dataset.count, generator: &generator)
    }

    /// Runs `body` on every batch of the current epoch, rethrowing the first error of the
    /// dataset or of `body`: the way to iterate a dataset whose `batch` can fail (a plain
    /// `for` loop cannot throw, so it ends early and leaves the error in the iterator).
    public func forEachBatch(_ body: (_ features: Tensor, _ labels: Tensor) throws -> Void) throws {
        let iterator = makeIterator()
        while let batch = iterator.next() { try body(batch.features, batch.labels) }
        if let error = iterator.error { throw error }
    }

    /// The batches of the current epoch.
    public func makeIterator() -> BatchIterator {
        let order = self.order(epoch: epoch)
        let dataset = self.dataset
        let batchSize = self.batchSize
        let count = batchCount
        let make: @Sendable (Int) -> BatchResult = { index in
            let start = index * batchSize
            let end = Swift.min(start + batchSize, dataset.count)
            // A dataset's own failure (a missing file...) is handed to the consumer, not trapped.
            return Result { try dataset.batch(order.sliced(axis: 0, start: start, end: end)) }
        }
        return BatchIterator(count: count, prefetch: prefetch, make: make)
    }
}

/// One batch, or why the dataset could not produce it.
typealias BatchResult = Result<(features: Tensor, labels: Tensor), Error>

/// The batches of one epoch, produced ahead by a background thread when prefetching.
public final class BatchIterator: IteratorProtocol {
    private let count: Int
    private let make: @Sendable (Int) -> BatchResult
    private let prefetcher: Prefetcher?
    private var position = 0
    /// The dataset's error that ended the iteration early, if any.
    public private(set) var error: Error?

    init(count: Int, prefetch: Int, make: @escaping @Sendable (Int) -> BatchResult) {
        self.count = count
        self.make = make
        prefetcher = prefetch > 0 && count > 1 ? Prefetcher(count: count, depth: prefetch, make: make) : nil
    }

    // The producer thread holds only the prefetcher, so dropping the iterator mid-epoch
    // stops the thread instead of leaving it waiting forever.
    deinit { prefetcher?.cancel() }

    /// The next batch, or nil after the last (or after a dataset error, see `error`).
    public func next() -> (features: Tensor, labels: Tensor)? {
        guard position < count, error == nil else { return nil }
        defer { position += 1 }
        switch prefetcher?.take(position) ?? make(position) {
        case .success(let batch): return batch
        case .failure(let failure):
            error = failure
            return nil
        }
    }
}

/// A background thread that keeps up to `depth` batches ready ahead of the consumer.
private final class Prefetcher: @unchecked Sendable {  // state guarded by `condition`
    private let count: Int
    private let depth: Int
    private let make: @Sendable (Int) -> BatchResult
    private let condition = NSCondition()
    private var ready: [Int: BatchResult] = [:]
    private var produced = 0
    private var consumed = 0
    private var cancelled = false

    init(count: Int, depth: Int, make: @escaping @Sendable (Int) -> BatchResult) {
        self.count = count
        self.depth = depth
        self.make = make
        let thread = Thread { self.produce() }
        thread.name = "flock-data-loader"
        thread.start()
    }

    func cancel() {
        condition.lock()
        cancelled = true
        condition.broadcast()
        condition.unlock()
    }

    /// Waits for batch `index` and hands it over.
    func take(_ index: Int) -> BatchResult? {
        condition.lock()
        defer { condition.unlock() }
        while ready[index] == nil { condition.wait() }
        consumed = index + 1
        condition.broadcast()
        return ready.removeValue(forKey: index)
    }

    private func produce() {
        while true {
            condition.lock()
            while !cancelled && produced < count && produced - consumed >= depth { condition.wait() }
            if cancelled || produced >= count {
                condition.unlock()
                return
            }
            let index = produced
            condition.unlock()
            let batch = make(index)
            condition.lock()
            ready[index] = batch
            produced += 1
            condition.broadcast()
            condition.unlock()
        }
    }
}
