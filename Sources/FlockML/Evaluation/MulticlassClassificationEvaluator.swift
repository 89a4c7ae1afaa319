import FlockData

/// Scores predicted classes against labels (Spark ML's
/// `MulticlassClassificationEvaluator`): accuracy, and precision, recall and F1 weighted by
/// each class's share of the labels.
public struct MulticlassClassificationEvaluator: Sendable {
    /// What to compute.
    public enum Metric: String, Sendable, CaseIterable {
        case accuracy
        /// F1 per class, weighted by the class's share of the labels (Spark's default).
        case f1
        case weightedPrecision
        case weightedRecall
    }

    public var metric: Metric
    public var labelColumn: String
    public var predictionColumn: String

    /// An evaluator of `metric`.
    public init(metric: Metric = .f1, labelColumn: String = "label", predictionColumn: String = "prediction") {
        self.metric = metric
        self.labelColumn = labelColumn
        self.predictionColumn = predictionColumn
    }

    /// The metric over the frame's rows.
    /// - Throws: `MLError.invalidData` for bad values, labels that are not class indices, or
    ///   no rows.
    public func evaluate(_ frame: DataFrame) throws -> Double {
        let batch = try frame.collect()
        let labels = try LogisticRegression.classIndices(
            try FeatureMatrix(batch, columns: [labelColumn]), column: labelColumn)
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
}
