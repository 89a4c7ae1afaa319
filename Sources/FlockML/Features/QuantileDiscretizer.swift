import FlockData

/// Learns splits that cut each numeric column into `numBuckets` buckets of about equal
/// counts (Spark ML's `QuantileDiscretizer`); the fitted model is a `Bucketizer`. The cuts
/// are the ones boosted trees bin by (`FeatureBinning`: exact quantiles of the column, or
/// of a 200,000-row sample of a longer one, each halfway between two neighbouring distinct
/// values; one bucket per value when there are fewer values than buckets), with -∞ and +∞
/// outside, so any number finds a bucket. Missing values are ignored when fitting.
public struct QuantileDiscretizer: Estimator {
    public var inputColumns: [String]
    /// Where the bucket numbers go; default: each input name with `_bucket` appended.
    public var outputColumns: [String]
    /// Buckets at most per column (2...255; default 2).
    public var numBuckets: Int
    /// What the fitted `Bucketizer` does with a missing value.
    public var handleInvalid: StringIndexer.InvalidValues
    /// Draws the sample of a column longer than 200,000 rows.
    public var seed: UInt64

    /// A discretizer of `inputColumns` into `numBuckets` buckets each.
    public init(
        inputColumns: [String], outputColumns: [String]? = nil, numBuckets: Int = 2,
        handleInvalid: StringIndexer.InvalidValues = .error, seed: UInt64 = 1
    ) {
        self.inputColumns = inputColumns
        self.outputColumns = outputColumns ?? inputColumns.map { $0 + "_bucket" }
        self.numBuckets = numBuckets
        self.handleInvalid = handleInvalid
        self.seed = seed
    }

    /// Learns the splits.
    /// - Throws: `MLError.invalidParameter` for bad columns or `numBuckets`;
    ///   `.invalidData` for a missing or non-numeric column.
    public func fit(_ frame: DataFrame) throws -> Bucketizer {
        try Parameter.columnPairs(inputColumns, outputColumns)
        try Parameter.atLeast("numBuckets", numBuckets, 2)
        try Parameter.atMost("numBuckets", numBuckets, FeatureBinning.maxBins)
        let columns = try FeatureColumns.read(try frame.collect(), inputColumns)
        let binning = FeatureBinning(columns: columns, maxBins: numBuckets, seed: seed)
        // A bin holds (bound_(b-1), bound_b]; a bucket holds [split_b, split_(b+1)): the
        // split just above each bound puts every value in the same place.
        let splits = binning.upperBounds.map { bounds in
            [-Double.infinity] + bounds.dropLast().map(\.nextUp) + [.infinity]
        }
        return Bucketizer(
            inputColumns: inputColumns, outputColumns: outputColumns, splits: splits, handleInvalid: handleInvalid)
    }
}
