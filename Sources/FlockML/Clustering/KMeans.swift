import FlockData
import FlockRuntime

/// k-means by Lloyd's iterations (Spark ML's `KMeans`): each row goes to its nearest centre,
/// each centre moves to the mean of its rows, until the centres move less than `tol` or
/// after `maxIter` rounds (`LloydRounds`). The start is `initialCenters` when given (a fixed
/// start, as benchmarks use), else k-means|| (`KMeansParallel`, Spark's default, `initSteps`
/// rounds) or k-means++ (in-process only: it reads every row once per centre), seeded by
/// `seed`. The assignment pass sums each cluster's rows per block of rows and merges the
/// sums in the fixed tree (`ClusterAssignment`), so the model is the same bit for bit on
/// any thread count, and on a cluster (`fit(_:on:)`) on any number of workers. A centre
/// that loses all its rows stays where it was (as in Spark).
public struct KMeans: Estimator {
    /// How the centres start when `initialCenters` is nil.
    public enum InitMode: String, Codable, Sendable {
        /// k-means|| (Spark's default): a few oversampling passes, then k-means++ on the sample.
        case kMeansParallel = "k-means||"
        /// k-means++ over every row (in-process only).
        case kMeansPlusPlus = "k-means++"
    }

    public var featureColumns: [String]
    public var k: Int
    public var maxIter: Int
    /// Stops when no centre moves farther than this (Euclidean; default 1e-4; 0 runs all
    /// `maxIter` rounds unless the centres stop moving).
    public var tol: Double
    public var seed: UInt64
    /// Where to start (k rows of `featureColumns.count` values); nil: `initMode`.
    public var initialCenters: [[Double]]?
    public var initMode: InitMode
    /// k-means|| oversampling rounds (at least 0; default 2, as Spark).
    public var initSteps: Int
    public var predictionColumn: String
    /// Gets a line per Lloyd round (number, cost before the move, time) and one at the end.
    public var progress: (@Sendable (String) -> Void)?

    /// k-means of the rows' `featureColumns`.
    public init(
        featureColumns: [String], k: Int = 2, maxIter: Int = 20, tol: Double = 1e-4, seed: UInt64 = 1,
        initialCenters: [[Double]]? = nil, initMode: InitMode = .kMeansParallel, initSteps: Int = 2,
        predictionColumn: String = "prediction", progress: (@Sendable (String) -> Void)? = nil
    ) {
        self.featureColumns = featureColumns
        self.k = k
        self.maxIter = maxIter
        self.tol = tol
        self.seed = seed
        self.initialCenters = initialCenters
        self.initMode = initMode
        self.initSteps = initSteps
        self.predictionColumn = predictionColumn
        self.progress = progress
    }

    /// Fits the centres.
    /// - Throws: `MLError.invalidParameter` for a bad k, maxIter, tol, initSteps or start;
    ///   `.invalidData` for bad features or fewer rows than k.
    public func fit(_ frame: DataFrame) throws -> KMeansModel {
        try checkParameters()
        let rows = try TrainingRows(
            fitting: frame, featureColumns: featureColumns, labelColumn: nil, estimator: "KMeans")
        try Parameter.clusters(k, rows: rows.count)
        var start = try initialCenters.map(fixedStart)
        if start == nil, initMode == .kMeansPlusPlus { start = Self.plusPlus(rows.features, k: k, seed: seed) }
        if start == nil {
            var initialisation = KMeansParallel(k: k, steps: initSteps, seed: seed, rows: rows.count)
            while let pass = initialisation.wanted { initialisation.observe(pass.reduce(rows)) }
            start = initialisation.centers
        }
        // Invariant: every branch above sets a start.
        var rounds = LloydRounds(start: start!, k: k, maxIter: maxIter, tol: tol)
        let lines = progress.map(ProgressLines.init)
        while let centers = rounds.wanted {
            rounds.observe(ClusterAssignment(centers: centers, k: k).reduce(rows))
            report(rounds, to: lines)
        }
        return model(rounds)
    }

    /// Fits the centres on `cluster`'s workers (k-means|| or a fixed start): the same model,
    /// bit for bit, as `fit(_:)` of the same rows in the same order, whatever the workers and
    /// `partitions` (default twice the workers; a persisted frame keeps its own). Each pass
    /// is one task per shard of rows; the workers keep their shards between passes.
    /// - Throws: as `fit(_:)`; `MLError.invalidParameter` for k-means++; the runtime's
    ///   errors when tasks fail after their retries.
    public func fit(_ frame: DataFrame, on cluster: Cluster, partitions: Int? = nil) async throws -> KMeansModel {
        try checkParameters()
        if initialCenters == nil, initMode == .kMeansPlusPlus {
            throw MLError.invalidParameter(
                name: "initMode", value: initMode.rawValue,
                allowed: "k-means|| or initialCenters on a cluster (k-means++ reads every row once per centre)")
        }
        let rows = try await ShardedRows(
            frame, featureColumns: featureColumns, labelColumn: nil, estimator: "KMeans", on: cluster,
            partitions: partitions)
        try Parameter.clusters(k, rows: rows.count)
        var start = try initialCenters.map(fixedStart)
        if start == nil {
            var initialisation = KMeansParallel(k: k, steps: initSteps, seed: seed, rows: rows.count)
            while let pass = initialisation.wanted { initialisation.observe(try await rows.reduce(pass)) }
            start = initialisation.centers
        }
        // Invariant: a start is set above.
        var rounds = LloydRounds(start: start!, k: k, maxIter: maxIter, tol: tol)
        let lines = progress.map(ProgressLines.init)
        while let centers = rounds.wanted {
            rounds.observe(try await rows.reduce(ClusterAssignment(centers: centers, k: k)))
            report(rounds, to: lines)
        }
        return model(rounds)
    }

