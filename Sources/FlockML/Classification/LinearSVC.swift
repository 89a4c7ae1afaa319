import FlockData
import FlockRuntime
import Foundation

/// A linear support vector machine for two classes (Spark ML's `LinearSVC`): minimises
/// the squared hinge loss (scikit-learn's default) or the hinge loss (Spark's)
///
///     (1/n) Σ max(0, 1 - y_i (w·(s ⊙ x_i) + b))^p + (regParam / 2) ‖w‖²,  y_i = ±1, p = 2 or 1
///
/// by L-BFGS (the squared hinge is smooth; on the plain hinge, as in Spark, the steps
/// follow a subgradient and stop when a line search finds no lower loss), features
/// divided by their deviations while fitting when `standardization` (s, as for
/// `LogisticRegression`); the intercept is not penalised. Labels are 0 and 1; the
/// prediction is 1 where the raw score w·x + b is above `threshold`. The sums over rows
/// are a block statistic (`HingeGradient`), so the model is the same bit for bit on any
/// thread count and on a cluster.
public struct LinearSVC: Estimator {
    public var featureColumns: [String]
    public var labelColumn: String
    public var predictionColumn: String
    /// The raw score w·x + b.
    public var rawPredictionColumn: String
    /// The loss on each row's margin (default `.squaredHinge`).
    public var loss: Loss
    /// The L2 penalty (at least 0; default 0).
    public var regParam: Double
    /// L-BFGS iterations at most (at least 1; default 100).
    public var maxIter: Int
    /// Stops when an iteration lowers the loss by at most this, relative (default 1e-6).
    public var tol: Double
    public var fitIntercept: Bool
    public var standardization: Bool
    /// The raw score above which the prediction is 1 (default 0).
    public var threshold: Double
    /// Gets a line per L-BFGS iteration (number, loss, time).
    public var progress: (@Sendable (String) -> Void)?

    /// The loss a row pays for a margin below 1.
    public enum Loss: String, Codable, Sendable {
        /// max(0, 1 - y t)²: smooth; scikit-learn's default.
        case squaredHinge
        /// max(0, 1 - y t): Spark's.
        case hinge
    }

    /// A classifier of `labelColumn` (0 or 1) by `featureColumns`.
    public init(
        featureColumns: [String], labelColumn: String = "label", predictionColumn: String = "prediction",
        rawPredictionColumn: String = "rawPrediction", loss: Loss = .squaredHinge, regParam: Double = 0,
        maxIter: Int = 100, tol: Double = 1e-6,
        fitIntercept: Bool = true, standardization: Bool = true, threshold: Double = 0,
        progress: (@Sendable (String) -> Void)? = nil
    ) {
        self.featureColumns = featureColumns
        self.labelColumn = labelColumn
        self.predictionColumn = predictionColumn
        self.rawPredictionColumn = rawPredictionColumn
        self.loss = loss
        self.regParam = regParam
        self.maxIter = maxIter
        self.tol = tol
        self.fitIntercept = fitIntercept
        self.standardization = standardization
        self.threshold = threshold
        self.progress = progress
    }

    /// Fits the weights.
    /// - Throws: `MLError.invalidParameter` for a bad parameter, `.invalidData` for bad
    ///   features, labels other than 0 and 1, a single class, or no rows.
    public func fit(_ frame: DataFrame) throws -> LinearSVCModel {
        try checkParameters()
        let rows = try TrainingRows(
            fitting: frame, featureColumns: featureColumns, labelColumn: labelColumn, estimator: "LinearSVC")
        let setup = try self.setup(ClassSummary().reduce(rows))
        let result = LBFGS(maxIterations: maxIter, tolerance: tol)
            .minimize(
                from: [Double](repeating: 0, count: featureColumns.count + 1),
                progress: progress.map(ProgressLines.init)
            ) { theta in
                evaluate(theta, setup, sums: statistic(theta, setup.scale).reduce(rows))
            }
        return model(result, setup.scale)
    }

    /// Fits on `cluster`'s workers: the same model, bit for bit, as `fit(_:)` of the same
    /// rows in the same order, whatever the workers and `partitions`.
    /// - Throws: as `fit(_:)`, and the runtime's errors when tasks fail after their retries.
    public func fit(_ frame: DataFrame, on cluster: Cluster, partitions: Int? = nil) async throws -> LinearSVCModel {
        try checkParameters()
        let rows = try await ShardedRows(
            frame, featureColumns: featureColumns, labelColumn: labelColumn, estimator: "LinearSVC", on: cluster,
            partitions: partitions)
        let setup = try self.setup(try await rows.reduce(ClassSummary()))
        let result = try await LBFGS(maxIterations: maxIter, tolerance: tol)
            .minimize(
                from: [Double](repeating: 0, count: featureColumns.count + 1),
                progress: progress.map(ProgressLines.init)
            ) { theta in
                evaluate(theta, setup, sums: try await rows.reduce(statistic(theta, setup.scale)))
            }
        return model(result, setup.scale)
    }

    private func checkParameters() throws {
        try Parameter.columns("featureColumns", featureColumns)
        try Parameter.atLeast("regParam", regParam, 0)
        try Parameter.atLeast("tol", tol, 0)
        try Parameter.atLeast("maxIter", maxIter, 1)
    }

