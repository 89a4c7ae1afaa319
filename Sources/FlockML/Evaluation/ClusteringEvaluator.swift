import FlockData

/// Scores a clustering (Spark ML's `ClusteringEvaluator`): the mean silhouette with squared
/// Euclidean distances. For a row in cluster A, a is its mean distance to A's other rows,
/// b its least mean distance to another cluster's rows, and its silhouette (b - a) /
/// max(a, b) (0 for a row alone in its cluster): near 1 when clusters are tight and apart.
/// As in Spark, each mean distance comes from the cluster's count, sum and summed squared
/// norm, ‖x‖² - 2 x·Σy/|C| + Σ‖y‖²/|C|, so the score costs rows x clusters, not rows².
public struct ClusteringEvaluator: Evaluator {
    public var featureColumns: [String]
    /// The cluster of each row (integers 0, 1, ..., as `KMeansModel` writes them).
    public var predictionColumn: String

    /// Larger silhouettes are better clusterings.
    public var isLargerBetter: Bool { true }

    /// An evaluator of the clusters in `predictionColumn` over `featureColumns`.
    public init(featureColumns: [String], predictionColumn: String = "prediction") {
        self.featureColumns = featureColumns
        self.predictionColumn = predictionColumn
    }

    /// The mean silhouette over the frame's rows.
    /// - Throws: `MLError.invalidData` for bad features, clusters that are not indices,
    ///   fewer than two clusters, or no rows.
    public func evaluate(_ frame: DataFrame) throws -> Double {
        try Parameter.columns("featureColumns", featureColumns)
        let batch = try frame.collect()
        let x = try FeatureMatrix(batch, columns: featureColumns)
        let clusters = try LogisticRegression.classIndices(
            try FeatureMatrix(batch, columns: [predictionColumn]), column: predictionColumn)
        guard Set(clusters).count >= 2 else {
            throw MLError.invalidData(
                "column \"\(predictionColumn)\" holds fewer than two clusters; a silhouette needs two")
        }
        let (d, k) = (x.width, (clusters.max() ?? 0) + 1)
        var counts = [Int](repeating: 0, count: k)
        var sums = [Double](repeating: 0, count: k * d)
        var squaredNorms = [Double](repeating: 0, count: k)
        func row(_ i: Int) -> ArraySlice<Double> { x.values[i * d..<(i + 1) * d] }
        for (i, c) in clusters.enumerated() {
            counts[c] += 1
            for (j, value) in row(i).enumerated() {
                sums[c * d + j] += value
                squaredNorms[c] += value * value
            }
        }
        var total = 0.0
        for (i, own) in clusters.enumerated() where counts[own] > 1 {
            let norm = dot(row(i), row(i))
            func meanDistance(_ c: Int) -> Double {
                norm - 2 * dot(row(i), sums[c * d..<(c + 1) * d]) / Double(counts[c]) + squaredNorms[c]
                    / Double(counts[c])
            }
            // The row's distance to itself is 0: its own cluster's mean is over the others.
            let a = meanDistance(own) * Double(counts[own]) / Double(counts[own] - 1)
            var b = Double.infinity
            for c in 0..<k where c != own && counts[c] > 0 { b = Swift.min(b, meanDistance(c)) }
            let larger = Swift.max(a, b)
            total += larger > 0 ? (b - a) / larger : 0
        }
        return total / Double(clusters.count)
    }
}
