/// The splits a cluster fit asks its workers for ahead of time. Growing leaf-wise makes one
/// split at a time, and on a cluster each costs a round of calls to the workers, whose fixed
/// cost is most of a split's (BENCHMARKS.md, session 19). So when the next split's children
/// are not known yet, the driver asks, in the same call, for the splits of the next best
/// leaves too (a wave, up to `width`): a leaf's best split never changes once found, so the
/// histograms stay right until the tree takes those splits, if it does. A split the tree
/// never takes changes nothing in it: the workers' rows of that leaf are then two ranges
/// (regions) that get the leaf's one value.
///
/// Workers number the ranges of rows they hold (regions) in the order they split them; a
/// leaf of the tree is one region, or two when it was split ahead and the tree stopped
/// before taking that split.
final class SplitWaves {
    let width: Int
    let bins: Int
    /// The tree the waves are for.
    private(set) var round = -1
    /// Each leaf's region (its left part, when it was split ahead).
    private var regionOf: [Int] = []
    private var nextRegion = 1
    /// Leaves split ahead and not yet taken: the built child's summed histogram, and the
    /// region of the right part.
    private var built: [Int: Built] = [:]
    private var spare: [UnsafeMutablePointer<SIMD4<Int64>>] = []

    /// A leaf split ahead: the built child's histogram and the right part's region.
    private struct Built {
        let histogram: UnsafeMutablePointer<SIMD4<Int64>>
        let right: Int
    }
    /// The last finished tree's region values, kept for a round that starts again.
    private var finished: (round: Int, values: [Double])?

    /// Waves of up to `width` splits over histograms of `bins` bins.
    init(width: Int, bins: Int) { (self.width, self.bins) = (max(1, width), bins) }

    deinit {
        for buffer in spare + built.values.map(\.histogram) { buffer.deallocate() }
    }

    /// Starts round `round`'s tree (its root is region 0).
    func begin(round: Int) {
        spare += built.values.map(\.histogram)
        (self.round, regionOf, nextRegion, built) = (round, [0], 1, [:])
    }

    /// Whether the children of `step`'s leaf are known.
    func isBuilt(_ step: TreeGrowth.Step) -> Bool { built[step.order.leaf] != nil }

    /// The workers' orders for a wave: `step`'s split and the best next leaves' splits,
    /// as many as `width` and the leaves the tree may still grow (`maxLeaves`) allow.
    func plan(_ step: TreeGrowth.Step, growth: TreeGrowth, maxLeaves: Int) -> [(leaf: Int, order: SplitOrder)] {
        let room = max(1, min(width, maxLeaves - growth.leafCount))
        let ahead = growth.bestLeaves(limit: room - 1, excluding: Set(built.keys).union([step.order.leaf]))
        return ([(step.order.leaf, step.split)] + ahead).map { leaf, split in
            defer { nextRegion += 1 }
            return (leaf, SplitOrder(leaf: regionOf[leaf], newLeaf: nextRegion, split: split))
        }
    }

    /// The workers' answers to a wave's `orders` (each a run of histograms, one per order),
    /// summed.
    /// - Throws: `MLError.invalidData` for an answer that is not those histograms.
    func received(_ answers: [[UInt8]], for orders: [(leaf: Int, order: SplitOrder)]) throws {
        let buffers = orders.map { _ in spare.popLast() ?? .allocate(capacity: bins) }
        for buffer in buffers { buffer.initialize(repeating: .zero, count: bins) }
        for (buffer, (leaf, order)) in zip(buffers, orders) {
            built[leaf] = Built(histogram: buffer, right: order.newLeaf)
        }
        for answer in answers { try BoostingHistogram.add(answer, to: buffers, bins: bins) }
    }

    /// Fills `step`'s histogram with its built child's and records the new leaf's region.
    func fill(_ step: TreeGrowth.Step) {
        // Invariant: the caller checked isBuilt or received a wave with this leaf.
        let split = built.removeValue(forKey: step.order.leaf)!
        step.histogram.update(from: split.histogram, count: bins)
        spare.append(split.histogram)
        regionOf.append(split.right)
    }

    /// The value of every region of round `round - 1`'s tree `tree` (empty when it is not
    /// this object's last tree: the workers then hold it already, or fail and reload).
    func regionValues(round: Int, tree: RegressionTree?) -> [Double] {
        guard let tree else { return [] }
        if let finished, finished.round == round - 1 { return finished.values }
        guard self.round == round - 1, regionOf.count == tree.leafValues.count else { return [] }
        var values = [Double](repeating: 0, count: nextRegion)
        for (leaf, region) in regionOf.enumerated() {
            values[region] = tree.leafValues[leaf]
            // `if let right = built[leaf]?.right` reads garbage here at -Onone (Swift 6.3).
            if let split = built[leaf] { values[split.right] = tree.leafValues[leaf] }
        }
        finished = (round - 1, values)
        return values
    }
}
