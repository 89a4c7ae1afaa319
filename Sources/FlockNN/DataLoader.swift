import FlockTensor
import Foundation

/// Features and labels with one row per sample, indexable by sample.
public struct TensorDataset: Sendable {
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
public struct DataLoader: Sequence {
    /// The dataset.
    public let dataset: TensorDataset
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
        _ dataset: TensorDataset, batchSize: Int, shuffle: Bool = true, seed: UInt64 = 0, dropLast: Bool = false,
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

    /// The batches of the current epoch.
    public func makeIterator() -> BatchIterator {
        let order = self.order(epoch: epoch)
        let dataset = self.dataset
        let batchSize = self.batchSize
        let count = batchCount
        let make: @Sendable (Int) -> (features: Tensor, labels: Tensor) = { index in
            let start = index * batchSize
            let end = Swift.min(start + batchSize, dataset.count)
            // Invariant: start..<end lies inside the permutation, whose entries are valid rows.
            let indices = try! order.sliced(axis: 0, start: start, end: end)
            return try! dataset.batch(indices)
        }
        return BatchIterator(count: count, prefetch: prefetch, make: make)
    }
}

/// The batches of one epoch, produced ahead by a background thread when prefetching.
public final class BatchIterator: IteratorProtocol {
    private let count: Int
    private let make: @Sendable (Int) -> (features: Tensor, labels: Tensor)
    private let prefetcher: Prefetcher?
    private var position = 0

    init(count: Int, prefetch: Int, make: @escaping @Sendable (Int) -> (features: Tensor, labels: Tensor)) {
        self.count = count
        self.make = make
        prefetcher = prefetch > 0 && count > 1 ? Prefetcher(count: count, depth: prefetch, make: make) : nil
    }

    // The producer thread holds only the prefetcher, so dropping the iterator mid-epoch
    // stops the thread instead of leaving it waiting forever.
    deinit { prefetcher?.cancel() }

    /// The next batch, or nil after the last.
    public func next() -> (features: Tensor, labels: Tensor)? {
        guard position < count else { return nil }
        defer { position += 1 }
        return prefetcher?.take(position) ?? make(position)
    }
}

/// A background thread that keeps up to `depth` batches ready ahead of the consumer.
private final class Prefetcher: @unchecked Sendable {  // state guarded by `condition`
    private let count: Int
    private let depth: Int
    private let make: @Sendable (Int) -> (features: Tensor, labels: Tensor)
    private let condition = NSCondition()
    private var ready: [Int: (features: Tensor, labels: Tensor)] = [:]
    private var produced = 0
    private var consumed = 0
    private var cancelled = false

    init(count: Int, depth: Int, make: @escaping @Sendable (Int) -> (features: Tensor, labels: Tensor)) {
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
    func take(_ index: Int) -> (features: Tensor, labels: Tensor)? {
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
