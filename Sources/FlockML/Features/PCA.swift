import FlockData
import FlockRuntime

/// Principal component analysis (Spark ML's `PCA`, scikit-learn's centring): the top `k`
/// eigenvectors of the features' covariance (their `Moments`, merged in the fixed tree,
/// then `SymmetricEigen`), and a model that adds `outputColumn_0..k-1`, each row's centred
/// features projected on each component. Components are signed so their largest entry is
/// positive. Fits in-process or on a cluster (one pass) with the same bits. With many
/// inputs and few components the top k come from randomized subspace iteration on the
/// covariance (`SubspaceIteration`) instead of its whole decomposition.
public struct PCA: Estimator {
    public var inputColumns: [String]
    /// Components kept (1 ... the input columns).
    public var k: Int
    /// Prefix of the output columns (default "pca").
    public var outputColumn: String
    /// How the components are found (default `.auto`).
    public var solver: Solver
    /// The seed of the randomized solver's starting block.
    public var seed: UInt64

    /// How `PCA` finds the components of the covariance matrix (d x d for d inputs).
    public enum Solver: String, Codable, Sendable {
        /// `.randomized` for more than 200 inputs when k is at most a fifth of them, else `.full`.
        case auto
        /// Every eigenpair (cyclic Jacobi, `SymmetricEigen`): O(d³) a sweep.
        case full
        /// The top k only, by randomized subspace iteration: O(d² (k + 10)) a step.
        case randomized
    }

    /// The top `k` components of `inputColumns`.
    public init(
        inputColumns: [String], k: Int, outputColumn: String = "pca", solver: Solver = .auto, seed: UInt64 = 0
    ) {
        self.inputColumns = inputColumns
        self.k = k
        self.outputColumn = outputColumn
        self.solver = solver
        self.seed = seed
    }

    /// Fits the components.
    /// - Throws: `MLError.invalidParameter` for k outside 1 ... the columns;
    ///   `.invalidData` for missing, non-numeric, null or non-finite values or no rows.
    public func fit(_ frame: DataFrame) throws -> PCAModel {
        try checkParameters()
        let rows = try TrainingRows(fitting: frame, featureColumns: inputColumns, labelColumn: nil, estimator: "PCA")
        return model(MomentsStatistic(pairs: true).reduce(rows))
    }

    /// Fits on `cluster`'s workers (one pass): the same model, bit for bit, as `fit(_:)`.
    /// - Throws: as `fit(_:)`, and the runtime's errors when tasks fail after their retries.
    public func fit(_ frame: DataFrame, on cluster: Cluster, partitions: Int? = nil) async throws -> PCAModel {
        try checkParameters()
        let rows = try await ShardedRows(
            frame, featureColumns: inputColumns, labelColumn: nil, estimator: "PCA", on: cluster,
            partitions: partitions)
        return model(try await rows.reduce(MomentsStatistic(pairs: true)))
    }

    private func checkParameters() throws {
        try Parameter.columns("inputColumns", inputColumns)
        guard (1...inputColumns.count).contains(k) else {
            throw MLError.invalidParameter(
                name: "k", value: "\(k)", allowed: "1 ... \(inputColumns.count) (the columns)")
        }
    }

    private func model(_ moments: Moments) -> PCAModel {
        let d = inputColumns.count
        let denominator = Double(Swift.max(moments.count - 1, 1))
        let covariance = moments.comoments.map { $0 / denominator }
        let randomized = solver == .randomized || (solver == .auto && d > 200 && 5 * k <= d)
        let (values, vectors) =
            randomized
            ? SubspaceIteration.top(k, of: covariance, n: d, seed: seed) : SymmetricEigen.decompose(covariance, n: d)
        // The total variance: the trace, which is every eigenvalue's sum.
        let total = (0..<d).reduce(0) { $0 + Swift.max(covariance[$1 * d + $1], 0) }
        return PCAModel(
            inputColumns: inputColumns, outputColumn: outputColumn, mean: moments.means,
            components: Array(vectors.prefix(k)),
            explainedVariance: values.prefix(k).map { Swift.max($0, 0) },
            explainedVarianceRatio: values.prefix(k).map { total > 0 ? Swift.max($0, 0) / total : 0 })
    }
}

/// A fitted `PCA`: the means, the components (rows of input-column weights), and the
/// variance each explains (sample variance, n - 1), alone and as a share of the total.
public struct PCAModel: Transformer, Codable, Equatable {
    public let inputColumns: [String]
    public let outputColumn: String
    public let mean: [Double]
    public let components: [[Double]]
    public let explainedVariance: [Double]
    public let explainedVarianceRatio: [Double]

    /// The frame with `outputColumn_0..k-1` added.
    /// - Throws: `MLError.invalidData` for missing, non-numeric, null or non-finite inputs.
    public func transform(_ frame: DataFrame) throws -> DataFrame {
        var batch = try frame.collect()
        let x = try FeatureMatrix(batch, columns: inputColumns)
        let d = x.width
        var centred = [Double](repeating: 0, count: d)
        var outputs = [[Double?]](repeating: [], count: components.count)
        for row in 0..<x.rows {
            for j in 0..<d { centred[j] = x.values[row * d + j] - mean[j] }
            for (c, component) in components.enumerated() { outputs[c].append(dot(component, centred)) }
        }
        for c in components.indices { batch = try batch.adding("\(outputColumn)_\(c)", Column(outputs[c])) }
        return DataFrame(batch)
    }
}

extension PCAModel: SavableModel {
    public static let modelType = "PCAModel"

    /// A mean per input, components of that length, and a variance and ratio per component.
    public func validate() throws {
        let d = inputColumns.count
        guard mean.count == d, !components.isEmpty, components.allSatisfy({ $0.count == d }),
            explainedVariance.count == components.count, explainedVarianceRatio.count == components.count
        else { throw MLError.invalidData("the model's arrays do not fit \(d) inputs") }
    }
}
