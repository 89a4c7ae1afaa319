import FlockData
import FlockRuntime
import Foundation

/// Logistic regression, binary and multinomial (Spark ML's `LogisticRegression`, family
/// "auto": binomial for two classes, multinomial for more): the softmax loss with an L2 penalty (`SoftmaxLoss`), minimised
/// by L-BFGS. Labels are class indices 0..<k in a numeric column (an integer, a
/// categorical's codes, or whole floats). With `standardization` (the default, as in Spark)
/// the features are divided by their deviations while fitting, so the penalty treats them
/// alike and L-BFGS sees a round problem; the model's coefficients are for the features as
/// given.
public struct LogisticRegression: Estimator {
    public var featureColumns: [String]
    public var labelColumn: String
    public var predictionColumn: String
    /// Prefix of the per-class probability columns (`probability_0`, ...).
    public var probabilityColumn: String
    /// The penalty's strength λ (at least 0; default 0).
    public var regParam: Double
    /// The penalty's mix α in [0, 1] (Spark's elastic net): α λ ‖w‖₁ + (1 - α) λ/2 ‖w‖²;
    /// 0 (the default) is ridge, 1 the lasso. With α > 0 the fit is OWL-QN and weights can
    /// be exactly 0.
    public var elasticNetParam: Double
    /// L-BFGS iterations at most (at least 1; default 100).
    public var maxIter: Int
    /// Stops when an iteration lowers the loss by at most this, relative (default 1e-6).
    public var tol: Double
    public var fitIntercept: Bool
    public var standardization: Bool
    /// How each class's rows weigh in the loss (scikit-learn's `class_weight`; default all 1).
    public var classWeights: ClassWeights
    /// Gets a line per L-BFGS iteration (number, loss, time).
    public var progress: (@Sendable (String) -> Void)?

    /// Weights of the classes' rows in the loss.
    public enum ClassWeights: Equatable, Sendable {
        /// Every row weighs 1.
        case none
        /// n / (k n_c): each class weighs as much in total (scikit-learn's "balanced").
        case balanced
        /// One weight per class index (each above 0).
        case given([Double])
    }

    /// A classifier of `labelColumn` by `featureColumns`.
    public init(
        featureColumns: [String], labelColumn: String = "label", predictionColumn: String = "prediction",
        probabilityColumn: String = "probability", regParam: Double = 0, elasticNetParam: Double = 0,
        maxIter: Int = 100, tol: Double = 1e-6,
        fitIntercept: Bool = true, standardization: Bool = true, classWeights: ClassWeights = .none,
        progress: (@Sendable (String) -> Void)? = nil
    ) {
        self.featureColumns = featureColumns
        self.labelColumn = labelColumn
        self.predictionColumn = predictionColumn
        self.probabilityColumn = probabilityColumn
        self.regParam = regParam
        self.elasticNetParam = elasticNetParam
        self.maxIter = maxIter
        self.tol = tol
        self.fitIntercept = fitIntercept
        self.standardization = standardization
        self.classWeights = classWeights
        self.progress = progress
    }

    /// Fits the weights.
    /// - Throws: `MLError.invalidParameter` for a bad parameter, `.invalidData` for bad
    ///   features, labels that are not class indices, a single class, or no rows.
    public func fit(_ frame: DataFrame) throws -> LogisticRegressionModel {
        try checkParameters()
        let rows = try TrainingRows(
            fitting: frame, featureColumns: featureColumns, labelColumn: labelColumn, estimator: "LogisticRegression")
        let loss = try self.loss(ClassSummary().reduce(rows), width: rows.features.width)
        let result = optimizer(loss)
            .minimize(
                from: [Double](repeating: 0, count: loss.parameterCount), progress: progress.map(ProgressLines.init)
            ) {
                loss.evaluate($0, over: rows)
            }
        return model(loss, result)
    }

    /// Fits the weights on `cluster`'s workers: the same model, bit for bit, as `fit(_:)` of
    /// the same rows in the same order, whatever the workers and `partitions` (default twice
    /// the workers; a persisted frame keeps its own). Each L-BFGS evaluation is one task per
    /// shard of rows; the workers keep their shards between iterations.
    /// - Throws: as `fit(_:)`, and the runtime's errors when tasks fail after their retries.
    public func fit(_ frame: DataFrame, on cluster: Cluster, partitions: Int? = nil) async throws
        -> LogisticRegressionModel
    {
        try checkParameters()
        let rows = try await ShardedRows(
            frame, featureColumns: featureColumns, labelColumn: labelColumn, estimator: "LogisticRegression",
            on: cluster, partitions: partitions)
        let loss = try self.loss(try await rows.reduce(ClassSummary()), width: featureColumns.count)
        let result = try await optimizer(loss)
            .minimize(
                from: [Double](repeating: 0, count: loss.parameterCount), progress: progress.map(ProgressLines.init)
            ) { theta in
                loss.evaluate(theta, sums: try await rows.reduce(loss.statistic(at: theta)))
            }
        return model(loss, result)
    }

