import FlockData
import FlockTensor
import Foundation

/// Collaborative filtering by alternating least squares (Spark ML's `ALS`, explicit
/// ratings): every user u and item i get `rank` factors so that a rating r_ui is about
/// x_u·y_i. Each round fixes the items and solves every user's regularised least squares
///
///     (Σ_{i rated by u} y_i y_iᵀ + regParam n_u I) x_u = Σ r_ui y_i
///
/// (n_u the user's ratings: Spark's weighted-λ regularisation), then the same for the
/// items, users and items each in parallel. Factors start at seeded random values, each
/// row scaled to unit length, so the fit is the same on any thread count (each solve
/// reads its ratings in the frame's order). Users and items are integer ids (any values).
///
/// With `implicitPrefs` the values are counts of clicks, plays or purchases rather than
/// ratings (Hu, Koren and Volinsky's implicit feedback, as Spark extends it): a user
/// prefers an item (p = 1) when its value is above 0, with confidence c = 1 + α|r|; every
/// pair the frame does not list counts as p = 0 with confidence 1. Each solve is then
///
///     (YᵀY + Σ_{i listed} (c_ui − 1) y_i y_iᵀ + regParam n_u I) x_u = Σ_{r_ui > 0} c_ui y_i
///
/// (n_u the user's positive values), YᵀY over every item once per half-round, and a
/// prediction x_u·y_i is a preference score for ranking, not a rating.
public struct ALS: Estimator {
    public var userColumn: String
    public var itemColumn: String
    public var ratingColumn: String
    public var predictionColumn: String
    /// Factors per user and item (at least 1; default 10).
    public var rank: Int
    /// Rounds (users then items; at least 1; default 10).
    public var maxIter: Int
    /// λ (at least 0; default 0.1).
    public var regParam: Double
    /// Keep every factor at or above 0 (projected after each solve); default false.
    public var nonnegative: Bool
    /// The values are implicit feedback (counts), not ratings; default false.
    public var implicitPrefs: Bool
    /// α, how fast confidence grows with an implicit value (at least 0; default 1).
    public var alpha: Double
    public var seed: UInt64
    /// Users or items the fit did not see: a NaN prediction (`.nan`, the default) or the
    /// row dropped (`.drop`), as Spark's `coldStartStrategy`.
    public var coldStartStrategy: ColdStart
    /// Gets a line per round (number, training RMSE, time).
    public var progress: (@Sendable (String) -> Void)?

    /// What a model does with a user or item it has no factors for.
    public enum ColdStart: String, Codable, Sendable {
        case nan
        case drop
    }

    /// Factorises the ratings in `ratingColumn` by `userColumn` and `itemColumn`.
    public init(
        userColumn: String = "user", itemColumn: String = "item", ratingColumn: String = "rating",
        predictionColumn: String = "prediction", rank: Int = 10, maxIter: Int = 10, regParam: Double = 0.1,
        nonnegative: Bool = false, implicitPrefs: Bool = false, alpha: Double = 1, seed: UInt64 = 1,
        coldStartStrategy: ColdStart = .nan, progress: (@Sendable (String) -> Void)? = nil
    ) {
        self.userColumn = userColumn
        self.itemColumn = itemColumn
        self.ratingColumn = ratingColumn
        self.predictionColumn = predictionColumn
        self.rank = rank
        self.maxIter = maxIter
        self.regParam = regParam
        self.nonnegative = nonnegative
        self.implicitPrefs = implicitPrefs
        self.alpha = alpha
        self.seed = seed
        self.coldStartStrategy = coldStartStrategy
        self.progress = progress
    }

    /// Fits the factors.
    /// - Throws: `MLError.invalidParameter` for a bad parameter; `.invalidData` for a
    ///   missing or non-numeric column, an id that is not a whole number, a missing or
    ///   non-finite rating, or no ratings.
    public func fit(_ frame: DataFrame) throws -> ALSModel {
        try Parameter.atLeast("rank", rank, 1)
        try Parameter.atLeast("maxIter", maxIter, 1)
        try Parameter.atLeast("regParam", regParam, 0)
        try Parameter.atLeast("alpha", alpha, 0)
        let columns = try FeatureColumns.read(try frame.collect(), [userColumn, itemColumn, ratingColumn])
        guard !columns[2].isEmpty else { throw MLError.invalidData("no ratings to fit an ALS on") }
        let users = try Self.ids(columns[0], column: userColumn)
        let items = try Self.ids(columns[1], column: itemColumn)
        if let bad = columns[2].firstIndex(where: { !$0.isFinite }) {
            throw MLError.invalidData(
                "column \"\(ratingColumn)\" holds \(columns[2][bad]) at row \(bad); ratings are finite numbers")
        }
        let byUser = Ratings(owners: users, others: items, ratings: columns[2])
        let byItem = Ratings(owners: items, others: users, ratings: columns[2])
        var userFactors = start(byUser.ids.count, stream: 0)
        var itemFactors = start(byItem.ids.count, stream: 1)
        let lines = progress.map(ProgressLines.init)
        for round in 1...maxIter {
            userFactors = solve(byUser, given: itemFactors)
            itemFactors = solve(byItem, given: userFactors)
            if let lines {
                // A preference score is not a rating: no RMSE to report for implicit feedback.
                let rmse = implicitPrefs ? "" : ": training RMSE \(byUser.rmse(userFactors, itemFactors, rank: rank))"
                lines.line("round \(round)/\(maxIter)\(rmse)")
            }
        }
        return ALSModel(
            userColumn: userColumn, itemColumn: itemColumn, predictionColumn: predictionColumn, rank: rank,
            userIds: byUser.ids, userFactors: userFactors, itemIds: byItem.ids, itemFactors: itemFactors,
            coldStartStrategy: coldStartStrategy)
    }

