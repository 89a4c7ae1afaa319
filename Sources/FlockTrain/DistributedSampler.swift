import FlockNN
import FlockTensor

/// Which samples each rank trains on in each epoch: a permutation of the whole dataset
/// drawn from (seed, epoch) — the same on every rank — dealt out round-robin, so the ranks'
/// shards are disjoint and together cover the epoch (PyTorch's DistributedSampler).
///
/// With `dropLast: false` the permutation is padded with its own first samples to a
/// multiple of the world size (every rank gets `samplesPerRank`, a few samples are seen
/// twice); with `dropLast: true` the tail is dropped instead.
public struct DistributedSampler: Sendable {
    /// Samples in the dataset.
    public let datasetCount: Int
    /// This rank, and the number of ranks.
    public let rank: Int, worldSize: Int
    /// Whether each epoch uses a fresh permutation (else the natural order).
    public let shuffle: Bool
    /// Seed shared by all ranks.
    public let seed: UInt64
    /// Whether to drop the tail instead of padding.
    public let dropLast: Bool

    /// A sampler for rank `rank` of `worldSize` over `datasetCount` samples.
    /// - Throws: `ModuleError.invalidInput` when the rank is out of range or the dataset is
    ///   too small to give every rank a sample with `dropLast`.
    public init(
        datasetCount: Int, rank: Int, worldSize: Int, shuffle: Bool = true, seed: UInt64 = 0, dropLast: Bool = false
    ) throws {
        guard worldSize > 0, (0..<worldSize).contains(rank), datasetCount >= 0 else {
            throw ModuleError.invalidInput(
                module: "DistributedSampler", reason: "rank \(rank) of \(worldSize) over \(datasetCount) samples")
        }
        self.datasetCount = datasetCount
        self.rank = rank
        self.worldSize = worldSize
        self.shuffle = shuffle
        self.seed = seed
        self.dropLast = dropLast
    }

    /// Samples each rank sees per epoch.
    public var samplesPerRank: Int {
        dropLast ? datasetCount / worldSize : (datasetCount + worldSize - 1) / worldSize
    }

    /// This rank's sample indices for `epoch`, in training order.
    public func indices(epoch: Int) -> [Int] {
        var order = Array(0..<datasetCount)
        if shuffle {
            var generator = RandomGenerator(seed: seed, stream: UInt64(epoch))
            // Invariant: the count is non-negative.
            order = try! Tensor.permutation(datasetCount, generator: &generator).scalars(as: Int64.self).map(Int.init)
        }
        let total = samplesPerRank * worldSize
        if order.count < total && !order.isEmpty {
            order += (0..<total - order.count).map { order[$0 % order.count] }
        }
        return stride(from: rank, to: total, by: worldSize).map { order[$0] }
    }

    /// This rank's shard of `dataset` for `epoch`, without its first `skipping` samples
    /// (to resume an epoch mid-way); batch it with a `DataLoader` with `shuffle: false`.
    public func shard<Base: Dataset>(of dataset: Base, epoch: Int, skipping: Int = 0) -> DatasetShard<Base> {
        DatasetShard(base: dataset, indices: Array(indices(epoch: epoch).dropFirst(skipping)))
    }
}

/// The samples of `base` at `indices`, as a dataset of its own.
public struct DatasetShard<Base: Dataset>: Dataset {
    /// The whole dataset.
    public let base: Base
    /// Positions in `base`, in order.
    public let indices: [Int]

    /// The number of samples in the shard.
    public var count: Int { indices.count }

    /// The samples at shard positions `positions`.
    public func batch(_ positions: Tensor) throws -> (features: Tensor, labels: Tensor) {
        let mapped = try positions.casted(to: .int64).scalars(as: Int64.self).map { position -> Int64 in
            guard (0..<indices.count).contains(Int(position)) else {
                throw ModuleError.invalidInput(
                    module: "DatasetShard", reason: "position \(position) is outside 0..<\(indices.count)")
            }
            return Int64(indices[Int(position)])
        }
        return try base.batch(Tensor(mapped, shape: [mapped.count]))
    }
}
