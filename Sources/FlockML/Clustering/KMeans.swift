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
    /// nearest centre, for `centers` (k rows, row-major). The nearest centre minimises
    /// ‖c‖² - 2 x·c, computed for eight centres at a time in SIMD registers from the centres
    /// transposed and padded to a multiple of eight (padding lanes score +∞); the chosen
    /// centre's distance is then summed from the differences, exactly.
    static func assign(_ matrix: FeatureMatrix, centers: [Double], k: Int) -> ClusterSums {
        let d = matrix.width
        let lanes = (k + 7) / 8 * 8
        var transposed = [Double](repeating: 0, count: d * lanes)  // [j][c], c padded to `lanes`
        var norms = [Double](repeating: .infinity, count: lanes)
        for c in 0..<k {
            norms[c] = 0
            for j in 0..<d {
                transposed[j * lanes + c] = centers[c * d + j]
                norms[c] += centers[c * d + j] * centers[c * d + j]
            }
        }
        return matrix.values.withUnsafeBufferPointer { x in
            centers.withUnsafeBufferPointer { centers in
                transposed.withUnsafeBufferPointer { transposed in
                    norms.withUnsafeBufferPointer { norms in
                        BlockReduction.reduce(
                            rows: matrix.rows,
                            { range in
                                assignBlock(x, range, centers, transposed, norms, k: k, width: d, lanes: lanes)
                            }, ClusterSums.merged)
                    }
                }
            }
        }
    }

    /// `assign` for rows `range`.
    private static func assignBlock(
        _ x: UnsafeBufferPointer<Double>, _ range: Range<Int>, _ centers: UnsafeBufferPointer<Double>,
        _ transposed: UnsafeBufferPointer<Double>, _ norms: UnsafeBufferPointer<Double>, k: Int, width d: Int,
        lanes: Int
    ) -> ClusterSums {
        var block = ClusterSums(k: k, width: d)
        let raw = UnsafeRawPointer(transposed.baseAddress!)  // Invariant: d * lanes values, d >= 1.
        let norm = UnsafeRawPointer(norms.baseAddress!)
        for i in range {
            let row = x.baseAddress! + i * d  // Invariant: rows * width values.
            var best = 0
            var bestScore = Double.infinity
            for chunk in stride(from: 0, to: lanes, by: 8) {
                var scores = norm.loadUnaligned(fromByteOffset: chunk * 8, as: SIMD8<Double>.self)
                for j in 0..<d {
                    let column = raw.loadUnaligned(fromByteOffset: (j * lanes + chunk) * 8, as: SIMD8<Double>.self)
                    scores -= 2 * row[j] * column
                }
                for lane in 0..<8 where scores[lane] < bestScore {
                    bestScore = scores[lane]
                    best = chunk + lane
                }
            }
            var distance = 0.0
            for j in 0..<d {
                let difference = row[j] - centers[best * d + j]
                distance += difference * difference
                block.sums[best * d + j] += row[j]
            }
            block.counts[best] += 1
            block.cost += distance
        }
        return block
    }

    /// The nearest of the `k` centres to `row` (the first of ties) and its squared distance.
    static func nearest(_ row: UnsafeBufferPointer<Double>, _ centers: UnsafeBufferPointer<Double>, _ k: Int) -> (
        Int, Double
    ) {
        let d = row.count
        var best = 0
        var bestDistance = Double.infinity
        for c in 0..<k {
            var distance = 0.0
            for j in 0..<d {
                let difference = row[j] - centers[c * d + j]
                distance += difference * difference
            }
            if distance < bestDistance {
                best = c
                bestDistance = distance
            }
        }
        return (best, bestDistance)
    }

    /// k-means++ (Arthur and Vassilvitskii): the first centre a uniformly drawn row, each
    /// next one a row drawn with probability proportional to its squared distance from the
    /// nearest centre so far.
    static func plusPlus(_ matrix: FeatureMatrix, k: Int, seed: UInt64) -> [Double] {
        var random = SeededRandom(seed: seed)
        let d = matrix.width
        func row(_ i: Int) -> ArraySlice<Double> { matrix.values[i * d..<(i + 1) * d] }
        var centers = Array(row(random.below(matrix.rows)))
        var distances = [Double](repeating: .infinity, count: matrix.rows)
        for _ in 1..<k {
            let last = centers.count / d - 1
            matrix.values.withUnsafeBufferPointer { x in
                centers.withUnsafeBufferPointer { all in
                    let center = UnsafeBufferPointer(rebasing: all[last * d..<(last + 1) * d])
                    for i in 0..<matrix.rows {
                        let (_, distance) = nearest(UnsafeBufferPointer(rebasing: x[i * d..<(i + 1) * d]), center, 1)
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
        let centers = clusterCenters.flatMap { $0 }
        let clusters: [Int64?] = matrix.values.withUnsafeBufferPointer { x in
            centers.withUnsafeBufferPointer { centers in
                (0..<matrix.rows).map { i in
                    let row = UnsafeBufferPointer(rebasing: x[i * matrix.width..<(i + 1) * matrix.width])
                    return Int64(KMeans.nearest(row, centers, clusterCenters.count).0)
                }
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

    init(k: Int, width: Int) {
        sums = [Double](repeating: 0, count: k * width)
        counts = [Int](repeating: 0, count: k)
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

/// SplitMix64: a small seeded generator, the same sequence on every platform.
struct SeededRandom {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    mutating func unit() -> Double { Double(next() >> 11) / Double(UInt64(1) << 53) }

    /// Uniform in 0..<bound.
    mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }
}
