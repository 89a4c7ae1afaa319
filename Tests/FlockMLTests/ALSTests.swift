import FlockData
import Foundation
import Testing

@testable import FlockML

@Suite("Alternating least squares")
struct ALSTests {
    /// Ratings of a rank-3 matrix (200 users x 120 items) plus noise of deviation 0.1:
    /// 30% of the pairs train, 5% test.
    static func ratings() throws -> (train: DataFrame, test: DataFrame) {
        var random = RandomStream(seed: 12)
        let users = (0..<200).map { _ in (0..<3).map { _ in random.normal() } }
        let items = (0..<120).map { _ in (0..<3).map { _ in random.normal() } }
        var train: ([Int64?], [Int64?], [Double?]) = ([], [], [])
        var test: ([Int64?], [Int64?], [Double?]) = ([], [], [])
        for u in 0..<200 {
            for i in 0..<120 {
                let draw = random.unit()
                guard draw < 0.35 else { continue }
                let rating = zip(users[u], items[i]).reduce(0) { $0 + $1.0 * $1.1 } + 0.1 * random.normal()
                if draw < 0.3 {
                    train.0.append(Int64(1000 + u))
                    train.1.append(Int64(i * 7))
                    train.2.append(rating)
                } else {
                    test.0.append(Int64(1000 + u))
                    test.1.append(Int64(i * 7))
                    test.2.append(rating)
                }
            }
        }
        func frame(_ t: ([Int64?], [Int64?], [Double?])) throws -> DataFrame {
            DataFrame(
                try RecordBatch(names: ["user", "item", "rating"], columns: [Column(t.0), Column(t.1), Column(t.2)]))
        }
        return (try frame(train), try frame(test))
    }

    @Test("a noisy rank-3 matrix: held-out RMSE near the noise; the same seed the same bits; saved and loaded")
    func recovers() throws {
        let (train, test) = try Self.ratings()
        let als = ALS(rank: 3, maxIter: 15, regParam: 0.01)
        let model = try als.fit(train)
        let rmse = try RegressionEvaluator(metric: .rmse, labelColumn: "rating").evaluate(try model.transform(test))
        #expect(rmse < 0.2, "held-out RMSE \(rmse)")
        #expect(try als.fit(DataFrame(try train.collect(), morselRows: 333)) == model)
        let top = model.recommend(user: 1000, count: 5)
        #expect(top.count == 5 && zip(top, top.dropFirst()).allSatisfy { $0.rating >= $1.rating })
        let saved = FileManager.default.temporaryDirectory.appendingPathComponent("als-\(UUID()).json").path
        defer { try? FileManager.default.removeItem(atPath: saved) }
        try ModelFile.save(model, to: saved)
        #expect(try ModelFile.load(ALSModel.self, from: saved) == model)
    }

