import FlockData
import Foundation

/// The settings of random forests and single decision trees (`RandomForestClassifier`,
/// `RandomForestRegressor`, `DecisionTreeClassifier`, `DecisionTreeRegressor`), named and
/// defaulted as in Spark ML.
public struct RandomForestParameters: Codable, Equatable, Sendable {
    /// How many features each node may split on.
    public enum FeatureSubset: Codable, Equatable, Sendable {
        /// √d for classification, d/3 for regression (Spark's "auto"); all for one tree.
        case auto
        case all
        case sqrt
        case log2
        case oneThird
        /// This fraction of the features (in (0, 1]).
        case fraction(Double)
    }

    /// Trees (at least 1; default 20).
    public var numTrees = 20
    /// Depth per tree at most (1...30; default 5).
    public var maxDepth = 5
    /// Value bins per feature at most (2...255; default 32).
    public var maxBins = 32
    /// Rows per leaf at least (at least 1; default 1).
    public var minInstancesPerNode = 1
    /// A split must lower the impurity (summed over the node's rows) by more than this (at
    /// least 0; default 0).
    public var minInfoGain = 0.0
    /// Each tree's rows: a bootstrap of this fraction of them (Poisson weights), or this
    /// fraction without replacement when `bootstrap` is false (in (0, 1]; default 1).
    public var subsamplingRate = 1.0
    public var bootstrap = true
    public var featureSubsetStrategy = FeatureSubset.auto
    /// Draws the binning sample, the bootstraps and the features.
    public var seed: UInt64 = 1

    /// The defaults.
    public init() {}

    /// Checks every value.
    /// - Throws: `MLError.invalidParameter` naming the first bad one.
    func validate() throws {
        try Parameter.atLeast("numTrees", numTrees, 1)
        try Parameter.atLeast("maxDepth", maxDepth, 1)
        try Parameter.atMost("maxDepth", maxDepth, 30)
        try Parameter.atLeast("maxBins", maxBins, 2)
        try Parameter.atMost("maxBins", maxBins, FeatureBinning.maxBins)
        try Parameter.atLeast("minInstancesPerNode", minInstancesPerNode, 1)
        try Parameter.atLeast("minInfoGain", minInfoGain, 0)
        try Parameter.fraction("subsamplingRate", subsamplingRate)
        if case .fraction(let share) = featureSubsetStrategy { try Parameter.fraction("featureSubsetStrategy", share) }
    }

    /// Features per node for `features` features.
    func featuresPerNode(_ features: Int, classification: Bool) -> Int {
        let d = Double(features)
        let share: Double
        switch featureSubsetStrategy {
        case .auto: share = numTrees == 1 ? d : classification ? d.squareRoot() : d / 3
        case .all: share = d
        case .sqrt: share = d.squareRoot()
        case .log2: share = log2(d)
        case .oneThird: share = d / 3
        case .fraction(let fraction): share = fraction * d
        }
        return Swift.min(features, Swift.max(1, Int(share.rounded(.up))))
    }
}

/// Random forests on the boosted trees' machinery: each tree is a histogram tree
/// (`TreeGrower`) grown depth-limited on the squared loss of the labels, so a leaf's value
/// is the weighted mean of its rows' labels and a split's gain is the reduction in
/// variance (for 0/1 labels, Gini impurity halved, Spark's default for two classes). A
/// tree's rows are a bootstrap (each row weighted by a Poisson draw, the weight scaling its
/// gradient and hessian) and each node searches a fresh random subset of the features
/// (`FeatureChoice`); every draw comes from the seed, the tree and the row or node, so the
/// forest is the same on any thread count. The forest's output is the trees' mean, kept as
/// a `BoostedTrees` whose leaf values are divided by the number of trees.
enum RandomForest {
    static func fit(
        columns: [[Double]], labels: [Double], parameters p: RandomForestParameters, classification: Bool,
        progress: (@Sendable (String) -> Void)?
    ) -> BoostedTrees {
        let lines = progress.map(ProgressLines.init)
        let rows = labels.count
        let binning = FeatureBinning(columns: columns, maxBins: p.maxBins, seed: p.seed)
        let grower = TreeGrower(
            rows: binning.binned(columns), binning: binning,
            limits: TreeLimits(
                maxLeaves: 1 << p.maxDepth, maxDepth: p.maxDepth, minRowsInLeaf: p.minInstancesPerNode,
                minHessianInLeaf: 1, l2: 0, minGain: p.minInfoGain))
        let perNode = p.featuresPerNode(columns.count, classification: classification)
        var quantized = QuantizedGradients(gradients: [], hessians: [])
        var (g, h) = ([Double](repeating: 0, count: rows), [Double](repeating: 0, count: rows))
        var trees: [RegressionTree] = []
        for t in 0..<p.numTrees {
            var sample: [Int32]? = nil
            let weights = Self.weights(rows, parameters: p, tree: t)
            if !p.bootstrap, p.subsamplingRate < 1 {
                sample = RowSample.rows(0..<rows, rate: p.subsamplingRate, seed: p.seed, for: .round(t)).map(Int32.init)
            }
            for i in 0..<rows {
                g[i] = -weights[i] * labels[i]
                h[i] = weights[i]
            }
            quantized.update(gradients: g, hessians: h)
            let choice = FeatureChoice(features: columns.count, perNode: perNode, seed: p.seed, tree: t)
            let tree = grower.grow(quantized, sample: sample, features: choice, shrinkage: 1 / Double(p.numTrees)).tree
            trees.append(tree)
            lines?.line("tree \(t + 1)/\(p.numTrees): \(tree.leafValues.count) leaves")
        }
        return BoostedTrees(initialScore: 0, trees: trees)
    }

    /// Tree `tree`'s row weights: Poisson(rate) draws with `bootstrap` (a row of weight 0
    /// is left out), else all 1; never all 0.
    private static func weights(_ rows: Int, parameters p: RandomForestParameters, tree: Int) -> [Double] {
        guard p.bootstrap, p.numTrees > 1 || p.subsamplingRate < 1 else { return [Double](repeating: 1, count: rows) }
        let threshold = exp(-p.subsamplingRate)
        var weights = [Double](repeating: 0, count: rows)
        for i in 0..<rows {
            // Knuth's method: multiply uniforms until the product falls below e^-rate.
            var random = RandomStream(seed: p.seed &+ 0x5851_F42D, stream: UInt64(tree) << 40 | UInt64(i))
            var product = random.unit()
            var count = 0.0
            while product > threshold {
                count += 1
                product *= random.unit()
            }
            weights[i] = count
        }
        if !weights.contains(where: { $0 > 0 }) { weights[0] = 1 }
        return weights
    }
}
