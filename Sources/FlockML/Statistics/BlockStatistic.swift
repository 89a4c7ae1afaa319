import FlockData

/// The rows an estimator fits on: its features as one row-major matrix and, for a
/// supervised one, the labels; all rows of a frame in-process, or one shard's rows in a
/// worker (`firstRow` then says where the shard starts, for error messages).
struct TrainingRows: Sendable {
    let features: FeatureMatrix
    /// One per row; empty when the estimator has no label column.
    let labels: [Double]
    /// The row number of the first row in the whole training set.
    let firstRow: Int

    var count: Int { features.rows }
}

/// A statistic of rows computed per block of rows and merged in `BlockReduction`'s fixed
/// tree. It is a value (Codable) so that the same computation runs in-process on all rows
/// or in workers on their shards (`ShardStatisticTask`), and both give the same bits.
protocol BlockStatistic: Codable, Sendable {
    /// One block's statistic, as it travels back from a worker.
    associatedtype Partial: FlatCodable & Sendable

    /// The statistic of rows `range` of `rows`.
    func block(_ rows: TrainingRows, _ range: Range<Int>) -> Partial

    /// Two adjacent blocks' statistics together (the first's rows before the second's).
    static func merged(_ a: Partial, _ b: Partial) -> Partial
}

extension BlockStatistic {
    /// The statistic of all of `rows`.
    func reduce(_ rows: TrainingRows) -> Partial {
        BlockReduction.reduce(rows: rows.count, { block(rows, $0) }, Self.merged)
    }

    /// The statistic of each block of `rows`, in order (a shard's share of a reduction).
    func partials(_ rows: TrainingRows) -> [Partial] {
        BlockReduction.partials(rows: rows.count) { block(rows, $0) }
    }
}

/// The features' count, means and centred moments (`Moments`), per feature or for every
/// pair.
struct MomentsStatistic: BlockStatistic {
    let pairs: Bool

    func block(_ rows: TrainingRows, _ range: Range<Int>) -> Moments {
        rows.features.values.withUnsafeBufferPointer {
            Moments($0, width: rows.features.width, rows: range, pairs: pairs)
        }
    }

    static func merged(_ a: Moments, _ b: Moments) -> Moments { Moments.merged(a, b) }
}

extension TrainingRows {
    /// All rows of `frame` (collected here) for fitting `estimator`: at least one.
    /// - Throws: `MLError.invalidData` for missing, non-numeric, null or non-finite values
    ///   or no rows.
    init(fitting frame: DataFrame, featureColumns: [String], labelColumn: String?, estimator: String) throws {
        let batch = try frame.collect()
        features = try FeatureMatrix(batch, columns: featureColumns)
        guard features.rows > 0 else { throw MLError.invalidData("no rows to fit a \(estimator) on") }
        labels = try labelColumn.map { try FeatureMatrix(batch, columns: [$0]).values } ?? []
        firstRow = 0
    }
}