    /// The ids as integers.
    private static func ids(_ values: [Double], column: String) throws -> [Int64] {
        try values.enumerated().map { row, value in
            guard value.isFinite, value == value.rounded(), abs(value) < 0x1p53 else {
                throw MLError.invalidData("column \"\(column)\" holds \(value) at row \(row); ids are whole numbers")
            }
            return Int64(value)
        }
    }

    /// `count` rows of `rank` seeded normal values, each row of unit length.
    private func start(_ count: Int, stream: UInt64) -> [Double] {
        var random = RandomStream(seed: seed, stream: stream)
        var factors = [Double](repeating: 0, count: count * rank)
        for row in 0..<count {
            var norm = 0.0
            for j in 0..<rank {
                factors[row * rank + j] = abs(random.normal())
                norm += factors[row * rank + j] * factors[row * rank + j]
            }
            let scale = norm > 0 ? 1 / norm.squareRoot() : 0
            for j in 0..<rank { factors[row * rank + j] *= scale }
        }
        return factors
    }

    /// Every owner's factors given the others' (one regularised least squares each).
    private func solve(_ ratings: Ratings, given others: [Double]) -> [Double] {
        let k = rank
        // Implicit feedback: every other counts, with confidence 1, through YᵀY.
        let shared = implicitPrefs ? Self.gramian(others, rank: k) : [Double](repeating: 0, count: k * k)
        var factors = [Double](repeating: 0, count: ratings.ids.count * k)
        factors.withUnsafeMutableBufferPointer { out in
            ThreadPool.shared.parallelFor(chunks: ratings.ids.count) { owner in
                var gram = shared
                var target = [Double](repeating: 0, count: k)
                var counted = 0
                for entry in ratings.starts[owner]..<ratings.starts[owner + 1] {
                    let other = ratings.others[entry] * k
                    let terms = terms(ratings.values[entry])
                    if terms.counts { counted += 1 }
                    for a in 0..<k { target[a] += terms.target * others[other + a] }
                    Self.addOuterProduct(others, at: other, times: terms.gram, to: &gram, rank: k)
                }
                let lambda = regParam * Double(counted)
                for a in 0..<k {
                    for b in 0..<a { gram[a * k + b] = gram[b * k + a] }
                    gram[a * k + a] += lambda
                }
                // A user with ratings only of factorless items (or λ = 0, too few ratings): 0.
                let solution = Cholesky.solve(gram, target) ?? [Double](repeating: 0, count: k)
                for a in 0..<k { out[owner * k + a] = nonnegative ? Swift.max(0, solution[a]) : solution[a] }
            }
        }
        return factors
    }

    /// What one listed value adds to its owner's solve: its weight on y in the target, its
    /// weight on y yᵀ, and whether it counts toward the penalty. Explicit: the rating, 1,
    /// yes. Implicit: the confidence c = 1 + α|r| when r > 0 (else 0), c − 1 on top of
    /// YᵀY's 1 (Spark's form, with |r| so c is never below 1), and r > 0.
    private func terms(_ value: Double) -> (target: Double, gram: Double, counts: Bool) {
        guard implicitPrefs else { return (value, 1, true) }
        let extra = alpha * abs(value)
        return (value > 0 ? 1 + extra : 0, extra, value > 0)
    }

    /// Σ y yᵀ over the rows of `factors` (`rank` each), upper triangle and diagonal, in
    /// row order.
    private static func gramian(_ factors: [Double], rank k: Int) -> [Double] {
        var gram = [Double](repeating: 0, count: k * k)
        for row in stride(from: 0, to: factors.count, by: k) {
            addOuterProduct(factors, at: row, times: 1, to: &gram, rank: k)
        }
        return gram
    }

    /// Adds `scale` y yᵀ to the upper triangle and diagonal of `gram`, y the `rank` values
    /// of `factors` from `offset`.
    private static func addOuterProduct(
        _ factors: [Double], at offset: Int, times scale: Double, to gram: inout [Double], rank k: Int
    ) {
        for a in 0..<k {
            let ya = scale * factors[offset + a]
            for b in a..<k { gram[a * k + b] += ya * factors[offset + b] }
        }
    }
}