    @Test("cold start: NaN or the row dropped; bad ids and ratings named")
    func coldStart() throws {
        let (train, _) = try Self.ratings()
        let unknown = DataFrame(
            try RecordBatch(
                names: ["user", "item"], columns: [Column([1000, 5] as [Int64?]), Column([0, 0] as [Int64?])]))
        let nan = try ALS(rank: 2, maxIter: 2).fit(train).transform(unknown).collect()
        let predictions = try FeatureColumns.read(nan, ["prediction"])[0]
        #expect(predictions[0].isFinite && predictions[1].isNaN)
        #expect(
            try ALS(rank: 2, maxIter: 2, coldStartStrategy: .drop).fit(train).transform(unknown).collect().rowCount == 1
        )
        let fractional = DataFrame(
            try RecordBatch(
                names: ["user", "item", "rating"],
                columns: [Column([1.5] as [Double?]), Column([1] as [Int64?]), Column([3.0] as [Double?])]))
        #expect(throws: MLError.self) { try ALS().fit(fractional) }
        #expect(throws: MLError.self) { try ALS(rank: 0).fit(train) }
    }

    @Test(
        "implicit feedback: each item's factors solve the full normal equations over every user (unlisted pairs as p = 0, c = 1)"
    )
    func implicitNormalEquations() throws {
        var random = RandomStream(seed: 5)
        var (users, items, counts): ([Int64?], [Int64?], [Double?]) = ([], [], [])
        for u in 0..<12 {
            for i in 0..<9 where random.unit() < 0.45 {
                users.append(Int64(u))
                items.append(Int64(i))
                // Mostly counts; a few zeros and negatives (p = 0, confidence from |r|).
                counts.append(random.unit() < 0.15 ? -Double(random.below(2)) : Double(1 + random.below(5)))
            }
        }
        let frame = DataFrame(
            try RecordBatch(
                names: ["user", "item", "rating"], columns: [Column(users), Column(items), Column(counts)]))
        let (rank, lambda, alpha) = (3, 0.1, 2.0)
        let model = try ALS(rank: rank, maxIter: 4, regParam: lambda, implicitPrefs: true, alpha: alpha).fit(frame)
        // The items were solved last, given the final user factors.
        for (i, item) in model.itemIds.enumerated() {
            var a = [Double](repeating: 0, count: rank * rank)
            var b = [Double](repeating: 0, count: rank)
            var positives = 0
            for (u, user) in model.userIds.enumerated() {
                let x = Array(model.userFactors[u * rank..<(u + 1) * rank])
                let r = zip(users, zip(items, counts)).first { $0.0 == user && $0.1.0 == item }?.1.1 ?? nil
                let confidence = 1 + alpha * abs(r ?? 0)
                let preference = (r ?? 0) > 0 ? 1.0 : 0.0
                if preference == 1 { positives += 1 }
                for p in 0..<rank {
                    b[p] += confidence * preference * x[p]
                    for q in 0..<rank { a[p * rank + q] += confidence * x[p] * x[q] }
                }
            }
            for p in 0..<rank { a[p * rank + p] += lambda * Double(positives) }
            let y = Array(model.itemFactors[i * rank..<(i + 1) * rank])
            for p in 0..<rank {
                let row = (0..<rank).reduce(0.0) { $0 + a[p * rank + $1] * y[$1] }
                #expect(abs(row - b[p]) < 1e-9 * (1 + abs(b[p])), "item \(item), row \(p): \(row) vs \(b[p])")
            }
        }
        #expect(throws: MLError.self) { try ALS(implicitPrefs: true, alpha: -1).fit(frame) }
    }

    @Test("implicit feedback from a rank-2 taste model: held-out consumed items rank above unconsumed ones (AUC)")
    func implicitRanking() throws {
        var random = RandomStream(seed: 21)
        let tastes = (0..<150).map { _ in (0..<2).map { _ in random.normal() } }
        let traits = (0..<60).map { _ in (0..<2).map { _ in random.normal() } }
        var train: ([Int64?], [Int64?], [Double?]) = ([], [], [])
        var heldOut: [(Int, Int)] = []
        var consumed = Set<Int>()
        for u in 0..<150 {
            for i in 0..<60 {
                let affinity = zip(tastes[u], traits[i]).reduce(0) { $0 + $1.0 * $1.1 }
                guard affinity > 0.8, random.unit() < 0.7 else { continue }
                consumed.insert(u * 60 + i)
                if random.unit() < 0.2 {
                    heldOut.append((u, i))
                } else {
                    train.0.append(Int64(u))
                    train.1.append(Int64(i))
                    train.2.append(Double(1 + random.below(4)))
                }
            }
        }
        let frame = DataFrame(
            try RecordBatch(
                names: ["user", "item", "rating"], columns: [Column(train.0), Column(train.1), Column(train.2)]))
        let model = try ALS(rank: 4, maxIter: 10, regParam: 0.05, implicitPrefs: true, alpha: 5).fit(frame)
        func score(_ u: Int, _ i: Int) -> Double {
            guard let user = model.userIds.firstIndex(of: Int64(u)), let item = model.itemIds.firstIndex(of: Int64(i))
            else { return -.infinity }
            return (0..<4).reduce(0.0) { $0 + model.userFactors[user * 4 + $1] * model.itemFactors[item * 4 + $1] }
        }
        var (wins, pairs) = (0.0, 0.0)
        for (u, i) in heldOut {
            for j in 0..<60 where !consumed.contains(u * 60 + j) {
                let (positive, negative) = (score(u, i), score(u, j))
                wins += positive > negative ? 1 : positive == negative ? 0.5 : 0
                pairs += 1
            }
        }
        #expect(heldOut.count > 50)
        #expect(wins / pairs > 0.85, "AUC \(wins / pairs) over \(heldOut.count) held-out items")
    }
}