    private func checkParameters() throws {
        try Parameter.columns("featureColumns", featureColumns)
        try Parameter.atLeast("regParam", regParam, 0)
        try Parameter.unitInterval("elasticNetParam", elasticNetParam)
        try Parameter.atLeast("tol", tol, 0)
        try Parameter.atLeast("maxIter", maxIter, 1)
    }

    /// The loss to minimise, from the rows' summary.
    private func loss(_ summary: ClassSummary.Partial, width d: Int) throws -> SoftmaxLoss {
        let classes = try summary.classes(labelColumn: labelColumn)
        let inverse = summary.featureScale(standardization: standardization)
        var loss = SoftmaxLoss(
            width: d, classes: classes, scale: inverse, regParam: (1 - elasticNetParam) * regParam,
            fitIntercept: fitIntercept, rows: summary.moments.count)
        switch classWeights {
        case .none: break
        case .balanced:
            let n = Double(summary.moments.count)
            loss.classWeights = summary.classCounts.map { $0 > 0 ? n / (Double(classes) * Double($0)) : 0 }
        case .given(let weights):
            guard weights.count == classes, weights.allSatisfy({ $0 > 0 && $0.isFinite }) else {
                throw MLError.invalidParameter(
                    name: "classWeights", value: "\(weights)",
                    allowed: "\(classes) finite weights above 0, one per class")
            }
            loss.classWeights = weights
        }
        return loss
    }

    /// L-BFGS, or OWL-QN with the L1 share of the penalty on the weights (not intercepts).
    private func optimizer(_ loss: SoftmaxLoss) -> LBFGS {
        var optimizer = LBFGS(maxIterations: maxIter, tolerance: tol)
        let l1 = elasticNetParam * regParam
        if l1 > 0 {
            let weights = loss.vectors * loss.width
            optimizer.l1 = (0..<loss.parameterCount).map { $0 < weights ? l1 : 0 }
        }
        return optimizer
    }

    /// The model at the minimum `result` of `loss`, its weights for the features as given.
    private func model(_ loss: SoftmaxLoss, _ result: LBFGS.Result) -> LogisticRegressionModel {
        let (d, v) = (loss.width, loss.vectors)
        var weights = (0..<v).map { c in (0..<d).map { result.x[c * d + $0] * loss.scale[$0] } }
        var intercepts = Array(result.x[(v * d)...])
        if loss.binomial {  // Class 0: the zero vector.
            weights.insert([Double](repeating: 0, count: d), at: 0)
            intercepts.insert(0, at: 0)
        }
        return LogisticRegressionModel(
            featureColumns: featureColumns, predictionColumn: predictionColumn, probabilityColumn: probabilityColumn,
            coefficientMatrix: weights, interceptVector: intercepts, iterations: result.iterations, loss: result.value)
    }

    /// The labels as class indices 0, 1, ...
    static func classIndices(_ labels: FeatureMatrix, column: String) throws -> [Int] {
        try labels.values.enumerated().map { row, value in
            guard value >= 0, value < Double(1 << 20), value == value.rounded() else {
                throw MLError.invalidData(
                    "column \"\(column)\" holds \(value) at row \(row); labels are class indices 0, 1, 2, ...")
            }
            return Int(value)
        }
    }
}

/// A fitted `LogisticRegression`: class probabilities softmax(W x + b), the prediction the
/// most probable class (the first of ties).
public struct LogisticRegressionModel: Transformer, Codable, Equatable {
    public let featureColumns: [String]
    public let predictionColumn: String
    public let probabilityColumn: String
    /// Weights per class, for the features as given.
    public let coefficientMatrix: [[Double]]
    public let interceptVector: [Double]
    /// L-BFGS iterations the fit took, and the loss it reached (penalty included).
    public let iterations: Int
    public let loss: Double

    public var numClasses: Int { interceptVector.count }

    /// The frame with the prediction and one probability column per class added.
    /// - Throws: `MLError.invalidData` for missing, non-numeric, null or non-finite features.
    public func transform(_ frame: DataFrame) throws -> DataFrame {
        var batch = try frame.collect()
        let features = try FeatureMatrix(batch, columns: featureColumns)
        var probabilities = [[Double?]](repeating: [], count: numClasses)
        var predictions: [Double?] = []
        predictions.reserveCapacity(features.rows)
        for row in 0..<features.rows {
            let x = features.values[row * features.width..<(row + 1) * features.width]
            let z = (0..<numClasses).map { c in interceptVector[c] + dot(coefficientMatrix[c], x) }
            let top = z.max() ?? 0
            let exps = z.map { Foundation.exp($0 - top) }
            let total = exps.reduce(0, +)
            for c in 0..<numClasses { probabilities[c].append(exps[c] / total) }
            predictions.append(Double(z.firstIndex(of: top) ?? 0))
        }
        for c in 0..<numClasses { batch = try batch.adding("\(probabilityColumn)_\(c)", Column(probabilities[c])) }
        return DataFrame(try batch.adding(predictionColumn, Column(predictions)))
    }
}
