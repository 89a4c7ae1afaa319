import FlockData
import Foundation
import Testing

@testable import FlockML

@Suite("One class against the rest")
struct OneVsRestTests {
    static func reference(_ file: String) throws -> [String: Double] {
        try JSONDecoder().decode(
            [String: Double].self, from: Data(contentsOf: LogisticRegressionTests.fixtures.appendingPathComponent(file))
        )
    }

    /// The mean test accuracy over the four folds of `name` of the models `fit` makes.
    static func accuracy(
        _ name: String, folds: Int = 4, _ fit: (DataFrame, [String], String) throws -> any Transformer
    ) throws -> Double {
        var total = 0.0
        for fold in 0..<folds {
            let (train, test, features, label) = try LogisticRegressionTests.split(name, fold: fold)
            total += try MulticlassClassificationEvaluator(metric: .accuracy, labelColumn: label)
                .evaluate(try fit(train, features, label).transform(test))
        }
        return total / Double(folds)
    }

    /// Boosted trees against scikit-learn's softmax HistGradientBoosting; forests against its
    /// OneVsRestClassifier of forests (its own forests grow multiclass trees).
    @Test(
        "trees, one model per class: four folds' mean accuracy within 1 point of scikit-learn's (2 for forests)",
        arguments: ["boosted/iris", "boosted/wine", "boosted/digits", "forest/iris", "forest/wine", "forest/digits"])
    func trees(setting: String) throws {
        let (kind, name) = (setting.split(separator: "/")[0], String(setting.split(separator: "/")[1]))
        let boosted = kind == "boosted"
        let theirs = try #require(
            boosted
                ? try Self.reference("sklearn_gbt.json")[name]
                : try Self.reference("sklearn_forest.json")["one-vs-rest/\(name)"])
        let ours = try Self.accuracy(name) { train, features, label -> any Transformer in
            boosted
                ? try OneVsRest(classifier: GBTClassifier(featureColumns: features), labelColumn: label).fit(train)
                : try OneVsRest(classifier: RandomForestClassifier(featureColumns: features), labelColumn: label)
                    .fit(train)
        }
        #expect(ours >= theirs - (boosted ? 0.01 : 0.02), "\(setting): Flock \(ours), scikit-learn \(theirs)")
    }

    @Test(
        "linear SVMs, one per class: test accuracy within a point of scikit-learn's LinearSVC (one against the rest)",
        arguments: ["iris", "wine", "digits"])
    func svms(name: String) throws {
        let theirs = try #require(try Self.reference("sklearn_svc.json")[name])
        let ours = try Self.accuracy(name, folds: 1) { train, features, label in
            // scikit-learn's C = 1 on the summed loss is a penalty of 1 / n on the mean loss.
            let rows = Double(try train.collect().rowCount)
            let svc = LinearSVC(featureColumns: features, regParam: 1 / rows, maxIter: 500, tol: 1e-10)
            return try OneVsRest(classifier: svc, labelColumn: label).fit(train)
        }
        #expect(ours >= theirs - 0.01, "\(name): Flock \(ours), scikit-learn \(theirs)")
    }

    @Test("the prediction is the class whose model scores highest; saved and loaded, the same predictions")
    func predictionsAndFiles() throws {
        let (train, test, features, label) = try LogisticRegressionTests.split("iris")
        let model = try OneVsRest(classifier: GBTClassifier(featureColumns: features), labelColumn: label).fit(train)
        #expect(model.models.count == 3)
        let scored = try model.transform(test).collect()
        let scores = try (0..<3).map { try FeatureMatrix(scored, columns: ["rawPrediction_\($0)"]).values }
        let predictions = try FeatureMatrix(scored, columns: ["prediction"]).values
        for (row, prediction) in predictions.enumerated() {
            let best = (0..<3).max { scores[$0][row] < scores[$1][row] }!
            #expect(prediction == Double(best))
        }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("ovr-\(UUID()).json").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try ModelFile.save(model, to: path)
        let loaded = try ModelFile.load(OneVsRestModel<GBTClassificationModel>.self, from: path)
        #expect(loaded == model)
        #expect(try loaded.transform(test).collect().rowCount == scored.rowCount)
        try ModelFile.save(PipelineModel(stages: [model]), to: path)
        let pipeline = try ModelFile.loadPipeline(from: path)
        #expect(
            try FeatureMatrix(try pipeline.transform(test).collect(), columns: ["prediction"]).values == predictions)
        #expect(throws: MLError.self) { try ModelFile.load(OneVsRestModel<LinearSVCModel>.self, from: path) }
    }

    @Test("bad labels: a fraction, a negative, a class without rows, a single class, text")
    func badLabels() throws {
        let x: [Double?] = [0, 1, 2, 3, 4, 5]
        func fit(_ labels: [Double?]) throws {
            let frame = DataFrame(try RecordBatch(names: ["x", "label"], columns: [Column(x), Column(labels)]))
            _ = try OneVsRest(classifier: LinearSVC(featureColumns: ["x"])).fit(frame)
        }
        for (labels, reason) in [
            ([0, 1, 1.5, 0, 1, 0], "row 2 holds 1.5"), ([0, 1, -1, 0, 1, 0], "row 2 holds -1.0"),
            ([0, 2, 2, 0, 2, 0], "class 1 of column \"label\" has no rows"), ([1, 1, 1, 1, 1, 1], "class 0"),
            ([0, 0, 0, 0, 0, 0], "holds 1 class"),
        ] as [([Double?], String)] {
            do {
                try fit(labels)
                Issue.record("labels \(labels) were taken")
            } catch let error as MLError {
                #expect("\(error)".contains(reason), "\(error)")
            }
        }
        let text = DataFrame(
            try RecordBatch(names: ["x", "label"], columns: [Column(x), Column(["a", "b", "a", "b", "a", "b"])]))
        #expect(throws: MLError.self) { try OneVsRest(classifier: LinearSVC(featureColumns: ["x"])).fit(text) }
    }
}
