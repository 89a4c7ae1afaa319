import FlockData
import FlockRuntime

/// Learns each column's mean and standard deviation (Spark ML's `StandardScaler`, on
/// columns instead of a vector): the fitted model writes `(x - mean) / std` (with
/// `withMean` and `withStd` as chosen) into the output columns. A column with zero
/// deviation scales to 0, as in Spark.
public struct StandardScaler: Estimator {
    public var inputColumns: [String]
    /// Where the scaled values go; default: each input name with `_scaled` appended.
    public var outputColumns: [String]
    /// Subtract the mean (default false, as in Spark: it keeps sparse data sparse).
    public var withMean: Bool
    /// Divide by the sample standard deviation (default true).
    public var withStd: Bool

    /// A scaler of `inputColumns`.
    public init(
        inputColumns: [String], outputColumns: [String]? = nil, withMean: Bool = false, withStd: Bool = true
    ) {
        self.inputColumns = inputColumns
        self.outputColumns = outputColumns ?? inputColumns.map { $0 + "_scaled" }
        self.withMean = withMean
        self.withStd = withStd
    }

    /// Learns the means and deviations.
    /// - Throws: `MLError.invalidParameter` for no columns or mismatched output names,
    ///   `MLError.invalidData` for missing, non-numeric, null or non-finite values, or no rows.
    public func fit(_ frame: DataFrame) throws -> StandardScalerModel {
        try Parameter.columnPairs(inputColumns, outputColumns)
        let rows = try TrainingRows(
            fitting: frame, featureColumns: inputColumns, labelColumn: nil, estimator: "StandardScaler")
        return model(MomentsStatistic(pairs: false).reduce(rows))
    }

    /// Learns the means and deviations on `cluster`'s workers (one pass): the model
    /// `fit(_:)` gives, bit for bit.
    /// - Throws: as `fit(_:)`, and the runtime's errors when tasks fail after their retries.
    public func fit(_ frame: DataFrame, on cluster: Cluster, partitions: Int? = nil) async throws
        -> StandardScalerModel
    {
        try Parameter.columnPairs(inputColumns, outputColumns)
        let rows = try await ShardedRows(
            frame, featureColumns: inputColumns, labelColumn: nil, estimator: "StandardScaler", on: cluster,
            partitions: partitions)
        return model(try await rows.reduce(MomentsStatistic(pairs: false)))
    }

    private func model(_ moments: Moments) -> StandardScalerModel {
        StandardScalerModel(
            inputColumns: inputColumns, outputColumns: outputColumns, means: moments.means,
            deviations: (0..<inputColumns.count).map { moments.variance($0).squareRoot() }, withMean: withMean,
            withStd: withStd)
    }
}

/// A fitted `StandardScaler`: the means and deviations it learned.
public struct StandardScalerModel: Transformer, Codable, Equatable {
    public let inputColumns: [String]
    public let outputColumns: [String]
    public let means: [Double]
    public let deviations: [Double]
    public let withMean: Bool
    public let withStd: Bool

    /// The frame with each scaled column added.
    /// - Throws: `MLError.invalidData` for missing, non-numeric, null or non-finite values.
    public func transform(_ frame: DataFrame) throws -> DataFrame {
        var batch = try frame.collect()
        let matrix = try FeatureMatrix(batch, columns: inputColumns)
        for (j, name) in outputColumns.enumerated() {
            let shift = withMean ? means[j] : 0
            let scale = withStd ? (deviations[j] > 0 ? 1 / deviations[j] : 0) : 1
            let scaled: [Double?] = (0..<matrix.rows).map { (matrix.values[$0 * matrix.width + j] - shift) * scale }
            batch = try batch.adding(name, Column(scaled))
        }
        return DataFrame(batch)
    }
}
