import FlockData
import Foundation

/// Scores predicted classes against labels (Spark ML's
/// `MulticlassClassificationEvaluator`): accuracy, precision, recall and F1 weighted by
/// each class's share of the labels, and log loss from the per-class probability columns
/// (`probability_0`, `probability_1`, ... as the classifiers write them).
public struct MulticlassClassificationEvaluator: Sendable {
    /// What to compute.
    public enum Metric: String, Sendable, CaseIterable {
        case accuracy
        /// F1 per class, weighted by the class's share of the labels (Spark's default).
        case f1
        case weightedPrecision
        case weightedRecall
        /// The mean of -log p(true class), each p clipped to [1e-15, 1 - 1e-15] as Spark
        /// clips it (lower is better).
        case logLoss
    }

    public var metric: Metric
    public var labelColumn: String
    public var predictionColumn: String
    /// Prefix of the per-class probability columns that `logLoss` reads.
    public var probabilityColumn: String

    /// Whether a higher value is a better model (false for log loss), for model selection.
    public var isLargerBetter: Bool { metric != .logLoss }

    /// An evaluator of `metric`.
    public init(
        metric: Metric = .f1, labelColumn: String = "label", predictionColumn: String = "prediction",
        probabilityColumn: String = "probability"
    ) {
        self.metric = metric
        self.labelColumn = labelColumn
        self.predictionColumn = predictionColumn
        self.probabilityColumn = probabilityColumn
    }

    /// The metric over the frame's rows.
    /// - Throws: `MLError.invalidData` for bad values, labels that are not class indices, or
    ///   no rows.
    public func evaluate(_ frame: DataFrame) throws -> Double {
        let batch = try frame.collect()
        let labels = try LogisticRegression.classIndices(
            try FeatureMatrix(batch, columns: [labelColumn]), column: labelColumn)
        if metric == .logLoss { return try logLoss(batch, labels) }
        let predicted = try LogisticRegression.classIndices(
            try FeatureMatrix(batch, columns: [predictionColumn]), column: predictionColumn)
        guard !labels.isEmpty else { throw MLError.invalidData("no rows to evaluate") }
        let classes = Swift.max(labels.max() ?? 0, predicted.max() ?? 0) + 1
        var confusion = [[Int]](repeating: [Int](repeating: 0, count: classes), count: classes)  // [label][predicted]
        for (label, guess) in zip(labels, predicted) { confusion[label][guess] += 1 }
        let n = Double(labels.count)
        if metric == .accuracy { return Double((0..<classes).reduce(0) { $0 + confusion[$1][$1] }) / n }
        var total = 0.0
        for c in 0..<classes {
            let support = Double(confusion[c].reduce(0, +))
            guard support > 0 else { continue }
            let truePositives = Double(confusion[c][c])
            let predictedAs = Double((0..<classes).reduce(0) { $0 + confusion[$1][c] })
            let precision = predictedAs > 0 ? truePositives / predictedAs : 0
            let recall = truePositives / support
            let score: Double =
                switch metric {
                case .weightedPrecision: precision
                case .weightedRecall: recall
                default: precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0
                }
            total += support / n * score
        }
        return total
    }

    /// The mean of -log p(label) over the rows, reading `probability_<label>`.
    private func logLoss(_ batch: RecordBatch, _ labels: [Int]) throws -> Double {
        guard !labels.isEmpty else { throw MLError.invalidData("no rows to evaluate") }
        let classes = Array(Set(labels)).sorted()
        let columns = try FeatureColumns.read(batch, classes.map { "\(probabilityColumn)_\($0)" })
        let column = Dictionary(uniqueKeysWithValues: zip(classes, columns))
        var total = 0.0
        for (row, label) in labels.enumerated() {
            // Invariant: every label's column was read above.
            let p = column[label]![row]
            guard p >= 0, p <= 1 else {
                throw MLError.invalidData(
                    "column \"\(probabilityColumn)_\(label)\" holds \(p) at row \(row); a probability is in [0, 1]")
            }
            total -= log(Swift.min(Swift.max(p, 1e-15), 1 - 1e-15))
        }
        return total / Double(labels.count)
    }
}