/// Ratings grouped by one side (users or items): its distinct ids in ascending order, and
/// per id the others' indices and the ratings, in the frame's order.
private struct Ratings {
    let ids: [Int64]
    /// Owner o's entries are `starts[o]..<starts[o + 1]`.
    let starts: [Int]
    let others: [Int]
    let values: [Double]

    /// The root mean squared error of the factors' products against the ratings.
    func rmse(_ ownerFactors: [Double], _ otherFactors: [Double], rank k: Int) -> Double {
        var sum = 0.0
        for owner in ids.indices {
            for entry in starts[owner]..<starts[owner + 1] {
                let error =
                    dot(
                        ownerFactors[owner * k..<(owner + 1) * k],
                        otherFactors[others[entry] * k..<(others[entry] + 1) * k])
                    - values[entry]
                sum += error * error
            }
        }
        return (sum / Double(Swift.max(values.count, 1))).squareRoot()
    }

    init(owners: [Int64], others otherIds: [Int64], ratings: [Double]) {
        ids = Array(Set(owners)).sorted()
        let otherSorted = Array(Set(otherIds)).sorted()
        let index = Dictionary(uniqueKeysWithValues: ids.enumerated().map { ($1, $0) })
        let otherIndex = Dictionary(uniqueKeysWithValues: otherSorted.enumerated().map { ($1, $0) })
        var counts = [Int](repeating: 0, count: ids.count + 1)
        // Invariant: every owner and other id is in its index.
        for owner in owners { counts[index[owner]! + 1] += 1 }
        for o in 0..<ids.count { counts[o + 1] += counts[o] }
        starts = counts
        var next = counts
        var others = [Int](repeating: 0, count: owners.count)
        var values = [Double](repeating: 0, count: owners.count)
        for (row, owner) in owners.enumerated() {
            let o = index[owner]!
            others[next[o]] = otherIndex[otherIds[row]]!
            values[next[o]] = ratings[row]
            next[o] += 1
        }
        (self.others, self.values) = (others, values)
    }
}

/// A fitted `ALS`: each known user's and item's factors; a prediction is their dot product.
public struct ALSModel: Transformer, Codable, Equatable {
    public let userColumn: String
    public let itemColumn: String
    public let predictionColumn: String
    public let rank: Int
    /// Ascending user ids, and their factors (row-major, `rank` each).
    public let userIds: [Int64]
    public let userFactors: [Double]
    public let itemIds: [Int64]
    public let itemFactors: [Double]
    public let coldStartStrategy: ALS.ColdStart

    /// The frame with the predicted rating added (NaN, or the row dropped, for an unknown
    /// user or item).
    /// - Throws: `MLError.invalidData` for a missing or non-numeric user or item column.
    public func transform(_ frame: DataFrame) throws -> DataFrame {
        let batch = try frame.collect()
        let columns = try FeatureColumns.read(batch, [userColumn, itemColumn])
        let predictions = zip(columns[0], columns[1]).map { user, item -> Double in
            guard let u = Self.index(user, in: userIds), let i = Self.index(item, in: itemIds) else { return .nan }
            return dot(userFactors[u * rank..<(u + 1) * rank], itemFactors[i * rank..<(i + 1) * rank])
        }
        let added = try batch.adding(predictionColumn, Column(predictions.map { Optional($0) }))
        guard coldStartStrategy == .drop else { return DataFrame(added) }
        return DataFrame(try added.keeping(rows: predictions.indices.filter { !predictions[$0].isNaN }))
    }

    /// The `count` items with the highest predicted rating for `user` (best first; ties
    /// by id), with their predictions; empty for an unknown user.
    public func recommend(user: Int64, count: Int) -> [(item: Int64, rating: Double)] {
        guard let u = Self.index(Double(user), in: userIds) else { return [] }
        let x = userFactors[u * rank..<(u + 1) * rank]
        let scored = itemIds.indices.map { (itemIds[$0], dot(x, itemFactors[$0 * rank..<($0 + 1) * rank])) }
        return Array(scored.sorted { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }.prefix(Swift.max(count, 0)))
    }

    /// Where `id` is in the ascending `ids`, if there.
    private static func index(_ id: Double, in ids: [Int64]) -> Int? {
        guard id.isFinite, id == id.rounded(), abs(id) < 0x1p53 else { return nil }
        let target = Int64(id)
        var (low, high) = (0, ids.count)
        while low < high {
            let middle = (low + high) / 2
            if ids[middle] < target { low = middle + 1 } else { high = middle }
        }
        return low < ids.count && ids[low] == target ? low : nil
    }
}

extension ALSModel: SavableModel {
    public static let modelType = "ALSModel"

    /// Ids ascending and distinct, `rank` factors each.
    public func validate() throws {
        guard (1...10_000).contains(rank), userFactors.count == userIds.count * rank,
            itemFactors.count == itemIds.count * rank,
            zip(userIds, userIds.dropFirst()).allSatisfy({ $0 < $1 }),
            zip(itemIds, itemIds.dropFirst()).allSatisfy({ $0 < $1 })
        else { throw MLError.invalidData("the factors do not fit \(userIds.count) users and \(itemIds.count) items") }
    }
}
