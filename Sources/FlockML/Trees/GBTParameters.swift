/// The settings of gradient-boosted trees (`GBTClassifier`, `GBTRegressor`), named as in
/// Spark ML, with LightGBM's leaf-wise limits beside them; the defaults are LightGBM's.
public struct GBTParameters: Codable, Equatable, Sendable {
    /// Boosting rounds, one tree each (at least 1; default 100).
    public var maxIter = 100
    /// Shrinkage: each tree's outputs times this (in (0, 1]; default 0.1).
    public var stepSize = 0.1
    /// Leaves per tree at most (at least 2; default 31).
    public var maxLeaves = 31
    /// Depth per tree at most; nil: no limit beyond `maxLeaves`.
    public var maxDepth: Int? = nil
    /// Value bins per feature at most (2...255; default 255).
    public var maxBins = 255
    /// Rows per leaf at least (at least 1; default 20).
    public var minInstancesPerNode = 20
    /// Summed hessian per leaf at least (at least 0; default 1e-3).
    public var minHessianInLeaf = 1e-3
    /// The L2 penalty on leaf values (at least 0; default 0).
    public var regLambda = 0.0
    /// A split must lower the loss by more than this (at least 0; default 0).
    public var minInfoGain = 0.0
    /// Each round grows its tree on this fraction of the rows (in (0, 1]; default 1).
    public var subsamplingRate = 1.0
    /// Each round splits on this fraction of the features (in (0, 1]; default 1).
    public var featureSubsetRate = 1.0
    /// With a validation set: stop after this many rounds without a better validation
    /// loss, keeping the best round's trees (at least 1; default 10).
    public var earlyStoppingRounds = 10
    /// Draws the binning sample and the subsamples.
    public var seed: UInt64 = 1

    /// The defaults.
    public init() {}

    /// Checks every value.
    /// - Throws: `MLError.invalidParameter` naming the first bad one.
    func validate() throws {
        try Parameter.atLeast("maxIter", maxIter, 1)
        try Parameter.fraction("stepSize", stepSize)
        try Parameter.atLeast("maxLeaves", maxLeaves, 2)
        if let maxDepth { try Parameter.atLeast("maxDepth", maxDepth, 1) }
        try Parameter.atLeast("maxBins", maxBins, 2)
        try Parameter.atMost("maxBins", maxBins, FeatureBinning.maxBins)
        try Parameter.atLeast("minInstancesPerNode", minInstancesPerNode, 1)
        try Parameter.atLeast("minHessianInLeaf", minHessianInLeaf, 0)
        try Parameter.atLeast("regLambda", regLambda, 0)
        try Parameter.atLeast("minInfoGain", minInfoGain, 0)
        try Parameter.fraction("subsamplingRate", subsamplingRate)
        try Parameter.fraction("featureSubsetRate", featureSubsetRate)
        try Parameter.atLeast("earlyStoppingRounds", earlyStoppingRounds, 1)
    }
}
