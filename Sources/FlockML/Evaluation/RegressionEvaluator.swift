import FlockData

/// Scores predictions against labels (Spark ML's `RegressionEvaluator`).
public struct RegressionEvaluator: Sendable {
    /// What to compute.
    public enum Metric: String, Sendable, CaseIterable {
        /// Root mean squared error.
        case rmse
        /// Mean squared error.
        case mse
        /// Mean absolute error.
        case mae
        /// Coefficient of determination: 1 - SSE / SST.
        case r2
    }

    public var metric: Metric
    public var labelColumn: String
    public var predictionColumn: String

    /// An evaluator of `metric`.
    public init(metric: Metric = .rmse, labelColumn: String = "label", predictionColumn: String = "prediction") {
        self.metric = metric
        self.labelColumn = labelColumn
        self.predictionColumn = predictionColumn
    }

    /// The metric over the frame's rows (summed in `BlockReduction`'s fixed order).
    /// - Throws: `MLError.invalidData` for missing, non-numeric, null or non-finite values,
    ///   or no rows.
    public func evaluate(_ frame: DataFrame) throws -> Double {
        let pairs = try FeatureMatrix(try frame.collect(), columns: [labelColumn, predictionColumn])
        guard pairs.rows > 0 else { throw MLError.invalidData("no rows to evaluate") }
        let sums = pairs.values.withUnsafeBufferPointer { values in
            BlockReduction.reduce(
                rows: pairs.rows,
                { range in
                    range.reduce(into: (squared: 0.0, absolute: 0.0)) { sums, row in
                        let error = values[2 * row + 1] - values[2 * row]
                        sums.squared += error * error
                        sums.absolute += abs(error)
                    }
                }, { ($0.squared + $1.squared, $0.absolute + $1.absolute) })
        }
        let n = Double(pairs.rows)
        switch metric {
        case .mse: return sums.squared / n
        case .rmse: return (sums.squared / n).squareRoot()
        case .mae: return sums.absolute / n
        case .r2:
            let labels = Moments.of(pairs.values, width: 2, pairs: false)
            return 1 - sums.squared / labels.comoments[0]
        }
    }
}