    /// Each feature's scale and the rows counted, from the rows' summary.
    private func setup(_ summary: ClassSummary.Partial) throws -> (scale: [Double], rows: Int) {
        guard try summary.classes(labelColumn: labelColumn) == 2 else {
            throw MLError.invalidData(
                "column \"\(labelColumn)\" holds \(summary.classCounts.count) classes; LinearSVC takes two, 0 and 1")
        }
        return (summary.featureScale(standardization: standardization), summary.moments.count)
    }

    /// The loss's sums over rows at θ.
    private func statistic(_ theta: [Double], _ scale: [Double]) -> HingeGradient {
        HingeGradient(weights: weights(theta, scale), squared: loss == .squaredHinge)
    }

    /// θ (scaled weights, then the intercept) as weights for the unscaled rows.
    private func weights(_ theta: [Double], _ scale: [Double]) -> [Double] {
        scale.indices.map { theta[$0] * scale[$0] } + [fitIntercept ? theta[scale.count] : 0]
    }

    /// The loss and gradient at θ from the rows' sums.
    private func evaluate(_ theta: [Double], _ setup: (scale: [Double], rows: Int), sums: HingeGradient.Partial)
        -> (value: Double, gradient: [Double])
    {
        let d = setup.scale.count
        let n = Double(Swift.max(setup.rows, 1))
        var value = sums.loss / n
        var gradient = sums.gradient.map { $0 / n }
        for j in 0..<d {
            gradient[j] = gradient[j] * setup.scale[j] + regParam * theta[j]
            value += regParam / 2 * theta[j] * theta[j]
        }
        if !fitIntercept { gradient[d] = 0 }
        return (value, gradient)
    }

    private func model(_ result: LBFGS.Result, _ scale: [Double]) -> LinearSVCModel {
        LinearSVCModel(
            featureColumns: featureColumns, predictionColumn: predictionColumn,
            rawPredictionColumn: rawPredictionColumn, coefficients: scale.indices.map { result.x[$0] * scale[$0] },
            intercept: fitIntercept ? result.x[scale.count] : 0, threshold: threshold,
            iterations: result.iterations, loss: result.value)
    }
}

/// The (squared) hinge loss's sums over rows at given weights (for unscaled rows, then
/// the intercept): Σ max(0, 1 - y t)² (or Σ max(0, 1 - y t)) and its (sub)gradient, y = ±1
/// from labels 0 and 1.
struct HingeGradient: BlockStatistic {
    let weights: [Double]
    let squared: Bool

    func block(_ rows: TrainingRows, _ range: Range<Int>) -> SoftmaxGradient.Partial {
        let d = rows.features.width
        var partial = SoftmaxGradient.Partial(gradient: [Double](repeating: 0, count: d + 1))
        rows.features.values.withUnsafeBufferPointer { x in
            weights.withUnsafeBufferPointer { w in
                partial.gradient.withUnsafeMutableBufferPointer { gradient in
                    for i in range {
                        let row = x.baseAddress! + i * d  // Invariant: rows * width values.
                        let y = rows.labels[i] == 1 ? 1.0 : -1.0
                        let margin = 1 - y * (w[d] + VectorKernels.dot(w.baseAddress!, row, d))
                        guard margin > 0 else { continue }
                        partial.loss += squared ? margin * margin : margin
                        let slope = squared ? -2 * y * margin : -y
                        // Invariant: the gradient holds d + 1 values.
                        VectorKernels.addScaled(slope, row, to: gradient.baseAddress!, d)
                        gradient[d] += slope
                    }
                }
            }
        }
        return partial
    }

    static func merged(_ a: SoftmaxGradient.Partial, _ b: SoftmaxGradient.Partial) -> SoftmaxGradient.Partial {
        SoftmaxGradient.merged(a, b)
    }
}

/// A fitted `LinearSVC`: the raw score w·x + b, the prediction 1 above the threshold.
public struct LinearSVCModel: Transformer, Codable, Equatable {
    public let featureColumns: [String]
    public let predictionColumn: String
    public let rawPredictionColumn: String
    /// Weights for the features as given.
    public let coefficients: [Double]
    public let intercept: Double
    public let threshold: Double
    /// L-BFGS iterations the fit took, and the loss it reached (penalty included).
    public let iterations: Int
    public let loss: Double

    /// The frame with the raw score and the prediction (0 or 1) added.
    /// - Throws: `MLError.invalidData` for missing, non-numeric, null or non-finite features.
    public func transform(_ frame: DataFrame) throws -> DataFrame {
        let batch = try frame.collect()
        let raw = try positiveScores(batch)
        return DataFrame(
            try batch.adding(rawPredictionColumn, Column(raw.map { Optional($0) }))
                .adding(predictionColumn, Column(raw.map { Optional($0 > threshold ? 1.0 : 0.0) })))
    }
}

extension LinearSVCModel: SavableModel {
    public static let modelType = "LinearSVCModel"

    /// One coefficient per feature.
    public func validate() throws {
        guard coefficients.count == featureColumns.count else {
            throw MLError.invalidData("\(coefficients.count) coefficients for \(featureColumns.count) features")
        }
    }
}
