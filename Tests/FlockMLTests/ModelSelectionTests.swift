import FlockData
import Foundation
import Testing

@testable import FlockML

@Suite("CrossValidator and TrainValidationSplit")
struct ModelSelectionTests {
    /// y = 3x + 1 + noise.
    static func line(rows: Int) throws -> DataFrame {
        var random = RandomStream(seed: 31)
        let x = (0..<rows).map { _ in random.unit() * 10 }
        let y = x.map { 3 * $0 + 1 + 0.1 * random.normal() }
        return try GradientBoostingTests.frame(["x": x, "label": y])
    }

    @Test("cross-validation picks the candidate with the best mean score and refits it on every row")
    func crossValidation() throws {
        let frame = try Self.line(rows: 300)
        let grid = [1e4, 0, 100].map { LinearRegression(featureColumns: ["x"], regParam: $0) }
        let rmse = try CrossValidator(candidates: grid, evaluator: RegressionEvaluator(metric: .rmse), numFolds: 4)
            .fit(frame)
        #expect(rmse.bestIndex == 1)
        #expect(rmse.averageMetrics.count == 3)
        #expect(rmse.averageMetrics[1] < 0.2 && rmse.averageMetrics[0] > rmse.averageMetrics[2])
        #expect(rmse.bestModel == (try grid[1].fit(frame)))
        // R² grows with a better model: the same choice when larger is better.
        let r2 = try CrossValidator(candidates: grid, evaluator: RegressionEvaluator(metric: .r2), numFolds: 4).fit(
            frame)
        #expect(r2.bestIndex == 1)
        let predicted = try GradientBoostingTests.values(try rmse.transform(frame), "prediction")
        #expect(predicted.count == 300)
    }

    @Test("folds are drawn evenly from the seed; a train/validation split does the same on one split")
    func splits() throws {
        let frame = try Self.line(rows: 200)
        let (splits, all) = try ModelSelection<LinearRegressionModel>.folds(
            of: try Self.line(rows: 3_000), into: 3, seed: 5)
        #expect(try all.collect().rowCount == 3_000)
        for split in splits {
            let (train, validation) = (try split.train.collect().rowCount, try split.validation.collect().rowCount)
            #expect(train + validation == 3_000 && (900...1_100).contains(validation))
        }
        let again = try ModelSelection<LinearRegressionModel>.folds(of: try Self.line(rows: 3_000), into: 3, seed: 5)
        #expect(try again.splits.map { try $0.validation.collect() } == splits.map { try $0.validation.collect() })
        let grid = [1e4, 0].map { LinearRegression(featureColumns: ["x"], regParam: $0) }
        let split = try TrainValidationSplit(candidates: grid, evaluator: RegressionEvaluator(metric: .mae)).fit(frame)
        #expect(split.bestIndex == 1)
        #expect(split.averageMetrics.count == 2)
    }

    @Test("bad settings: one fold, no candidates, too few rows, a ratio of 1")
    func badInput() throws {
        let frame = try Self.line(rows: 3)
        let one = [LinearRegression(featureColumns: ["x"])]
        let evaluator = RegressionEvaluator()
        #expect(throws: MLError.self) {
            try CrossValidator(candidates: one, evaluator: evaluator, numFolds: 1).fit(frame)
        }
        #expect(throws: MLError.self) {
            try CrossValidator(candidates: [LinearRegression](), evaluator: evaluator).fit(frame)
        }
        #expect(throws: MLError.self) {
            try CrossValidator(candidates: one, evaluator: evaluator, numFolds: 10).fit(frame)
        }
        #expect(throws: MLError.self) {
            try TrainValidationSplit(candidates: one, evaluator: evaluator, trainRatio: 1).fit(frame)
        }
    }
}
