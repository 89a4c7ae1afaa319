import FlockData

/// k-means by Lloyd's iterations (Spark ML's `KMeans`): each row goes to its nearest centre,
/// each centre moves to the mean of its rows, until the centres move less than `tol` or
/// after `maxIter` rounds. The start is `initialCenters` when given (a fixed start, as
/// benchmarks use), else k-means++ seeded by `seed` (each next centre drawn with
/// probability proportional to its squared distance from the nearest chosen one). The
/// assignment pass sums each cluster's rows per block of rows and merges the sums in the
/// fixed tree (`BlockReduction`), so the model is the same bit for bit on any thread count.
/// A centre that loses all its rows stays where it was (as in Spark).
public struct KMeans: Estimator {
    public var featureColumns: [String]
    public var k: Int
    public var maxIter: Int
    /// Stops when no centre moves farther than this (Euclidean; default 1e-4; 0 runs all
    /// `maxIter` rounds unless the centres stop moving).
    public var tol: Double
    public var seed: UInt64
    /// Where to start (k rows of `featureColumns.count` values); nil: k-means++.
    public var initialCenters: [[Double]]?
    public var predictionColumn: String

    /// k-means of the rows' `featureColumns`.
    public init(
        featureColumns: [String], k: Int = 2, maxIter: Int = 20, tol: Double = 1e-4, seed: UInt64 = 1,
        initialCenters: [[Double]]? = nil, predictionColumn: String = "prediction"
    ) {
        self.featureColumns = featureColumns
        self.k = k
        self.maxIter = maxIter
        self.tol = tol
        self.seed = seed
        self.initialCenters = initialCenters
        self.predictionColumn = predictionColumn
    }

    /// Fits the centres.
    /// - Throws: `MLError.invalidParameter` for a bad k, maxIter, tol or start;
    ///   `.invalidData` for bad features or fewer rows than k.
    public func fit(_ frame: DataFrame) throws -> KMeansModel {
        try Parameter.columns("featureColumns", featureColumns)
        try Parameter.atLeast("k", k, 1)
        try Parameter.atLeast("maxIter", maxIter, 1)
        try Parameter.atLeast("tol", tol, 0)
        let matrix = try FeatureMatrix(try frame.collect(), columns: featureColumns)
        guard matrix.rows >= k else {
            throw MLError.invalidData("k is \(k) but there are only \(matrix.rows) rows; k must be at most the rows")
        }
        var centers: [Double]
        if let initialCenters {
            guard initialCenters.count == k, initialCenters.allSatisfy({ $0.count == matrix.width }) else {
                throw MLError.invalidParameter(
                    name: "initialCenters", value: "\(initialCenters.count) centres",
                    allowed: "k = \(k) centres of \(matrix.width) values each")
            }
            centers = initialCenters.flatMap { $0 }
        } else {
            centers = Self.plusPlus(matrix, k: k, seed: seed)
        }
        var iterations = 0
        var assignment = Self.assign(matrix, centers: centers, k: k)
        while iterations < maxIter {
            iterations += 1
            var moved = 0.0
            var next = centers
            for c in 0..<k where assignment.counts[c] > 0 {
                var distance = 0.0
                for j in 0..<matrix.width {
                    next[c * matrix.width + j] = assignment.sums[c * matrix.width + j] / Double(assignment.counts[c])
                    let shift = next[c * matrix.width + j] - centers[c * matrix.width + j]
                    distance += shift * shift
                }
                moved = Swift.max(moved, distance)
            }
            centers = next
            assignment = Self.assign(matrix, centers: centers, k: k)
            if moved.squareRoot() <= tol { break }
        }
        return KMeansModel(
            featureColumns: featureColumns, predictionColumn: predictionColumn,
            clusterCenters: (0..<k).map { Array(centers[$0 * matrix.width..<($0 + 1) * matrix.width]) },
            trainingCost: assignment.cost, iterations: iterations)
    }

    /// Each cluster's sum of rows and count, and the sum of squared distances to the
    /// nearest centre, for `centers` (k rows, row-major), per block in the fixed tree.
    static func assign(_ matrix: FeatureMatrix, centers: [Double], k: Int) -> ClusterSums {
        NearestCenter(centers: centers, k: k).withScorer { scorer in
            matrix.values.withUnsafeBufferPointer { x in
                BlockReduction.reduce(
                    rows: matrix.rows,
                    { range in
                        var block = ClusterSums(k: k, width: matrix.width)
                        for i in range {
                            let row = x.baseAddress! + i * matrix.width  // Invariant: rows * width values.
                            let best = scorer.nearest(row)
                            block.add(row, to: best, distance: scorer.squaredDistance(row, to: best))
                        }
                        return block
                    }, ClusterSums.merged)
            }
        }
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
        let matrix = try FeatureMatrix(try frame.collect(), columns: featureColumns)
        return KMeans.assign(matrix, centers: clusterCenters.flatMap { $0 }, k: clusterCenters.count).cost
    }
}

/// Per-cluster sums of rows, counts, and the summed squared distance to the nearest centre.
struct ClusterSums {
    var sums: [Double]
    var counts: [Int]
    var cost = 0.0
    let width: Int

    init(k: Int, width: Int) {
        self.width = width
        sums = [Double](repeating: 0, count: k * width)
        counts = [Int](repeating: 0, count: k)
    }

    /// Counts `row` (width values) into cluster `c`, `distance` away from its centre.
    @inline(__always)
    mutating func add(_ row: UnsafePointer<Double>, to c: Int, distance: Double) {
        for j in 0..<width { sums[c * width + j] += row[j] }
        counts[c] += 1
        cost += distance
    }

    /// Both blocks' sums together.
    static func merged(_ a: ClusterSums, _ b: ClusterSums) -> ClusterSums {
        var result = a
        for i in result.sums.indices { result.sums[i] += b.sums[i] }
        for c in result.counts.indices { result.counts[c] += b.counts[c] }
        result.cost += b.cost
        return result
    }
}
