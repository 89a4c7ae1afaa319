import FlockData
import FlockRuntime

/// Least-squares linear regression with an optional L2 penalty, solved by the normal
/// equations (Spark ML's `LinearRegression` with `solver = "normal"` and
/// `elasticNetParam = 0`): minimises
///
///     (1 / 2n) Σ (y - xᵀβ - b)² + (regParam / 2) ‖β‖²
///
/// (the intercept b is not penalised). Underneath: the count, means and centred
/// cross-moments of the features and the label, per block of rows and merged in a fixed
/// tree (`BlockReduction`), then (C + regParam I) β = c by Cholesky, where C and c are the
/// features' covariance and their covariance with the label (population, 1/n), and
/// b = mean(y) - mean(x)ᵀβ. The model is the same bit for bit on any number of threads.
///
/// With `elasticNetParam` α > 0 the penalty is Spark's (and scikit-learn's `ElasticNet`'s)
/// α λ ‖β‖₁ + (1 - α) λ/2 ‖β‖², minimised by OWL-QN on the same moments (the loss is the
/// quadratic ½ βᵀCβ - cᵀβ, so no pass over the rows is needed), so coefficients can be
/// exactly 0.
public struct LinearRegression: Estimator {
    public var featureColumns: [String]
    public var labelColumn: String
    public var predictionColumn: String
    /// The penalty's strength λ (at least 0; default 0).
    public var regParam: Double
    /// The penalty's mix α in [0, 1]: 0 (the default) is ridge, 1 the lasso.
    public var elasticNetParam: Double
    /// OWL-QN iterations at most, with an L1 share (at least 1; default 100).
    public var maxIter: Int
    /// OWL-QN stops when an iteration lowers the objective by at most this, relative
    /// (default 1e-6).
    public var tol: Double
    /// Fit an intercept (default true); without one the line goes through the origin.
    public var fitIntercept: Bool

    /// A regression of `labelColumn` on `featureColumns`.
    public init(
        featureColumns: [String], labelColumn: String = "label", predictionColumn: String = "prediction",
        regParam: Double = 0, elasticNetParam: Double = 0, maxIter: Int = 100, tol: Double = 1e-6,
        fitIntercept: Bool = true
    ) {
        self.featureColumns = featureColumns
        self.labelColumn = labelColumn
        self.predictionColumn = predictionColumn
        self.regParam = regParam
        self.elasticNetParam = elasticNetParam
        self.maxIter = maxIter
        self.tol = tol
        self.fitIntercept = fitIntercept
    }

    /// Fits the coefficients.
    /// - Throws: `MLError.invalidParameter` for a negative penalty or no features,
    ///   `.invalidData` for missing, non-numeric, null or non-finite values or no rows,
    ///   `.notSolvable` for collinear features without a penalty.
    public func fit(_ frame: DataFrame) throws -> LinearRegressionModel {
        try checkParameters()
        // The label is the last column of the moments' rows.
        let rows = try TrainingRows(
            fitting: frame, featureColumns: featureColumns + [labelColumn], labelColumn: nil,
            estimator: "LinearRegression")
        return try model(MomentsStatistic(pairs: true).reduce(rows))
    }

    /// Fits the coefficients on `cluster`'s workers (one pass: each shard's moments): the
    /// same model, bit for bit, as `fit(_:)` of the same rows in the same order, whatever the
    /// workers and `partitions` (default twice the workers; a persisted frame keeps its own).
    /// - Throws: as `fit(_:)`, and the runtime's errors when tasks fail after their retries.
    public func fit(_ frame: DataFrame, on cluster: Cluster, partitions: Int? = nil) async throws
        -> LinearRegressionModel
    {
        try checkParameters()
        let rows = try await ShardedRows(
            frame, featureColumns: featureColumns + [labelColumn], labelColumn: nil, estimator: "LinearRegression",
            on: cluster, partitions: partitions)
        return try model(try await rows.reduce(MomentsStatistic(pairs: true)))
    }

    private func checkParameters() throws {
        try Parameter.columns("featureColumns", featureColumns)
        try Parameter.atLeast("regParam", regParam, 0)
        try Parameter.unitInterval("elasticNetParam", elasticNetParam)
        try Parameter.atLeast("maxIter", maxIter, 1)
        try Parameter.atLeast("tol", tol, 0)
    }

    /// The solution of the normal equations given the moments of the features and the label
    /// (the last variable).
    private func model(_ moments: Moments) throws -> LinearRegressionModel {
        let d = featureColumns.count
        let n = Double(moments.count)
        // Through the origin the moments are about 0, not the means: add the means back.
        func moment(_ i: Int, _ j: Int) -> Double {
            let centred = moments.comoments[i * (d + 1) + j] / n
            return fitIntercept ? centred : centred + moments.means[i] * moments.means[j]
        }
        var gram = [Double](repeating: 0, count: d * d)
        for i in 0..<d { for j in 0..<d { gram[i * d + j] = moment(i, j) } }
        for i in 0..<d { gram[i * d + i] += (1 - elasticNetParam) * regParam }
        let target = (0..<d).map { moment($0, d) }
        let coefficients: [Double]
        if elasticNetParam * regParam > 0 {
            coefficients = lasso(gram, target)
        } else if let solved = Cholesky.solve(gram, target) {
            coefficients = solved
        } else {
            throw MLError.notSolvable(
                "the features \(featureColumns) are collinear or constant; drop one or set regParam above 0")
        }
        let intercept =
            fitIntercept ? moments.means[d] - zip(coefficients, moments.means).reduce(0) { $0 + $1.0 * $1.1 } : 0
        return LinearRegressionModel(
            featureColumns: featureColumns, predictionColumn: predictionColumn, coefficients: coefficients,
            intercept: intercept)
    }
}

extension LinearRegression {
    /// argmin ½ βᵀGβ - tᵀβ + α λ ‖β‖₁ by OWL-QN from 0 (G already holds the L2 share).
    fileprivate func lasso(_ gram: [Double], _ target: [Double]) -> [Double] {
        let d = target.count
        var optimizer = LBFGS(maxIterations: maxIter, tolerance: tol)
        optimizer.l1 = [Double](repeating: elasticNetParam * regParam, count: d)
        return optimizer.minimize(from: [Double](repeating: 0, count: d)) { beta in
            let product = (0..<d).map { i in dot(gram[(i * d)..<((i + 1) * d)], beta) }
            let value = 0.5 * dot(beta, product) - dot(target, beta)
            return (value, zip(product, target).map { $0 - $1 })
        }.x
    }
}

/// A fitted `LinearRegression`: prediction = xᵀ coefficients + intercept.
public struct LinearRegressionModel: Transformer, Codable, Equatable {
    public let featureColumns: [String]
    public let predictionColumn: String
    public let coefficients: [Double]
    public let intercept: Double

    /// The frame with the prediction column added.
    /// - Throws: `MLError.invalidData` for missing, non-numeric, null or non-finite features.
    public func transform(_ frame: DataFrame) throws -> DataFrame {
        let batch = try frame.collect()
        let features = try FeatureMatrix(batch, columns: featureColumns)
        let predictions: [Double?] = (0..<features.rows).map { row in
            var sum = intercept
            for j in 0..<features.width { sum += coefficients[j] * features.values[row * features.width + j] }
            return sum
        }
        return DataFrame(try batch.adding(predictionColumn, Column(predictions)))
    }
}
