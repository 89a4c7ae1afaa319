/// Lloyd's statistic: each cluster's sum of rows and count, and the summed squared distance
/// of the rows to their nearest centre (`NearestCenter`), for given centres.
struct ClusterAssignment: BlockStatistic {
    /// k rows, row-major.
    let centers: [Double]
    let k: Int

    func block(_ rows: TrainingRows, _ range: Range<Int>) -> ClusterSums {
        let width = rows.features.width
        return NearestCenter(centers: centers, k: k).withScorer { scorer in
            rows.features.values.withUnsafeBufferPointer { x in
                var block = ClusterSums(k: k, width: width)
                for i in range {
                    let row = x.baseAddress! + i * width  // Invariant: rows * width values.
                    let best = scorer.nearest(row)
                    block.add(row, to: best, distance: scorer.squaredDistance(row, to: best))
                }
                return block
            }
        }
    }

    static func merged(_ a: ClusterSums, _ b: ClusterSums) -> ClusterSums { ClusterSums.merged(a, b) }
}

/// Per-cluster sums of rows, counts, and the summed squared distance to the nearest centre.
struct ClusterSums: Sendable {
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

/// Lloyd's rounds as a state machine: asks for the assignment of `wanted` centres and is
/// told it (`observe`), so the same rounds run over rows here or on a cluster. Each round
/// moves every centre with rows to their mean (one without rows stays); it ends after
/// `maxIter` rounds or when no centre moved farther than `tol`, with the assignment of the
/// final centres known.
struct LloydRounds {
    let k: Int
    let width: Int
    let maxIter: Int
    let tol: Double
    /// The current centres (k rows, row-major).
    private(set) var centers: [Double]
    private(set) var iterations = 0
    /// The assignment of `centers`, once observed.
    private(set) var assignment: ClusterSums?
    private var settled = false
    private var done = false

    init(start: [Double], k: Int, maxIter: Int, tol: Double) {
        (self.k, self.width, self.maxIter, self.tol, centers) = (k, start.count / k, maxIter, tol, start)
    }

    /// The centres whose assignment is wanted next; nil when the rounds have ended.
    var wanted: [Double]? { done ? nil : centers }

    /// Takes the assignment of `wanted` and moves the centres.
    mutating func observe(_ sums: ClusterSums) {
        assignment = sums
        guard !settled, iterations < maxIter else {
            done = true
            return
        }
        iterations += 1
        var moved = 0.0
        var next = centers
        for c in 0..<k where sums.counts[c] > 0 {
            var distance = 0.0
            for j in 0..<width {
                next[c * width + j] = sums.sums[c * width + j] / Double(sums.counts[c])
                let shift = next[c * width + j] - centers[c * width + j]
                distance += shift * shift
            }
            moved = Swift.max(moved, distance)
        }
        centers = next
        settled = moved.squareRoot() <= tol
    }
}
