import FlockData

/// Scores a frame that a fitted model has transformed (Spark ML's `Evaluator`): what model
/// selection (`CrossValidator`, `TrainValidationSplit`) ranks candidates by.
public protocol Evaluator: Sendable {
    /// The metric over the frame's rows.
    func evaluate(_ frame: DataFrame) throws -> Double
    /// Whether a higher value is a better model.
    var isLargerBetter: Bool { get }
}

extension MulticlassClassificationEvaluator: Evaluator {}

extension BinaryClassificationEvaluator: Evaluator {
    /// Both areas grow with a better model.
    public var isLargerBetter: Bool { true }
}

extension RegressionEvaluator: Evaluator {
    /// Only R² grows with a better model; the errors shrink.
    public var isLargerBetter: Bool { metric == .r2 }
}
