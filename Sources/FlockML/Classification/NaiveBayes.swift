import FlockData
import FlockRuntime
import Foundation

/// Naive Bayes classifiers (Spark ML's `NaiveBayes`): one pass over the rows sums each
/// class's features (`ClassConditionalSums`), and the model scores a row by
/// log P(class) + Σ_j log P(x_j | class).
///
/// - `.multinomial` (the default; features are non-negative counts or frequencies, as for
///   text): P(class) = (n_c + λ) / (n + kλ) and P(feature j | class) = (s_cj + λ) /
///   (Σ_j s_cj + dλ), λ the `smoothing`; a row's score adds x_j log P(j | class).
/// - `.gaussian` (real features): P(class) = n_c / n and x_j | class normal with the
///   class's mean and variance, each variance plus `varSmoothing` times the largest
///   feature variance (scikit-learn's `GaussianNB`, whose `var_smoothing` is 1e-9).
///
/// Labels are class indices 0..<k, as for `LogisticRegression`. The sums are merged in the
/// fixed tree, so the model is the same bit for bit on any thread count and on a cluster.
public struct NaiveBayes: Estimator {
    /// How a feature depends on the class.
    public enum ModelType: String, Codable, Sendable {
        case multinomial
        case gaussian
    }

    public var featureColumns: [String]
    public var labelColumn: String
    public var predictionColumn: String
    /// Prefix of the per-class probability columns (`probability_0`, ...).
    public var probabilityColumn: String
    public var modelType: ModelType
    /// Additive (Laplace) smoothing of the multinomial model (at least 0; default 1).
    public var smoothing: Double
    /// The Gaussian model's variance floor, a share of the largest variance (at least 0;
    /// default 1e-9).
    public var varSmoothing: Double

    /// A classifier of `labelColumn` by `featureColumns`.
    public init(
        featureColumns: [String], labelColumn: String = "label", predictionColumn: String = "prediction",
        probabilityColumn: String = "probability", modelType: ModelType = .multinomial, smoothing: Double = 1,
        varSmoothing: Double = 1e-9
    ) {
        self.featureColumns = featureColumns
        self.labelColumn = labelColumn
        self.predictionColumn = predictionColumn
        self.probabilityColumn = probabilityColumn
        self.modelType = modelType
        self.smoothing = smoothing
        self.varSmoothing = varSmoothing
    }

    /// Fits the class priors and conditionals.
    /// - Throws: `MLError.invalidParameter` for a bad parameter; `.invalidData` for bad
    ///   features, a negative feature in the multinomial model, labels that are not class
    ///   indices, a single class, or no rows.
    public func fit(_ frame: DataFrame) throws -> NaiveBayesModel {
        try checkParameters()
        let rows = try TrainingRows(
            fitting: frame, featureColumns: featureColumns, labelColumn: labelColumn, estimator: "NaiveBayes")
        return try model(statistic.reduce(rows))
    }

    /// Fits on `cluster`'s workers (one pass): the same model, bit for bit, as `fit(_:)` of
    /// the same rows in the same order, whatever the workers and `partitions`.
    /// - Throws: as `fit(_:)`, and the runtime's errors when tasks fail after their retries.
    public func fit(_ frame: DataFrame, on cluster: Cluster, partitions: Int? = nil) async throws -> NaiveBayesModel {
        try checkParameters()
        let rows = try await ShardedRows(
            frame, featureColumns: featureColumns, labelColumn: labelColumn, estimator: "NaiveBayes", on: cluster,
            partitions: partitions)
        return try model(try await rows.reduce(statistic))
    }

    private var statistic: ClassConditionalSums { ClassConditionalSums(moments: modelType == .gaussian) }

    private func checkParameters() throws {
        try Parameter.columns("featureColumns", featureColumns)
        try Parameter.atLeast("smoothing", smoothing, 0)
        try Parameter.atLeast("varSmoothing", varSmoothing, 0)
    }

