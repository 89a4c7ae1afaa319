import FlockData
import Foundation
import Testing

@testable import FlockML

@Suite("Silhouette")
struct ClusteringEvaluatorTests {
    @Test("equals the silhouette summed pair by pair; tight far clusters score near 1")
    func silhouette() throws {
        var random = RandomStream(seed: 17)
        let rows = 120
        let clusters = (0..<rows).map { $0 % 3 }
        let x = clusters.map { Double($0) * 2 + random.normal() }
        let y = clusters.map { _ in random.normal() }
        let frame = try GradientBoostingTests.frame(["x": x, "y": y, "prediction": clusters.map(Double.init)])
        let score = try ClusteringEvaluator(featureColumns: ["x", "y"]).evaluate(frame)
        // Brute force over every pair.
        func distance(_ i: Int, _ j: Int) -> Double { (x[i] - x[j]) * (x[i] - x[j]) + (y[i] - y[j]) * (y[i] - y[j]) }
        var expected = 0.0
        for i in 0..<rows {
            var means = [Double](repeating: 0, count: 3)
            var counts = [Double](repeating: 0, count: 3)
            for j in 0..<rows where j != i {
                means[clusters[j]] += distance(i, j)
                counts[clusters[j]] += 1
            }
            let a = means[clusters[i]] / counts[clusters[i]]
            let b = (0..<3).filter { $0 != clusters[i] }.map { means[$0] / counts[$0] }.min()!
            expected += (b - a) / max(a, b)
        }
        expected /= Double(rows)
        #expect(abs(score - expected) < 1e-9, "\(score) vs \(expected)")
        let apart = try GradientBoostingTests.frame([
            "x": clusters.map { Double($0) * 100 + random.unit() }, "y": y.map { $0 * 0.01 },
            "prediction": clusters.map(Double.init),
        ])
        #expect(try ClusteringEvaluator(featureColumns: ["x", "y"]).evaluate(apart) > 0.99)
        let one = try GradientBoostingTests.frame(["x": [1, 2], "prediction": [0, 0]])
        #expect(throws: MLError.self) { try ClusteringEvaluator(featureColumns: ["x"]).evaluate(one) }
    }
}
