import FlockData
import Foundation
import Testing

@testable import FlockML

@Suite("Linear SVM (squared hinge and hinge)")
struct LinearSVCTests {
    @Test(
        "test accuracy on breast cancer within a point of scikit-learn's LinearSVC with the same loss; saved and loaded",
        arguments: [LinearSVC.Loss.squaredHinge, .hinge])
    func accuracy(loss: LinearSVC.Loss) throws {
        let reference = try JSONDecoder().decode(
            [String: Double].self,
            from: Data(contentsOf: LogisticRegressionTests.fixtures.appendingPathComponent("sklearn_svc.json")))
        let (train, test, features, label) = try LogisticRegressionTests.split("breast_cancer")
        let rows = try train.collect().rowCount
        // scikit-learn's C = 1 on the summed loss is a penalty of 1 / n on the mean loss.
        let model = try LinearSVC(
            featureColumns: features, labelColumn: label, loss: loss, regParam: 1 / Double(rows), maxIter: 500,
            tol: 1e-10
        ).fit(train)
        let accuracy = try MulticlassClassificationEvaluator(metric: .accuracy, labelColumn: label)
            .evaluate(try model.transform(test))
        let theirs = try #require(reference[loss == .hinge ? "hinge/breast_cancer" : "breast_cancer"])
        #expect(accuracy >= theirs - 0.01, "\(loss): \(accuracy) vs scikit-learn's \(theirs)")
        let saved = FileManager.default.temporaryDirectory.appendingPathComponent("svc-\(UUID()).safetensors").path
        defer { try? FileManager.default.removeItem(atPath: saved) }
        try ModelFile.save(model, to: saved)
        #expect(try ModelFile.load(LinearSVCModel.self, from: saved) == model)
    }

    @Test("separable points: every training row on the right side of the margin, either loss; three classes refused")
    func separable() throws {
        let x: [Double?] = [-3, -2, -1.5, 1.5, 2, 3]
        let y: [Double?] = [0, 0, 0, 1, 1, 1]
        let frame = DataFrame(try RecordBatch(names: ["x", "label"], columns: [Column(x), Column(y)]))
        for loss in [LinearSVC.Loss.squaredHinge, .hinge] {
            let model = try LinearSVC(featureColumns: ["x"], loss: loss, tol: 1e-12).fit(frame)
            let raw = try FeatureMatrix(try model.transform(frame).collect(), columns: ["rawPrediction"]).values
            for (score, label) in zip(raw, y) {
                #expect(label == 1 ? score >= 1 - 1e-6 : score <= -1 + 1e-6, "\(loss): \(score) for \(label!)")
            }
        }
        let three = DataFrame(
            try RecordBatch(names: ["x", "label"], columns: [Column(x), Column([0, 1, 2, 0, 1, 2] as [Double?])]))
        #expect(throws: MLError.self) { try LinearSVC(featureColumns: ["x"]).fit(three) }
    }
}