    private func model(_ sums: ClassConditionalSums.Partial) throws -> NaiveBayesModel {
        let k = try ClassSummary.classes(sums.counts, invalid: sums.invalidLabel, labelColumn: labelColumn)
        let d = featureColumns.count
        let n = Double(sums.counts.reduce(0, +))
        switch modelType {
        case .multinomial:
            if let negative = sums.negative {
                throw MLError.invalidData(
                    "column \"\(featureColumns[negative.column])\" holds \(negative.value) at row \(negative.row); the multinomial model takes counts (0 or more)"
                )
            }
            let priorDenominator = log(n + Double(k) * smoothing)
            let priors = sums.counts.map { log(Double($0) + smoothing) - priorDenominator }
            let conditionals = (0..<k).map { c in
                let row = sums.sums[c * d..<(c + 1) * d]
                let denominator = log(row.reduce(0, +) + Double(d) * smoothing)
                return row.map { log($0 + smoothing) - denominator }
            }
            return NaiveBayesModel(
                featureColumns: featureColumns, predictionColumn: predictionColumn,
                probabilityColumn: probabilityColumn, modelType: .multinomial, logPriors: priors,
                conditionals: conditionals, variances: [])
        case .gaussian:
            // Invariant: the Gaussian statistic keeps moments per class and for all rows.
            let all = sums.moments!.reduce(Moments(width: d, pairs: false), Moments.merged)
            let largest = (0..<d).map { all.comoments[$0] / n }.max() ?? 0
            let floor = varSmoothing * largest
            let priors = sums.counts.map { log(Double($0) / n) }
            let means = sums.moments!.map(\.means)
            let variances = sums.moments!.map { m in
                (0..<d).map { m.count > 0 ? m.comoments[$0] / Double(m.count) + floor : floor }
            }
            return NaiveBayesModel(
                featureColumns: featureColumns, predictionColumn: predictionColumn,
                probabilityColumn: probabilityColumn, modelType: .gaussian, logPriors: priors, conditionals: means,
                variances: variances)
        }
    }
}

/// A fitted `NaiveBayes`: class probabilities from each class's log prior plus its log
/// likelihood of the row; the prediction the most probable class (the first of ties).
public struct NaiveBayesModel: Transformer, Codable, Equatable {
    public let featureColumns: [String]
    public let predictionColumn: String
    public let probabilityColumn: String
    public let modelType: NaiveBayes.ModelType
    /// log P(class), per class.
    public let logPriors: [Double]
    /// Per class: log P(feature | class) (multinomial), or the features' means (Gaussian).
    public let conditionals: [[Double]]
    /// Per class, the features' variances (Gaussian; empty for multinomial).
    public let variances: [[Double]]

    public var numClasses: Int { logPriors.count }

    /// Each class's log prior plus log likelihood of `x` (up to a constant shared by all).
    func scores(_ x: ArraySlice<Double>) -> [Double] {
        (0..<numClasses).map { c in
            switch modelType {
            case .multinomial: return logPriors[c] + dot(conditionals[c], x)
            case .gaussian:
                var sum = logPriors[c]
                for (j, value) in x.enumerated() {
                    let variance = variances[c][j]
                    let deviation = value - conditionals[c][j]
                    sum -= 0.5 * (log(2 * Double.pi * variance) + deviation * deviation / variance)
                }
                return sum
            }
        }
    }

    /// The frame with the prediction and one probability column per class added.
    /// - Throws: `MLError.invalidData` for missing, non-numeric, null or non-finite features.
    public func transform(_ frame: DataFrame) throws -> DataFrame {
        var batch = try frame.collect()
        let features = try FeatureMatrix(batch, columns: featureColumns)
        var probabilities = [[Double?]](repeating: [], count: numClasses)
        var predictions: [Double?] = []
        predictions.reserveCapacity(features.rows)
        for row in 0..<features.rows {
            let z = scores(features.values[row * features.width..<(row + 1) * features.width])
            let top = z.max() ?? 0
            let exps = z.map { exp($0 - top) }
            let total = exps.reduce(0, +)
            for c in 0..<numClasses { probabilities[c].append(exps[c] / total) }
            predictions.append(Double(z.firstIndex(of: top) ?? 0))
        }
        for c in 0..<numClasses { batch = try batch.adding("\(probabilityColumn)_\(c)", Column(probabilities[c])) }
        return DataFrame(try batch.adding(predictionColumn, Column(predictions)))
    }
}

extension NaiveBayesModel: SavableModel {
    public static let modelType = "NaiveBayesModel"

    /// One prior per class; per class as many conditionals (and variances, Gaussian, all
    /// above 0) as features.
    public func validate() throws {
        let d = featureColumns.count
        guard numClasses >= 1, conditionals.count == numClasses, conditionals.allSatisfy({ $0.count == d }),
            modelType == .multinomial
                ? variances.isEmpty
                : variances.count == numClasses && variances.allSatisfy({ $0.count == d && $0.allSatisfy { $0 > 0 } })
        else { throw MLError.invalidData("the model's arrays do not fit \(numClasses) classes of \(d) features") }
    }
}
