import FlockData
import Foundation
import Testing

@testable import FlockML

@Suite("Logistic regression by L-BFGS")
struct LogisticRegressionTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    /// A data set from the fixtures split as `Benchmarks/peers/ml_fixtures.py` splits it:
    /// every fourth row, from row `fold`, is the test set.
    static func split(_ name: String, fold: Int = 0) throws -> (
        train: DataFrame, test: DataFrame, features: [String], label: String
    ) {
        let batch = try CSVReader.read(path: fixtures.appendingPathComponent("\(name).csv").path)
        let test = (0..<batch.rowCount).filter { $0 % 4 == fold }
        let train = (0..<batch.rowCount).filter { $0 % 4 != fold }
        func rows(_ indices: [Int]) throws -> DataFrame {
            let columns = batch.columns.map { column in
                Column(
                    indices.map { i -> Double? in
                        switch column[i] {
                        case .double(let x)?: x
                        case .int(let x)?: Double(x)
                        default: nil
                        }
                    })
            }
            return DataFrame(try RecordBatch(names: batch.names, columns: columns))
        }
        // Invariant: the fixtures have a header and a label column last.
        return (try rows(train), try rows(test), Array(batch.names.dropLast()), batch.names.last!)
    }

    @Test("the gradient matches central finite differences, with a penalty and an intercept, binomial and multinomial")
    func gradient() {
        var state: UInt64 = 5
        func uniform() -> Double {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Double(state >> 11) / Double(1 << 53) - 0.5
        }
        let features = (0..<40 * 3).map { _ in uniform() * 4 }
        for classes in [3, 2] {
            let rows = TrainingRows(
                features: FeatureMatrix(rows: 40, width: 3, values: features),
                labels: (0..<40).map { Double($0 % classes) }, firstRow: 0)
            let loss = SoftmaxLoss(
                width: 3, classes: classes, scale: [0.5, 2, 1], regParam: 0.3, fitIntercept: true, rows: 40)
            let theta = (0..<loss.parameterCount).map { _ in uniform() }
            let analytic = loss.evaluate(theta, over: rows).gradient
            for p in theta.indices {
                var (up, down) = (theta, theta)
                up[p] += 1e-6
                down[p] -= 1e-6
                let numeric = (loss.evaluate(up, over: rows).value - loss.evaluate(down, over: rows).value) / 2e-6
                #expect(abs(numeric - analytic[p]) < 1e-6, "\(classes) classes: parameter \(p)")
            }
        }
    }

    @Test(
        "test accuracy within one point of scikit-learn's on iris, wine, breast cancer and digits",
        arguments: ["iris", "wine", "breast_cancer", "digits"])
    func accuracy(dataset: String) throws {
        let reference = try JSONDecoder().decode(
            [String: Double].self, from: Data(contentsOf: Self.fixtures.appendingPathComponent("sklearn_logistic.json"))
        )
        let (train, test, features, label) = try Self.split(dataset)
        let rows = try train.collect().rowCount
        // scikit-learn's C = 1 is a penalty of 1 / (C n) on the mean loss.
        let model = try LogisticRegression(
            featureColumns: features, labelColumn: label, regParam: 1 / Double(rows), maxIter: 500, tol: 1e-9
        ).fit(train)
        let accuracy = try MulticlassClassificationEvaluator(metric: .accuracy, labelColumn: label)
            .evaluate(try model.transform(test))
        let theirs = try #require(reference[dataset])
        #expect(accuracy >= theirs - 0.01, "\(dataset): Flock \(accuracy), scikit-learn \(theirs)")
    }

    @Test("probabilities sum to one; the model does not depend on how rows are cut into morsels")
    func sameBits() throws {
        let (train, _, features, label) = try Self.split("iris")
        let batch = try train.collect()
        let models = try [1 << 18, 7, 50].map { morselRows in
            try LogisticRegression(featureColumns: features, labelColumn: label, regParam: 0.01)
                .fit(DataFrame(batch, morselRows: morselRows))
        }
        #expect(models.allSatisfy { $0 == models[0] })
        let out = try models[0].transform(train).collect()
        for row in 0..<3 {
            let total = try (0..<3).reduce(0.0) { sum, c in
                guard case .double(let p)? = try out.column("probability_\(c)")[row] else { return .nan }
                return sum + p
            }
            #expect(abs(total - 1) < 1e-12)
        }
    }

    @Test("bad input: one class, labels that are not class indices, a bad parameter")
    func badInput() throws {
        let one = DataFrame(
            try RecordBatch(
                names: ["x", "y"], columns: [Column([1.0, 2, 3] as [Double?]), Column([1, 1, 1] as [Int64?])]))
        #expect(throws: MLError.invalidData("column \"y\" holds a single class (1); a classifier needs two")) {
            try LogisticRegression(featureColumns: ["x"], labelColumn: "y").fit(one)
        }
        let fractional = DataFrame(
            try RecordBatch(
                names: ["x", "y"], columns: [Column([1.0, 2] as [Double?]), Column([0.5, 1] as [Double?])]))
        #expect(throws: MLError.self) {
            try LogisticRegression(featureColumns: ["x"], labelColumn: "y").fit(fractional)
        }
        #expect(throws: MLError.invalidParameter(name: "maxIter", value: "0", allowed: "an integer >= 1")) {
            try LogisticRegression(featureColumns: ["x"], labelColumn: "y", maxIter: 0).fit(one)
        }
    }

    @Test("multiclass metrics equal their definitions")
    func metrics() throws {
        let frame = DataFrame(
            try RecordBatch(
                names: ["label", "prediction"],
                columns: [Column([0, 0, 1, 1, 2] as [Int64?]), Column([0.0, 1, 1, 1, 0] as [Double?])]))
        func score(_ metric: MulticlassClassificationEvaluator.Metric) throws -> Double {
            try MulticlassClassificationEvaluator(metric: metric).evaluate(frame)
        }
        #expect(try score(.accuracy) == 3.0 / 5)
        // Class 0: P 1/2, R 1/2; class 1: P 2/3, R 1; class 2: P 0, R 0. Weights 2/5, 2/5, 1/5.
        #expect(abs(try score(.weightedPrecision) - (0.4 * 0.5 + 0.4 * 2 / 3)) < 1e-15)
        #expect(abs(try score(.weightedRecall) - (0.4 * 0.5 + 0.4 * 1)) < 1e-15)
        #expect(abs(try score(.f1) - (0.4 * 0.5 + 0.4 * 0.8)) < 1e-15)
    }

    @Test("log loss is the mean of -log p(true class), clipped at 1e-15; lower is better")
    func logLoss() throws {
        let frame = DataFrame(
            try RecordBatch(
                names: ["label", "probability_0", "probability_1"],
                columns: [
                    Column([0, 1, 1] as [Int64?]), Column([0.8, 0.4, 1.0] as [Double?]),
                    Column([0.2, 0.6, 0.0] as [Double?]),
                ]))
        let evaluator = MulticlassClassificationEvaluator(metric: .logLoss)
        let expected = -(log(0.8) + log(0.6) + log(1e-15)) / 3
        #expect(abs(try evaluator.evaluate(frame) - expected) < 1e-12)
        #expect(!evaluator.isLargerBetter)
        let bad = DataFrame(
            try RecordBatch(
                names: ["label", "probability_0"], columns: [Column([0] as [Int64?]), Column([1.5] as [Double?])]))
        #expect(throws: MLError.self) { try evaluator.evaluate(bad) }
    }
}
