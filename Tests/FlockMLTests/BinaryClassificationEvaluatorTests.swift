import FlockData
import Testing

@testable import FlockML

@Suite("Binary classification metrics")
struct BinaryClassificationEvaluatorTests {
    static func frame(_ labels: [Int64], _ scores: [Double]) throws -> DataFrame {
        DataFrame(
            try RecordBatch(
                names: ["label", "probability_1"],
                columns: [Column(labels.map { $0 }), Column(scores.map { $0 })]))
    }

    @Test("ROC AUC is the share of positive-negative pairs ordered right, ties counting half")
    func rocArea() throws {
        let labels: [Int64] = [1, 0, 1, 1, 0, 0, 1, 0]
        let scores = [0.9, 0.8, 0.8, 0.6, 0.4, 0.4, 0.3, 0.1]
        var pairs = 0.0
        for i in labels.indices where labels[i] == 1 {
            for j in labels.indices where labels[j] == 0 {
                pairs += scores[i] > scores[j] ? 1 : scores[i] == scores[j] ? 0.5 : 0
            }
        }
        let area = try BinaryClassificationEvaluator().evaluate(try Self.frame(labels, scores))
        #expect(abs(area - pairs / 16) < 1e-15)
        #expect(try BinaryClassificationEvaluator().evaluate(try Self.frame([0, 1], [0.2, 0.7])) == 1)
        #expect(try BinaryClassificationEvaluator().evaluate(try Self.frame([1, 0], [0.2, 0.7])) == 0)
    }

    @Test("PR AUC by trapezoids from recall 0; a perfect ranking scores 1")
    func prArea() throws {
        let evaluator = BinaryClassificationEvaluator(metric: .areaUnderPR)
        #expect(try evaluator.evaluate(try Self.frame([1, 1, 0, 0], [0.9, 0.8, 0.3, 0.1])) == 1)
        // Points: (1/2, 1), (1/2, 1/2), (1, 2/3), (1, 1/2); from (0, 1).
        let area = try evaluator.evaluate(try Self.frame([1, 0, 1, 0], [0.9, 0.8, 0.3, 0.1]))
        #expect(abs(area - (0.5 * 1 + 0 + 0.5 * (0.5 + 2.0 / 3) / 2 + 0)) < 1e-15)
    }

    @Test("one class only, or a label of 2: clear errors")
    func badInput() throws {
        #expect(throws: MLError.self) {
            try BinaryClassificationEvaluator().evaluate(try Self.frame([1, 1], [0.1, 0.2]))
        }
        #expect(throws: MLError.self) {
            try BinaryClassificationEvaluator().evaluate(try Self.frame([0, 2], [0.1, 0.2]))
        }
    }
}
