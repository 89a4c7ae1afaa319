/// Grows regression trees in this process: the decisions (`TreeGrowth`) on the histograms
/// of rows held here (`LeafRows`). Reused from tree to tree of one fit (random forests, and
/// boosting in one process).
final class TreeGrower {
    let growth: TreeGrowth
    let leafRows: LeafRows

    /// A grower for `rows`, binned by `binning`.
    init(rows: BinnedRows, binning: FeatureBinning, limits: TreeLimits) {
        growth = TreeGrowth(binning: binning, limits: limits)
        leafRows = LeafRows(rows: rows)
    }

    /// A grown tree and, for each of its leaves, the rows (indices into the data) in it.
    struct Grown {
        var tree: RegressionTree
        /// Row indices by leaf: leaf l's rows are `order[leafRanges[l]]`.
        var order: [Int32]
        var leafRanges: [Range<Int>]
    }

    /// Grows a tree for `gradients` on rows `sample` (all rows when nil), splitting only on
    /// the features `choice` allows each node, each leaf's value -G/(H+λ) times `shrinkage`.
    func grow(_ gradients: QuantizedGradients, sample: [Int32]?, features choice: FeatureChoice, shrinkage: Double)
        -> Grown
    {
        let root = growth.begin(scales: gradients.scales, features: choice)
        leafRows.begin(gradients: gradients.values, sample: sample, root: root)
        growth.rootFilled()
        while let step = growth.next() {
            leafRows.split(step.order, histogram: step.histogram)
            growth.apply(step)
        }
        let count = sample?.count ?? leafRows.rows.rows
        return Grown(
            tree: growth.tree(shrinkage: shrinkage), order: leafRows.order[0..<count].map(\.row),
            leafRanges: leafRows.ranges)
    }
}
