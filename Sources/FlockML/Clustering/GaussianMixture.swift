import FlockData
import FlockRuntime
import Foundation

/// A mixture of k multivariate normals with full covariances, fitted by expectation-
/// maximisation (Spark ML's `GaussianMixture`, scikit-learn's `GaussianMixture`). The
/// means start at k-means centres (k-means|| and 10 Lloyd rounds from `seed`), every
/// covariance at the features' covariance, the weights equal; then `MixtureRounds` until
/// the mean log-likelihood per row changes by less than `tol` or `maxIter` rounds.
/// `regCovar` is added to every covariance's diagonal (scikit-learn's `reg_covar`), which
/// keeps them invertible. Every pass is a block statistic merged in the fixed tree, so the
/// model is the same bit for bit on any thread count and on a cluster.
public struct GaussianMixture: Estimator {
    public var featureColumns: [String]
    public var k: Int
    public var maxIter: Int
    /// Stops when the mean log-likelihood per row changes by less than this (default 1e-3).
    public var tol: Double
    public var seed: UInt64
    /// Added to each covariance's diagonal (at least 0; default 1e-6).
    public var regCovar: Double
    public var predictionColumn: String
    /// Prefix of the per-component probability columns (`probability_0`, ...).
    public var probabilityColumn: String
    /// Gets a line per EM round (number, mean log-likelihood per row, time).
    public var progress: (@Sendable (String) -> Void)?

    /// A mixture of `k` components over `featureColumns`.
    public init(
        featureColumns: [String], k: Int = 2, maxIter: Int = 100, tol: Double = 1e-3, seed: UInt64 = 1,
        regCovar: Double = 1e-6, predictionColumn: String = "prediction", probabilityColumn: String = "probability",
        progress: (@Sendable (String) -> Void)? = nil
    ) {
        self.featureColumns = featureColumns
        self.k = k
        self.maxIter = maxIter
        self.tol = tol
        self.seed = seed
        self.regCovar = regCovar
        self.predictionColumn = predictionColumn
        self.probabilityColumn = probabilityColumn
        self.progress = progress
    }

    /// Fits the mixture.
    /// - Throws: `MLError.invalidParameter` for a bad parameter; `.invalidData` for bad
    ///   features or fewer rows than k; `.notSolvable` for a singular covariance.
    public func fit(_ frame: DataFrame) throws -> GaussianMixtureModel {
        try checkParameters()
        let rows = try TrainingRows(
            fitting: frame, featureColumns: featureColumns, labelColumn: nil, estimator: "GaussianMixture")
        try Parameter.clusters(k, rows: rows.count)
        var start = KMeansParallel(k: k, steps: 2, seed: seed, rows: rows.count)
        while let pass = start.wanted { start.observe(pass.reduce(rows)) }
        var lloyd = lloydRounds(start)
        while let centers = lloyd.wanted { lloyd.observe(ClusterAssignment(centers: centers, k: k).reduce(rows)) }
        var rounds = try emRounds(lloyd, MomentsStatistic(pairs: true).reduce(rows))
        let lines = progress.map(ProgressLines.init)
        while let step = rounds.wanted {
            try rounds.observe(step.reduce(rows))
            report(rounds, to: lines)
        }
        return model(rounds)
    }

    /// Fits on `cluster`'s workers: the same model, bit for bit, as `fit(_:)` of the same
    /// rows in the same order, whatever the workers and `partitions`.
    /// - Throws: as `fit(_:)`, and the runtime's errors when tasks fail after their retries.
    public func fit(_ frame: DataFrame, on cluster: Cluster, partitions: Int? = nil) async throws
        -> GaussianMixtureModel
    {
        try checkParameters()
        let rows = try await ShardedRows(
            frame, featureColumns: featureColumns, labelColumn: nil, estimator: "GaussianMixture", on: cluster,
            partitions: partitions)
        try Parameter.clusters(k, rows: rows.count)
        var start = KMeansParallel(k: k, steps: 2, seed: seed, rows: rows.count)
        while let pass = start.wanted { start.observe(try await rows.reduce(pass)) }
        var lloyd = lloydRounds(start)
        while let centers = lloyd.wanted {
            lloyd.observe(try await rows.reduce(ClusterAssignment(centers: centers, k: k)))
        }
        var rounds = try emRounds(lloyd, try await rows.reduce(MomentsStatistic(pairs: true)))
        let lines = progress.map(ProgressLines.init)
        while let step = rounds.wanted {
            try rounds.observe(try await rows.reduce(step))
            report(rounds, to: lines)
        }
        return model(rounds)
    }

    /// A line for the E-step just observed.
    private func report(_ rounds: MixtureRounds, to lines: ProgressLines?) {
        guard let lines, let logLikelihood = rounds.logLikelihood else { return }
        lines.round(
            rounds.iterations, of: maxIter, finished: rounds.wanted == nil, "log-likelihood \(logLikelihood) a row")
    }

