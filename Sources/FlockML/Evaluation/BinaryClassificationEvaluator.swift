import FlockData

/// Scores a binary classifier's scores against 0/1 labels (Spark ML's
/// `BinaryClassificationEvaluator`): the area under the ROC curve and under the
/// precision-recall curve, both over every distinct score as a threshold (rows with equal
/// scores enter together, so ties count half, as the Mann-Whitney statistic counts them).
public struct BinaryClassificationEvaluator: Sendable {
    /// What to compute.
    public enum Metric: String, Sendable, CaseIterable {
        /// Area under the ROC curve (true positive rate against false positive rate).
        case areaUnderROC
        /// Area under the precision-recall curve, by trapezoids from recall 0 (Spark's way).
        case areaUnderPR
    }

    public var metric: Metric
    public var labelColumn: String
    /// The score of class 1 (a probability or any increasing score): `LogisticRegression`
    /// writes it as `probability_1`.
    public var scoreColumn: String

    /// An evaluator of `metric`.
    public init(metric: Metric = .areaUnderROC, labelColumn: String = "label", scoreColumn: String = "probability_1") {
        self.metric = metric
        self.labelColumn = labelColumn
        self.scoreColumn = scoreColumn
    }

    /// The metric over the frame's rows.
    /// - Throws: `MLError.invalidData` for bad values, labels other than 0 and 1, or rows of
    ///   one class only.
    public func evaluate(_ frame: DataFrame) throws -> Double {
        let batch = try frame.collect()
        let labels = try LogisticRegression.classIndices(
            try FeatureMatrix(batch, columns: [labelColumn]), column: labelColumn)
        let scores = try FeatureMatrix(batch, columns: [scoreColumn]).values
        guard labels.allSatisfy({ $0 <= 1 }) else {
            throw MLError.invalidData("column \"\(labelColumn)\" holds labels other than 0 and 1")
        }
        let positives = labels.reduce(0, +)
        let negatives = labels.count - positives
        guard positives > 0, negatives > 0 else {
            throw MLError.invalidData("column \"\(labelColumn)\" holds one class only; the curves need both")
        }
        // Thresholds from the highest score down; each step takes all rows of one score.
        let order = scores.indices.sorted { scores[$0] > scores[$1] }
        var (truePositives, falsePositives) = (0.0, 0.0)
        var points: [(falsePositiveRate: Double, recall: Double, precision: Double)] = []
        var start = 0
        while start < order.count {
            var end = start
            while end < order.count, scores[order[end]] == scores[order[start]] {
                if labels[order[end]] == 1 { truePositives += 1 } else { falsePositives += 1 }
                end += 1
            }
            points.append(
                (
                    falsePositives / Double(negatives), truePositives / Double(positives),
                    truePositives / (truePositives + falsePositives)
                ))
            start = end
        }
        var area = 0.0
        switch metric {
        case .areaUnderROC:
            var previous = (x: 0.0, y: 0.0)
            for point in points {
                area += (point.falsePositiveRate - previous.x) * (point.recall + previous.y) / 2
                previous = (point.falsePositiveRate, point.recall)
            }
        case .areaUnderPR:
            var previous = (x: 0.0, y: points[0].precision)  // Invariant: both classes, so points exist.
            for point in points {
                area += (point.recall - previous.x) * (point.precision + previous.y) / 2
                previous = (point.recall, point.precision)
            }
        }
        return area
    }
}
