import FlockData
import Foundation
import Testing

@testable import FlockML

@Suite("Naive Bayes")
struct NaiveBayesTests {
    @Test("multinomial: smoothed log priors and conditionals by hand on a tiny corpus")
    func multinomialByHand() throws {
        let frame = DataFrame(
            try RecordBatch(
                names: ["a", "b", "label"],
                columns: [
                    Column([2.0, 0, 1, 0] as [Double?]), Column([0.0, 3, 1, 1] as [Double?]),
                    Column([0, 1, 0, 1] as [Int64?]),
                ]))
        let model = try NaiveBayes(featureColumns: ["a", "b"], smoothing: 1).fit(frame)
        // Class 0: a sums to 3, b to 1; class 1: a 0, b 4. Two rows each.
        #expect(model.logPriors == [log(3.0) - log(6.0), log(3.0) - log(6.0)])
        #expect(model.conditionals[0] == [log(4.0) - log(6.0), log(2.0) - log(6.0)])
        #expect(model.conditionals[1] == [log(1.0) - log(6.0), log(5.0) - log(6.0)])
        let scored = try model.transform(frame).collect()
        #expect(try FeatureMatrix(scored, columns: ["prediction"]).values == [0, 1, 0, 1])
    }

    @Test(
        "test accuracy equals scikit-learn's GaussianNB on four data sets and is within a point of MultinomialNB on digits",
        arguments: [
            "gaussian/iris", "gaussian/wine", "gaussian/breast_cancer", "gaussian/digits", "multinomial/digits",
        ])
    func accuracy(setting: String) throws {
        let reference = try JSONDecoder().decode(
            [String: Double].self,
            from: Data(
                contentsOf: LogisticRegressionTests.fixtures.appendingPathComponent("sklearn_naive_bayes.json")))
        let parts = setting.split(separator: "/").map(String.init)
        let (train, test, features, label) = try LogisticRegressionTests.split(parts[1])
        let type = try #require(NaiveBayes.ModelType(rawValue: parts[0]))
        let model = try NaiveBayes(featureColumns: features, labelColumn: label, modelType: type).fit(train)
        let accuracy = try MulticlassClassificationEvaluator(metric: .accuracy, labelColumn: label)
            .evaluate(try model.transform(test))
        let theirs = try #require(reference[setting])
        if type == .gaussian {
            #expect(abs(accuracy - theirs) < 1e-12, "\(setting): \(accuracy) vs scikit-learn's \(theirs)")
        } else {
            #expect(accuracy >= theirs - 0.01, "\(setting): \(accuracy) vs scikit-learn's \(theirs)")
        }
        let saved = FileManager.default.temporaryDirectory.appendingPathComponent("nb-\(UUID()).json").path
        defer { try? FileManager.default.removeItem(atPath: saved) }
        try ModelFile.save(model, to: saved)
        #expect(try ModelFile.load(NaiveBayesModel.self, from: saved) == model)
    }

    @Test("bad input: a negative count, a label that is not a class, one class, a bad smoothing")
    func badInput() throws {
        func frame(_ a: [Double?], _ labels: [Double?]) throws -> DataFrame {
            DataFrame(try RecordBatch(names: ["a", "label"], columns: [Column(a), Column(labels)]))
        }
        let negative = try frame([1, -2, 3], [0, 1, 0])
        #expect(
            throws: MLError.invalidData(
                "column \"a\" holds -2.0 at row 1; the multinomial model takes counts (0 or more)")
        ) {
            try NaiveBayes(featureColumns: ["a"]).fit(negative)
        }
        _ = try NaiveBayes(featureColumns: ["a"], modelType: .gaussian).fit(negative)  // Real values are fine.
        #expect(throws: MLError.self) { try NaiveBayes(featureColumns: ["a"]).fit(try frame([1, 2], [0, 0.5])) }
        #expect(throws: MLError.self) { try NaiveBayes(featureColumns: ["a"]).fit(try frame([1, 2], [1, 1])) }
        #expect(throws: MLError.self) {
            try NaiveBayes(featureColumns: ["a"], smoothing: -1).fit(try frame([1, 2], [0, 1]))
        }
    }
}