    private func checkParameters() throws {
        try Parameter.columns("featureColumns", featureColumns)
        try Parameter.atLeast("k", k, 1)
        try Parameter.atLeast("maxIter", maxIter, 1)
        try Parameter.atLeast("tol", tol, 0)
        try Parameter.atLeast("regCovar", regCovar, 0)
    }

    /// Ten Lloyd rounds from the k-means|| start.
    private func lloydRounds(_ start: KMeansParallel) -> LloydRounds {
        // Invariant: the start has observed every pass it asked for.
        LloydRounds(start: start.centers!, k: k, maxIter: 10, tol: 1e-4)
    }

    /// EM from the k-means centres, the features' covariance and equal weights.
    private func emRounds(_ lloyd: LloydRounds, _ moments: Moments) throws -> MixtureRounds {
        let d = featureColumns.count
        let denominator = Double(Swift.max(moments.count, 1))
        var covariance = moments.comoments.map { $0 / denominator }
        for j in 0..<d { covariance[j * d + j] += regCovar }
        let weights = [Double](repeating: 1 / Double(k), count: k)
        let covariances = [[Double]](repeating: covariance, count: k).flatMap { $0 }
        guard GaussianComponents(weights: weights, means: lloyd.centers, covariances: covariances, width: d) != nil
        else {
            throw MLError.notSolvable(
                "the features \(featureColumns) are collinear or constant; drop one or set regCovar above 0")
        }
        return MixtureRounds(
            weights: weights, means: lloyd.centers, covariances: covariances, width: d, rows: moments.count,
            maxIter: maxIter, tol: tol, regCovar: regCovar)
    }

    private func model(_ rounds: MixtureRounds) -> GaussianMixtureModel {
        let d = featureColumns.count
        return GaussianMixtureModel(
            featureColumns: featureColumns, predictionColumn: predictionColumn, probabilityColumn: probabilityColumn,
            weights: rounds.weights, means: (0..<k).map { Array(rounds.means[$0 * d..<($0 + 1) * d]) },
            covariances: (0..<k).map { Array(rounds.covariances[$0 * d * d..<($0 + 1) * d * d]) },
            // Invariant: the rounds end on an observed E-step.
            logLikelihood: rounds.logLikelihood!, iterations: rounds.iterations)
    }
}

/// A fitted `GaussianMixture`: each row's probability of each component, and the most
/// probable as its prediction (the first of ties).
public struct GaussianMixtureModel: Transformer, Codable, Equatable {
    public let featureColumns: [String]
    public let predictionColumn: String
    public let probabilityColumn: String
    public let weights: [Double]
    public let means: [[Double]]
    /// Per component, the covariance matrix row-major (features x features).
    public let covariances: [[Double]]
    /// The training rows' mean log-likelihood under the model.
    public let logLikelihood: Double
    public let iterations: Int

    /// The frame with the prediction and one probability column per component added.
    /// - Throws: `MLError.invalidData` for bad features, or a model whose covariances are
    ///   not positive definite.
    public func transform(_ frame: DataFrame) throws -> DataFrame {
        var batch = try frame.collect()
        let x = try FeatureMatrix(batch, columns: featureColumns)
        let (k, d) = (weights.count, x.width)
        guard
            let components = GaussianComponents(
                weights: weights, means: means.flatMap { $0 }, covariances: covariances.flatMap { $0 }, width: d)
        else { throw MLError.invalidData("the mixture's covariances are not positive definite") }
        var probabilities = [[Double?]](repeating: [], count: k)
        var predictions: [Double?] = []
        let scores = UnsafeMutablePointer<Double>.allocate(capacity: k)
        let scratch = UnsafeMutablePointer<Double>.allocate(capacity: Swift.max(d, 1))
        defer { for pointer in [scores, scratch] { pointer.deallocate() } }
        x.values.withUnsafeBufferPointer { values in
            for row in 0..<x.rows {
                components.logDensities(values.baseAddress! + row * d, into: scores, scratch: scratch)
                let total = logSumExp(scores, k)
                var best = 0
                for c in 0..<k {
                    probabilities[c].append(exp(scores[c] - total))
                    if scores[c] > scores[best] { best = c }
                }
                predictions.append(Double(best))
            }
        }
        for c in 0..<k { batch = try batch.adding("\(probabilityColumn)_\(c)", Column(probabilities[c])) }
        return DataFrame(try batch.adding(predictionColumn, Column(predictions)))
    }
}

extension GaussianMixtureModel: SavableModel {
    public static let modelType = "GaussianMixtureModel"

    /// Weights (positive), means and covariances (positive definite) that fit together.
    public func validate() throws {
        let d = featureColumns.count
        guard !weights.isEmpty, weights.allSatisfy({ $0 > 0 }), means.count == weights.count,
            means.allSatisfy({ $0.count == d }), covariances.count == weights.count,
            covariances.allSatisfy({ $0.count == d * d }),
            GaussianComponents(
                weights: weights, means: means.flatMap { $0 }, covariances: covariances.flatMap { $0 }, width: d) != nil
        else { throw MLError.invalidData("the mixture's weights, means and covariances do not fit \(d) features") }
    }
}
