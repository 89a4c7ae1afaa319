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
}
