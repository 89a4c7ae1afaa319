import FlockData
import FlockTensor

/// A fitted boosted ensemble: a starting score plus the sum of its trees' outputs (the
/// raw score: log-odds for a classifier, the prediction for a regressor).
public struct BoostedTrees: Codable, Equatable, Sendable {
    public let initialScore: Double
    public let trees: [RegressionTree]

    /// The raw score of every row of `columns` (one array per feature), in parallel blocks.
    func scores(_ columns: [[Double]]) -> [Double] {
        let rows = columns.first?.count ?? 0
        let blockRows = 4_096
        return [Double](unsafeUninitializedCapacity: rows) { out, initialized in
            ThreadPool.shared.parallelFor(chunks: (rows + blockRows - 1) / blockRows) { block in
                for i in block * blockRows..<Swift.min(rows, (block + 1) * blockRows) {
                    var score = initialScore
                    for tree in trees { score += tree.predict { columns[$0][i] } }
                    out[i] = score
                }
            }
            initialized = rows
        }
    }

    /// Each feature's share of the loss reduction over all splits (gain importance, as
    /// Spark and LightGBM report it), summing to 1 (all 0 without splits).
    func featureImportances(features: Int) -> [Double] {
        var gains = [Double](repeating: 0, count: features)
        for tree in trees {
            for (feature, gain) in zip(tree.features, tree.gains) { gains[feature] += gain }
        }
        let total = gains.reduce(0, +)
        return total > 0 ? gains.map { $0 / total } : gains
    }

    /// Checks a model read from a file: a finite start and every tree well formed over
    /// `features` features.
    /// - Throws: `MLError.invalidData` naming the first bad tree.
    func validate(features: Int) throws {
        guard initialScore.isFinite else { throw MLError.invalidData("the initial score is \(initialScore)") }
        if let bad = trees.firstIndex(where: { !$0.isWellFormed(features: features) }) {
            throw MLError.invalidData(
                "tree \(bad) is not one tree over \(features) features (a child out of range, reached twice or never)")
        }
    }
}

extension GradientBoosting {
    /// What a fit reads from a frame: the training rows' features (per column, NaN where
    /// missing) and labels, and the validation rows' when `indicator` names a column
    /// whose true (non-zero) rows are held out.
    struct Inputs {
        var columns: [[Double]]
        var labels: [Double]
        var validation: (columns: [[Double]], labels: [Double])?

        /// Reads `features` and the labels that `labels` makes of `label`.
        /// - Throws: `MLError.invalidData` for bad columns or no training rows.
        init(
            _ batch: RecordBatch, features: [String], label: String, indicator: String?, estimator: String,
            labels: (FeatureMatrix) throws -> [Double]
        ) throws {
            let all = try FeatureColumns.read(batch, features)
            let allLabels = try labels(try FeatureMatrix(batch, columns: [label]))
            guard let indicator else {
                (columns, self.labels, validation) = (all, allLabels, nil)
                guard !allLabels.isEmpty else { throw MLError.invalidData("no rows to fit a \(estimator) on") }
                return
            }
            let held = try FeatureColumns.read(batch, [indicator])[0].map { !$0.isNaN && $0 != 0 }
            func pick(_ values: [Double], _ keep: Bool) -> [Double] {
                zip(values, held).filter { $0.1 == keep }.map(\.0)
            }
            columns = all.map { pick($0, false) }
            self.labels = pick(allLabels, false)
            validation = (all.map { pick($0, true) }, pick(allLabels, true))
            guard !self.labels.isEmpty else {
                throw MLError.invalidData("no training rows to fit a \(estimator) on (every row is a validation row)")
            }
            guard validation?.labels.isEmpty == false else {
                throw MLError.invalidData("column \"\(indicator)\" marks no validation rows")
            }
        }
    }
}
