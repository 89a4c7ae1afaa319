import FlockData
import Foundation
import Testing

@testable import FlockML

@Suite("Elastic net and lasso by OWL-QN")
struct ElasticNetTests {
    private struct Reference: Decodable {
        let coefficients: [Double]
        let intercept: Double
    }

    @Test(
        "linear regression: the coefficients of scikit-learn's ElasticNet and Lasso on wine, zeros where it has them",
        arguments: [0.5, 1.0])
    func linear(mix: Double) throws {
        let references = try JSONDecoder().decode(
            [String: Reference].self,
            from: Data(
                contentsOf: LogisticRegressionTests.fixtures.appendingPathComponent("sklearn_elastic_net.json")))
        let reference = try #require(references["\(mix)"])
        let (train, _, features, _) = try LogisticRegressionTests.split("wine")
        let model = try LinearRegression(
            featureColumns: Array(features.dropFirst()), labelColumn: features[0], regParam: 0.05,
            elasticNetParam: mix, maxIter: 5_000, tol: 1e-15
        ).fit(train)
        for (j, (ours, theirs)) in zip(model.coefficients, reference.coefficients).enumerated() {
            #expect(abs(ours - theirs) < 2e-5, "coefficient \(j): \(ours) vs \(theirs)")
            if theirs == 0 { #expect(ours == 0, "coefficient \(j) is \(ours), not 0") }
        }
        #expect(abs(model.intercept - reference.intercept) < 1e-3, "\(model.intercept) vs \(reference.intercept)")
    }

    @Test("an L1 penalty of 0 is plain ridge, bit for bit; a bad elasticNetParam is named")
    func ridgeUnchanged() throws {
        let (train, _, features, _) = try LogisticRegressionTests.split("wine")
        let x = Array(features.dropFirst())
        let ridge = try LinearRegression(featureColumns: x, labelColumn: features[0], regParam: 0.05).fit(train)
        let mixed = try LinearRegression(
            featureColumns: x, labelColumn: features[0], regParam: 0.05, elasticNetParam: 0
        )
        .fit(train)
        #expect(ridge == mixed)
        #expect(
            throws: MLError.invalidParameter(name: "elasticNetParam", value: "1.5", allowed: "a number in [0, 1]")
        ) {
            try LinearRegression(featureColumns: x, labelColumn: features[0], elasticNetParam: 1.5).fit(train)
        }
    }

    @Test("L1 logistic regression: test accuracy within a point of scikit-learn's saga, and sparse weights")
    func logistic() throws {
        let reference = try JSONDecoder().decode(
            [String: [String: Double]].self,
            from: Data(
                contentsOf: LogisticRegressionTests.fixtures.appendingPathComponent("sklearn_l1_logistic.json")))
        let theirs = try #require(reference["breast_cancer"])
        let (train, test, features, label) = try LogisticRegressionTests.split("breast_cancer")
        let rows = try train.collect().rowCount
        // scikit-learn's C = 0.1 is a penalty of 1 / (C n) on the mean loss.
        let model = try LogisticRegression(
            featureColumns: features, labelColumn: label, regParam: 1 / (0.1 * Double(rows)), elasticNetParam: 1,
            maxIter: 1_000, tol: 1e-12
        ).fit(train)
        let accuracy = try MulticlassClassificationEvaluator(metric: .accuracy, labelColumn: label)
            .evaluate(try model.transform(test))
        #expect(accuracy >= (theirs["accuracy"] ?? 1) - 0.01, "\(accuracy) vs \(theirs)")
        let zeros = model.coefficientMatrix[1].filter { $0 == 0 }.count
        #expect(abs(Double(zeros) - (theirs["zeros"] ?? 0)) <= 3, "\(zeros) zero weights vs \(theirs)")
    }
}
