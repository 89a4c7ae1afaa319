import FlockData
import FlockRuntime

/// Learns each column's minimum and maximum (Spark ML's `MinMaxScaler`, on columns): the
/// fitted model maps [min, max] onto [`min`, `max`] (default [0, 1]) linearly. A constant
/// column maps to the middle of the range, as in Spark.
public struct MinMaxScaler: Estimator {
    public var inputColumns: [String]
    /// Where the scaled values go; default: each input name with `_scaled` appended.
    public var outputColumns: [String]
    public var min: Double
    public var max: Double

    /// A scaler of `inputColumns` onto [min, max].
    public init(inputColumns: [String], outputColumns: [String]? = nil, min: Double = 0, max: Double = 1) {
        self.inputColumns = inputColumns
        self.outputColumns = outputColumns ?? inputColumns.map { $0 + "_scaled" }
        self.min = min
        self.max = max
    }

    /// Learns the ranges.
    /// - Throws: `MLError.invalidParameter` for no columns, mismatched output names or
    ///   min >= max; `.invalidData` for bad values or no rows.
    public func fit(_ frame: DataFrame) throws -> MinMaxScalerModel {
        try Parameter.columnPairs(inputColumns, outputColumns)
        guard min.isFinite, max.isFinite, min < max else {
            throw MLError.invalidParameter(name: "min", value: "\(min)", allowed: "finite and below max (\(max))")
        }
        let rows = try TrainingRows(
            fitting: frame, featureColumns: inputColumns, labelColumn: nil, estimator: "MinMaxScaler")
        return model(ColumnRanges().reduce(rows))
    }

    /// Learns the ranges on `cluster`'s workers (one pass): the model `fit(_:)` gives.
    /// - Throws: as `fit(_:)`, and the runtime's errors when tasks fail after their retries.
    public func fit(_ frame: DataFrame, on cluster: Cluster, partitions: Int? = nil) async throws
        -> MinMaxScalerModel
    {
        try Parameter.columnPairs(inputColumns, outputColumns)
        guard min.isFinite, max.isFinite, min < max else {
            throw MLError.invalidParameter(name: "min", value: "\(min)", allowed: "finite and below max (\(max))")
        }
        let rows = try await ShardedRows(
            frame, featureColumns: inputColumns, labelColumn: nil, estimator: "MinMaxScaler", on: cluster,
            partitions: partitions)
        return model(try await rows.reduce(ColumnRanges()))
    }

    private func model(_ ranges: ColumnRanges.Partial) -> MinMaxScalerModel {
        MinMaxScalerModel(
            inputColumns: inputColumns, outputColumns: outputColumns, originalMin: ranges.lows,
            originalMax: ranges.highs, min: min, max: max)
    }
}

/// Each column's smallest and largest value.
struct ColumnRanges: BlockStatistic {
    struct Partial: Sendable {
        var lows: [Double]
        var highs: [Double]
    }

    func block(_ rows: TrainingRows, _ range: Range<Int>) -> Partial {
        let d = rows.features.width
        var partial = Partial(
            lows: [Double](repeating: .infinity, count: d), highs: [Double](repeating: -.infinity, count: d))
        for i in range {
            for j in 0..<d {
                let value = rows.features.values[i * d + j]
                partial.lows[j] = Swift.min(partial.lows[j], value)
                partial.highs[j] = Swift.max(partial.highs[j], value)
            }
        }
        return partial
    }

    static func merged(_ a: Partial, _ b: Partial) -> Partial {
        Partial(
            lows: zip(a.lows, b.lows).map { Swift.min($0, $1) }, highs: zip(a.highs, b.highs).map { Swift.max($0, $1) })
    }
}

/// A fitted `MinMaxScaler`: the ranges it learned.
public struct MinMaxScalerModel: Transformer, Codable, Equatable {
    public let inputColumns: [String]
    public let outputColumns: [String]
    public let originalMin: [Double]
    public let originalMax: [Double]
    public let min: Double
    public let max: Double

    /// The frame with each scaled column added.
    /// - Throws: `MLError.invalidData` for missing, non-numeric, null or non-finite values.
    public func transform(_ frame: DataFrame) throws -> DataFrame {
        var batch = try frame.collect()
        let matrix = try FeatureMatrix(batch, columns: inputColumns)
        for (j, name) in outputColumns.enumerated() {
            let range = originalMax[j] - originalMin[j]
            let scaled: [Double?] = (0..<matrix.rows).map { row in
                guard range > 0 else { return (min + max) / 2 }
                return (matrix.values[row * matrix.width + j] - originalMin[j]) / range * (max - min) + min
            }
            batch = try batch.adding(name, Column(scaled))
        }
        return DataFrame(batch)
    }
}

extension MinMaxScalerModel: SavableModel { public static let modelType = "MinMaxScalerModel" }
