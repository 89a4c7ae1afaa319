import FlockData

/// k-means|| initialisation (Bahmani, Moseley, Vattani, Kumar and Vassilvitskii, "Scalable
/// K-Means++"; Spark's default `initMode`), as a state machine over passes of rows
/// (`CandidatePass`), so the same start comes out in-process and on any cluster:
///
/// 1. One row drawn uniformly (seeded) is the first candidate.
/// 2. `steps` rounds: the rows' cost φ (squared distance to the nearest candidate, summed),
///    then every row joins the candidates with probability min(1, ℓ d²/φ), ℓ = 2k, drawn
///    from the seed, the round and the row's number alone (not from which worker reads it).
/// 3. Each candidate is weighted by the rows nearest to it, and k centres are chosen from
///    the weighted candidates here by k-means++ and refined by up to 30 weighted Lloyd
///    rounds (Spark's `LocalKMeans`).
///
/// With fewer distinct candidates than k (rows with fewer distinct values), candidates repeat;
/// a repeated centre gets no rows and stays where it is.
struct KMeansParallel {
    let k: Int
    let steps: Int
    let seed: UInt64
    private let rowCount: Int
    private var width = 0
    private var candidates: [Double] = []
    private var phase: Phase
    /// The k centres (k rows, row-major), once every pass has been observed.
    private(set) var centers: [Double]?

    private enum Phase {
        case first
        case cost(round: Int)
        case sample(round: Int, cost: Double)
        case weights
    }

    init(k: Int, steps: Int, seed: UInt64, rows: Int) {
        (self.k, self.steps, self.seed, rowCount, phase) = (k, steps, seed, rows, .first)
    }

    /// The pass over rows wanted next; nil when the centres are chosen.
    var wanted: CandidatePass? {
        guard centers == nil else { return nil }
        switch phase {
        case .first:
            var random = RandomStream(seed: seed)
            return CandidatePass(candidates: [], kind: .row(random.below(rowCount)))
        case .cost: return CandidatePass(candidates: candidates, kind: .cost)
        case .sample(let round, let cost):
            return CandidatePass(
                candidates: candidates,
                kind: .sample(cost: cost, oversampling: Double(2 * k), seed: seed, round: round))
        case .weights: return CandidatePass(candidates: candidates, kind: .weights)
        }
    }

    /// Takes the result of the `wanted` pass.
    mutating func observe(_ result: CandidatePass.Partial) {
        switch phase {
        case .first:
            width = result.rows.count
            candidates = result.rows
            phase = steps > 0 ? .cost(round: 0) : .weights
        case .cost(let round):
            phase = result.cost > 0 ? .sample(round: round, cost: result.cost) : .weights
        case .sample(let round, _):
            candidates += result.rows
            phase = round + 1 < steps ? .cost(round: round + 1) : .weights
        case .weights:
            centers = Self.choose(
                k: k, from: candidates, weights: result.weights.map(Double.init), width: width, seed: seed)
        }
    }

    /// k centres from weighted points: weighted k-means++, then weighted Lloyd rounds.
    static func choose(k: Int, from points: [Double], weights: [Double], width: Int, seed: UInt64) -> [Double] {
        let m = points.count / width
        func point(_ i: Int) -> ArraySlice<Double> { points[i * width..<(i + 1) * width] }
        var random = RandomStream(seed: seed, stream: 1)
        func draw(_ masses: [Double]) -> Int? {
            let total = masses.reduce(0, +)
            guard total > 0 else { return nil }
            var target = random.unit() * total
            for (i, mass) in masses.enumerated() where mass > 0 {
                target -= mass
                if target < 0 { return i }
            }
            return masses.lastIndex { $0 > 0 }
        }
        var chosen = [draw(weights) ?? 0]
        var distances = [Double](repeating: .infinity, count: m)
        while chosen.count < k {
            let last = Array(point(chosen[chosen.count - 1]))
            for i in 0..<m { distances[i] = Swift.min(distances[i], squaredDistance(point(i), last)) }
            // No mass left (fewer distinct points than k): the candidates in turn.
            chosen.append(draw(zip(weights, distances).map { $0 * $1 }) ?? chosen.count % m)
        }
        var centers = chosen.flatMap { point($0) }
        for _ in 0..<30 {
            var sums = [Double](repeating: 0, count: k * width)
            var mass = [Double](repeating: 0, count: k)
            NearestCenter(centers: centers, k: k).withScorer { scorer in
                points.withUnsafeBufferPointer { x in
                    for i in 0..<m {
                        let row = x.baseAddress! + i * width  // Invariant: m * width values.
                        let best = scorer.nearest(row)
                        for j in 0..<width { sums[best * width + j] += weights[i] * row[j] }
                        mass[best] += weights[i]
                    }
                }
            }
            var next = centers
            for c in 0..<k where mass[c] > 0 {
                for j in 0..<width { next[c * width + j] = sums[c * width + j] / mass[c] }
            }
            if next == centers { break }
            centers = next
        }
        return centers
    }

    private static func squaredDistance(_ a: ArraySlice<Double>, _ b: [Double]) -> Double {
        zip(a, b).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
    }
}

/// One pass of k-means|| over rows against the candidates so far (`KMeansParallel`).
struct CandidatePass: BlockStatistic {
    enum Kind: Codable, Sendable {
        /// The features of row `n` of the training set.
        case row(Int)
        /// The summed squared distance to the nearest candidate.
        case cost
        /// The rows drawn with probability min(1, oversampling d² / cost).
        case sample(cost: Double, oversampling: Double, seed: UInt64, round: Int)
        /// How many rows each candidate is nearest to.
        case weights
    }

    /// Candidate rows, row-major.
    let candidates: [Double]
    let kind: Kind

    struct Partial: Sendable {
        var cost = 0.0
        /// Rows (row-major), in row order.
        var rows: [Double] = []
        var weights: [Int] = []
    }

    func block(_ rows: TrainingRows, _ range: Range<Int>) -> Partial {
        let width = rows.features.width
        var partial = Partial()
        if case .row(let n) = kind {
            let i = n - rows.firstRow
            if range.contains(i) { partial.rows = Array(rows.features.values[i * width..<(i + 1) * width]) }
            return partial
        }
        let m = candidates.count / width
        if case .weights = kind { partial.weights = [Int](repeating: 0, count: m) }
        NearestCenter(centers: candidates, k: m).withScorer { scorer in
            rows.features.values.withUnsafeBufferPointer { x in
                for i in range {
                    let row = x.baseAddress! + i * width  // Invariant: rows * width values.
                    let best = scorer.nearest(row)
                    switch kind {
                    case .row: break
                    case .cost: partial.cost += scorer.squaredDistance(row, to: best)
                    case .sample(let cost, let oversampling, let seed, let round):
                        let chance = oversampling * scorer.squaredDistance(row, to: best) / cost
                        var random = RandomStream(seed: seed &+ UInt64(round + 2), stream: UInt64(rows.firstRow + i))
                        if random.unit() < chance {
                            partial.rows.append(contentsOf: UnsafeBufferPointer(start: row, count: width))
                        }
                    case .weights: partial.weights[best] += 1
                    }
                }
            }
        }
        return partial
    }

    static func merged(_ a: Partial, _ b: Partial) -> Partial {
        var weights = a.weights
        for (i, w) in b.weights.enumerated() {
            if i < weights.count { weights[i] += w } else { weights.append(w) }
        }
        return Partial(cost: a.cost + b.cost, rows: a.rows + b.rows, weights: weights)
    }
}
