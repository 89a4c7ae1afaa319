import FlockData

/// Rows drawn independently with a probability, from one random stream per block of
/// `BlockReduction.blockRows` rows numbered from the training set's first row: a worker
/// holding whole blocks (`RowShard`) draws exactly the rows an in-process fit draws among
/// them, so sampled fits give the same trees on any number of workers.
enum RowSample {
    /// What a draw is for; each has its own streams.
    enum Purpose {
        /// The rows whose values place the bins' cuts (`FeatureBinning`).
        case binning
        /// The rows boosting round (or forest tree) `n` grows on.
        case round(Int)

        /// The stream of block `block` (even numbers: odd ones draw feature subsets).
        func stream(block: Int) -> UInt64 {
            switch self {
            case .binning: UInt64(block) << 1
            case .round(let n): UInt64(n + 1) << 40 | UInt64(block) << 1
            }
        }
    }

    /// The rows of `range` (which starts on a block boundary) kept with probability `rate`,
    /// ascending.
    static func rows(_ range: Range<Int>, rate: Double, seed: UInt64, for purpose: Purpose) -> [Int] {
        let blockRows = BlockReduction.blockRows
        precondition(range.lowerBound % blockRows == 0, "a sample starts on a block boundary")
        var kept: [Int] = []
        kept.reserveCapacity(Int(Double(range.count) * rate * 1.1) + 16)
        for start in stride(from: range.lowerBound, to: range.upperBound, by: blockRows) {
            var random = RandomStream(seed: seed, stream: purpose.stream(block: start / blockRows))
            for row in start..<Swift.min(range.upperBound, start + blockRows) where random.unit() < rate {
                kept.append(row)
            }
        }
        return kept
    }
}
