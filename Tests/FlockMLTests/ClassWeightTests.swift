import FlockData
import Foundation
import Testing

@testable import FlockML

@Suite("Logistic regression with class weights")
struct ClassWeightTests {
    private struct Reference: Decodable {
        let accuracy: Double
        let recalls: [Double]
    }

    @Test(
        "balanced weights: accuracy within a point and each class's recall within 0.06 of scikit-learn's",
        arguments: ["breast_cancer", "wine"])
    func balanced(dataset: String) throws {
        let references = try JSONDecoder().decode(
            [String: Reference].self,
            from: Data(
                contentsOf: LogisticRegressionTests.fixtures.appendingPathComponent("sklearn_balanced_logistic.json")))
        let reference = try #require(references[dataset])
        let (train, test, features, label) = try LogisticRegressionTests.split(dataset)
        let rows = try train.collect().rowCount
        let model = try LogisticRegression(
            featureColumns: features, labelColumn: label, regParam: 1 / Double(rows), maxIter: 500, tol: 1e-9,
            classWeights: .balanced
        ).fit(train)
        let scored = try model.transform(test).collect()
        let truth = try FeatureMatrix(scored, columns: [label]).values
        let predicted = try FeatureMatrix(scored, columns: ["prediction"]).values
        let accuracy = Double(zip(truth, predicted).filter { $0 == $1 }.count) / Double(truth.count)
        #expect(accuracy >= reference.accuracy - 0.01, "\(accuracy) vs \(reference.accuracy)")
        for (c, theirs) in reference.recalls.enumerated() {
            let members = truth.indices.filter { truth[$0] == Double(c) }
            let recall = Double(members.filter { predicted[$0] == Double(c) }.count) / Double(members.count)
            #expect(abs(recall - theirs) <= 0.06, "class \(c): recall \(recall) vs \(theirs)")
        }
    }

    @Test("weights of 1 are no weights, bit for bit; a heavier minority raises its probability; bad weights named")
    func semantics() throws {
        let x: [Double?] = (0..<100).map { Double($0 % 10) }
        let y: [Double?] = (0..<100).map { $0 % 10 == 9 || $0 == 40 ? 1 : 0 }
        let frame = DataFrame(try RecordBatch(names: ["x", "label"], columns: [Column(x), Column(y)]))
        let plain = try LogisticRegression(featureColumns: ["x"]).fit(frame)
        #expect(try LogisticRegression(featureColumns: ["x"], classWeights: .given([1, 1])).fit(frame) == plain)
        let heavier = try LogisticRegression(featureColumns: ["x"], classWeights: .given([1, 5])).fit(frame)
        let p = try FeatureMatrix(try heavier.transform(frame).collect(), columns: ["probability_1"]).values
        let q = try FeatureMatrix(try plain.transform(frame).collect(), columns: ["probability_1"]).values
        #expect(zip(p, q).allSatisfy { $0 > $1 })
        #expect(throws: MLError.self) {
            try LogisticRegression(featureColumns: ["x"], classWeights: .given([1, 0])).fit(frame)
        }
        #expect(throws: MLError.self) {
            try LogisticRegression(featureColumns: ["x"], classWeights: .given([1, 1, 1])).fit(frame)
        }
    }
}