    /// A line for the assignment just observed: the cost of the centres before the round
    /// it moved them in, or of the final centres.
    private func report(_ rounds: LloydRounds, to lines: ProgressLines?) {
        guard let lines, let cost = rounds.assignment?.cost else { return }
        lines.round(rounds.iterations, of: maxIter, finished: rounds.wanted == nil, "cost \(cost)")
    }

    private func checkParameters() throws {
        try Parameter.columns("featureColumns", featureColumns)
        try Parameter.atLeast("k", k, 1)
        try Parameter.atLeast("maxIter", maxIter, 1)
        try Parameter.atLeast("tol", tol, 0)
        try Parameter.atLeast("initSteps", initSteps, 0)
    }

    /// `initialCenters` flattened, checked against k and the features.
    private func fixedStart(_ centers: [[Double]]) throws -> [Double] {
        let width = featureColumns.count
        guard centers.count == k, centers.allSatisfy({ $0.count == width }) else {
            throw MLError.invalidParameter(
                name: "initialCenters", value: "\(centers.count) centres",
                allowed: "k = \(k) centres of \(width) values each")
        }
        return centers.flatMap { $0 }
    }

    private func model(_ rounds: LloydRounds) -> KMeansModel {
        let width = featureColumns.count
        return KMeansModel(
            featureColumns: featureColumns, predictionColumn: predictionColumn,
            clusterCenters: (0..<k).map { Array(rounds.centers[$0 * width..<($0 + 1) * width]) },
            // Invariant: the rounds end with the final centres' assignment observed.
            trainingCost: rounds.assignment!.cost, iterations: rounds.iterations)
    }

    /// k-means++ (Arthur and Vassilvitskii): the first centre a uniformly drawn row, each
    /// next one a row drawn with probability proportional to its squared distance from the
    /// nearest centre so far.
    static func plusPlus(_ matrix: FeatureMatrix, k: Int, seed: UInt64) -> [Double] {
        var random = RandomStream(seed: seed)
        let d = matrix.width
        func row(_ i: Int) -> ArraySlice<Double> { matrix.values[i * d..<(i + 1) * d] }
        var centers = Array(row(random.below(matrix.rows)))
        var distances = [Double](repeating: .infinity, count: matrix.rows)
        for _ in 1..<k {
            let last = centers.count / d - 1
            matrix.values.withUnsafeBufferPointer { x in
                centers.withUnsafeBufferPointer { all in
                    // Invariant: x holds rows * d values, all holds (last + 1) * d.
                    let center = all.baseAddress! + last * d
                    for i in 0..<matrix.rows {
                        let distance = VectorKernels.squaredDistance(x.baseAddress! + i * d, center, d)
                        distances[i] = Swift.min(distances[i], distance)
                    }
                }
            }
            let total = distances.reduce(0, +)
            var target = random.unit() * total
            var chosen = matrix.rows - 1
            for (i, distance) in distances.enumerated() {
                target -= distance
                if target < 0 {
                    chosen = i
                    break
                }
            }
            centers.append(contentsOf: row(chosen))
        }
        return centers
    }
}

/// A fitted `KMeans`: the centres, and each row's nearest as its prediction.
public struct KMeansModel: Transformer, Codable, Equatable {
    public let featureColumns: [String]
    public let predictionColumn: String
    public let clusterCenters: [[Double]]
    /// The sum of squared distances of the training rows to their nearest centre.
    public let trainingCost: Double
    public let iterations: Int

    /// The frame with each row's cluster (int64) added.
    /// - Throws: `MLError.invalidData` for missing, non-numeric, null or non-finite features.
    public func transform(_ frame: DataFrame) throws -> DataFrame {
        let batch = try frame.collect()
        let matrix = try FeatureMatrix(batch, columns: featureColumns)
        let rule = NearestCenter(centers: clusterCenters.flatMap { $0 }, k: clusterCenters.count)
        let clusters: [Int64?] = rule.withScorer { scorer in
            matrix.values.withUnsafeBufferPointer { x in
                // Invariant: x holds rows * width values.
                (0..<matrix.rows).map { i in Int64(scorer.nearest(x.baseAddress! + i * matrix.width)) }
            }
        }
        return DataFrame(try batch.adding(predictionColumn, Column(clusters)))
    }

    /// The sum of squared distances of the frame's rows to their nearest centre.
    /// - Throws: as `transform`.
    public func cost(_ frame: DataFrame) throws -> Double {
        let rows = TrainingRows(
            features: try FeatureMatrix(try frame.collect(), columns: featureColumns), labels: [], firstRow: 0)
        return ClusterAssignment(centers: clusterCenters.flatMap { $0 }, k: clusterCenters.count).reduce(rows).cost
    }
}
