import FlockData
import Foundation
import Testing

@testable import FlockML

@Suite("Random forests and decision trees")
struct RandomForestTests {
    static let reference: [String: Double] = {
        let url = LogisticRegressionTests.fixtures.appendingPathComponent("sklearn_forest.json")
        // Invariant: the fixture is committed beside the tests.
        return try! JSONDecoder().decode([String: Double].self, from: Data(contentsOf: url))
    }()

    /// The mean over the four folds of `score(train, test, features, label)`.
    func folds(_ name: String, _ score: (DataFrame, DataFrame, [String], String) throws -> Double) throws -> Double {
        var total = 0.0
        for fold in 0..<4 {
            let (train, test, features, label) = try LogisticRegressionTests.split(name, fold: fold)
            total += try score(train, test, features, label)
        }
        return total / 4
    }

    @Test("a forest and a single tree on breast cancer: mean test accuracy within two points of scikit-learn's")
    func classification() throws {
        for (key, parameters) in [
            ("classifier/breast_cancer", RandomForestParameters()),
            ("tree/breast_cancer", DecisionTreeSettings().forest),
        ] {
            let accuracy = try folds("breast_cancer") { train, test, features, label in
                let model = try RandomForestClassifier(
                    featureColumns: features, labelColumn: label, parameters: parameters
                )
                .fit(train)
                return try MulticlassClassificationEvaluator(metric: .accuracy, labelColumn: label)
                    .evaluate(try model.transform(test))
            }
            let theirs = try #require(Self.reference[key])
            #expect(accuracy >= theirs - 0.02, "\(key): \(accuracy) vs scikit-learn's \(theirs)")
        }
    }

    @Test("a regression forest on wine: mean test R2 within 0.05 of scikit-learn's")
    func regression() throws {
        let r2 = try folds("wine") { train, test, features, _ in
            let model = try RandomForestRegressor(featureColumns: Array(features.dropFirst()), labelColumn: features[0])
                .fit(train)
            return try RegressionEvaluator(metric: .r2, labelColumn: features[0]).evaluate(try model.transform(test))
        }
        let theirs = try #require(Self.reference["regressor/wine"])
        #expect(r2 >= theirs - 0.05, "\(r2) vs scikit-learn's \(theirs)")
    }

    @Test("one tree on every row is the exact means of its leaves; the same seed gives the same forest")
    func exactAndDeterministic() throws {
        let x: [Double?] = (0..<400).map { Double($0 % 40) }
        let y: [Double?] = x.map { $0! < 10 ? 1 : $0! < 25 ? 5 : 9 }
        let frame = DataFrame(try RecordBatch(names: ["x", "y"], columns: [Column(x), Column(y)]))
        var shallow = DecisionTreeSettings()
        shallow.maxDepth = 2
        let tree = try DecisionTreeRegressor(featureColumns: ["x"], labelColumn: "y", settings: shallow).fit(frame)
        let predicted = try FeatureMatrix(try tree.transform(frame).collect(), columns: ["prediction"]).values
        #expect(zip(predicted, y).allSatisfy { abs($0 - $1!) < 1e-6 }, "\(Set(predicted))")
        let forest = RandomForestRegressor(featureColumns: ["x"], labelColumn: "y")
        #expect(try forest.fit(frame) == (try forest.fit(DataFrame(try frame.collect(), morselRows: 37))))
        let saved = FileManager.default.temporaryDirectory.appendingPathComponent("rf-\(UUID()).json").path
        defer { try? FileManager.default.removeItem(atPath: saved) }
        let model = try forest.fit(frame)
        try ModelFile.save(model, to: saved)
        #expect(try ModelFile.load(RandomForestRegressionModel.self, from: saved) == model)
    }

    @Test("bad input: three classes, a depth of 0, no trees")
    func badInput() throws {
        let frame = DataFrame(
            try RecordBatch(
                names: ["x", "label"], columns: [Column([1.0, 2, 3] as [Double?]), Column([0.0, 1, 2] as [Double?])]))
        #expect(throws: MLError.self) { try RandomForestClassifier(featureColumns: ["x"]).fit(frame) }
        var parameters = RandomForestParameters()
        parameters.maxDepth = 0
        #expect(throws: MLError.self) {
            try RandomForestRegressor(featureColumns: ["x"], parameters: parameters).fit(frame)
        }
        parameters = RandomForestParameters()
        parameters.numTrees = 0
        #expect(throws: MLError.self) {
            try RandomForestRegressor(featureColumns: ["x"], parameters: parameters).fit(frame)
        }
    }
}
