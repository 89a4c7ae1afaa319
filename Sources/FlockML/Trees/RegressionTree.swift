/// A fitted regression tree, stored flat the way LightGBM stores one: internal node n
/// sends a row left when feature `features[n]` is at most `thresholds[n]` (a missing
/// value goes left when `missingGoesLeft[n]`), and a child is another internal node (>= 0)
/// or leaf `~child` (< 0). A tree without splits is a single leaf.
public struct RegressionTree: Codable, Equatable, Sendable {
    /// The feature each internal node tests (an index into the model's feature columns).
    public let features: [Int]
    public let thresholds: [Double]
    public let missingGoesLeft: [Bool]
    public let leftChildren: [Int]
    public let rightChildren: [Int]
    /// How much each split lowered the loss (for feature importances).
    public let gains: [Double]
    /// Each leaf's output (shrinkage included).
    public let leafValues: [Double]

    /// The leaf `value(feature)` lands in.
    @inline(__always)
    func leaf(_ value: (Int) -> Double) -> Int {
        guard !features.isEmpty else { return 0 }
        var node = 0
        while true {
            let x = value(features[node])
            let left = x.isNaN ? missingGoesLeft[node] : x <= thresholds[node]
            let child = left ? leftChildren[node] : rightChildren[node]
            if child < 0 { return ~child }
            node = child
        }
    }

    /// The output for the row whose feature j is `value(j)`.
    @inline(__always)
    func predict(_ value: (Int) -> Double) -> Double { leafValues[leaf(value)] }

    /// Whether the node arrays form one tree: every child in range and reached exactly once
    /// from the root (so no cycles), every leaf used, features in 0..<count (the check for
    /// trees read from a file).
    func isWellFormed(features count: Int) -> Bool {
        let nodes = features.count
        guard
            [thresholds.count, missingGoesLeft.count, leftChildren.count, rightChildren.count, gains.count]
                .allSatisfy({ $0 == nodes }), leafValues.count == nodes + 1,
            features.allSatisfy({ (0..<count).contains($0) })
        else { return false }
        guard nodes > 0 else { return true }
        var seenNodes = [Bool](repeating: false, count: nodes)
        var seenLeaves = [Bool](repeating: false, count: nodes + 1)
        var pending = [0]
        seenNodes[0] = true
        while let node = pending.popLast() {
            for child in [leftChildren[node], rightChildren[node]] {
                if child >= 0 {
                    guard child < nodes, !seenNodes[child] else { return false }
                    seenNodes[child] = true
                    pending.append(child)
                } else {
                    guard ~child < nodes + 1, !seenLeaves[~child] else { return false }
                    seenLeaves[~child] = true
                }
            }
        }
        return seenNodes.allSatisfy { $0 } && seenLeaves.allSatisfy { $0 }
    }
}
