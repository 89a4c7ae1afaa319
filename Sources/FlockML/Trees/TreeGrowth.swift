import FlockTensor

/// The decisions of growing one regression tree the LightGBM way: leaf-wise (always split
/// the leaf whose best split gains most, up to `maxLeaves`), from gradient/hessian
/// histograms that the caller fills. It holds one histogram per live leaf; each step names
/// the split to make and the child whose histogram the rows must give (the smaller one);
/// the larger child's is the parent's minus it (exact: the sums are integers).
///
/// The rows live elsewhere: in this process (`LeafRows`, driven by `TreeGrower`) or in
/// workers, whose histograms the cluster fit sums into the step's buffer
/// (`ClusterBoosting`). Either way a leaf is numbered as here: a split leaf keeps its
/// number for its left child and its right child takes the next free number.
final class TreeGrowth {
    let layout: HistogramLayout
    let binning: FeatureBinning
    let limits: TreeLimits
    /// One histogram per leaf slot, allocated as leaves first need them; reused by the next tree.
    private var slots: [UnsafeMutablePointer<SIMD4<Int64>>] = []

    /// One leaf while the tree grows: its row count, sums, depth, histogram slot, best
    /// split, the features it may split on, and the internal node it hangs from.
    private struct Leaf {
        var sums: SIMD4<Int64>
        var depth: Int
        var slot: Int
        var best: SplitCandidate?
        var parent: Int
        var isLeftChild: Bool
        var usable: [Bool]
    }

    /// A split to make (`order`, what the rows are told), the candidate it makes, and the
    /// buffer the rows fill with the built child's histogram.
    struct Step {
        let order: SplitOrder
        let split: SplitCandidate
        let histogram: UnsafeMutablePointer<SIMD4<Int64>>
    }

    // The tree being grown.
    private var search: SplitSearch?
    private var choice = FeatureChoice(tree: [])
    private var leaves: [Leaf] = []
    private var features: [Int] = []
    private var thresholds: [Double] = []
    private var missingGoesLeft: [Bool] = []
    private var leftChildren: [Int] = []
    private var rightChildren: [Int] = []
    private var gains: [Double] = []

    /// Growth over rows binned by `binning`, within `limits`.
    init(binning: FeatureBinning, limits: TreeLimits) {
        self.binning = binning
        self.layout = binning.layout
        self.limits = limits
    }

    deinit {
        for slot in slots { slot.deallocate() }
    }

    /// Starts a tree for gradients on `scales`, splitting only on the features `choice`
    /// allows each node; returns the buffer the rows fill with the root's histogram
    /// before `rootFilled()`.
    func begin(scales: GradientScales, features choice: FeatureChoice) -> UnsafeMutablePointer<SIMD4<Int64>> {
        search = SplitSearch(layout: layout, limits: limits, scales: scales)
        self.choice = choice
        leaves = []
        (features, thresholds, missingGoesLeft, leftChildren, rightChildren, gains) = ([], [], [], [], [], [])
        return slot(0)
    }

    /// Takes the root's histogram (filled since `begin`).
    func rootFilled() {
        var total = SIMD4<Int64>()
        // Every row is in one of feature 0's bins.
        for bin in layout.bins(of: 0) { total &+= slots[0][bin] }
        leaves = [
            Leaf(
                sums: total, depth: 0, slot: 0, best: nil, parent: -1, isLeftChild: true, usable: choice.usable(node: 0)
            )
        ]
        leaves[0].best = bestSplits([0])[0]
    }

    /// The next split, or nil when the tree is done (`maxLeaves` reached or no leaf gains).
    func next() -> Step? {
        guard leaves.count < limits.maxLeaves else { return nil }
        var chosen: Int? = nil
        for (l, leaf) in leaves.enumerated() where leaf.best != nil {
            if chosen == nil || leaf.best!.gain > leaves[chosen!].best!.gain { chosen = l }
        }
        guard let l = chosen, let split = leaves[l].best else { return nil }
        let order = SplitOrder(
            leaf: l, newLeaf: leaves.count, feature: split.feature, bin: split.bin, missingLeft: split.missingLeft,
            buildLeft: split.left[2] < split.right[2])
        return Step(order: order, split: split, histogram: slot(leaves.count))
    }

    /// Makes `step`'s split, its histogram filled: records the node, gives the larger child
    /// the parent's histogram minus the built one, and finds both children's best splits.
    func apply(_ step: Step) {
        let (split, order) = (step.split, step.order)
        let node = features.count
        features.append(split.feature)
        thresholds.append(binning.upperBounds[split.feature][split.bin])
        missingGoesLeft.append(split.missingLeft)
        leftChildren.append(~order.leaf)
        rightChildren.append(~order.newLeaf)
        gains.append(split.gain)
        let parent = leaves[order.leaf]
        if parent.parent >= 0 {
            if parent.isLeftChild {
                leftChildren[parent.parent] = node
            } else {
                rightChildren[parent.parent] = node
            }
        }
        // The built child's histogram is in the new slot; the parent's slot becomes the other's.
        let newSlot = leaves.count
        let left = Leaf(
            sums: split.left, depth: parent.depth + 1, slot: order.buildLeft ? newSlot : parent.slot, best: nil,
            parent: node, isLeftChild: true, usable: choice.usable(node: 2 * node + 1))
        let right = Leaf(
            sums: split.right, depth: parent.depth + 1, slot: order.buildLeft ? parent.slot : newSlot, best: nil,
            parent: node, isLeftChild: false, usable: choice.usable(node: 2 * node + 2))
        leaves[order.leaf] = left
        leaves.append(right)
        let larger = order.buildLeft ? order.newLeaf : order.leaf
        let splits = bestSplits([order.leaf, order.newLeaf], subtracting: (step.histogram, larger))
        (leaves[order.leaf].best, leaves[order.newLeaf].best) = (splits[0], splits[1])
    }

    /// The grown tree, each leaf's value -G/(H+λ) times `shrinkage`.
    func tree(shrinkage: Double) -> RegressionTree {
        // Invariant: begin set the search.
        let scales = search!.scales
        let values = leaves.map { leaf -> Double in
            let (g, h, _) = scales.unscaled(leaf.sums)
            return -g / (h + limits.l2) * shrinkage
        }
        return RegressionTree(
            features: features, thresholds: thresholds, missingGoesLeft: missingGoesLeft,
            leftChildren: leftChildren, rightChildren: rightChildren, gains: gains, leafValues: values)
    }

    /// The histogram buffer of slot `index`, allocated on first use.
    private func slot(_ index: Int) -> UnsafeMutablePointer<SIMD4<Int64>> {
        while slots.count <= index {
            slots.append(.allocate(capacity: layout.histogramSize))
        }
        return slots[index]
    }

    /// The best split of each of `indices`' leaves (nil when it may not split), features
    /// searched in parallel. With `subtracting`, leaf `from`'s histogram is still its
    /// parent's: each feature's bins have `histogram` subtracted just before the search.
    private func bestSplits(
        _ indices: [Int], subtracting: (histogram: UnsafeMutablePointer<SIMD4<Int64>>, from: Int)? = nil
    ) -> [SplitCandidate?] {
        // Invariant: begin set the search.
        let search = search!
        let f = layout.features
        let chosen = indices.map { leaves[$0] }
        var found = [SplitCandidate?](repeating: nil, count: indices.count * f)
        let open = chosen.map { leaf in
            leaf.sums[2] >= 2 * Int64(limits.minRowsInLeaf) && leaf.depth < limits.maxDepth ?? .max
        }
        found.withUnsafeMutableBufferPointer { found in
            ThreadPool.shared.parallelFor(chunks: indices.count * f) { task in
                let (l, feature) = task.quotientAndRemainder(dividingBy: f)
                let histogram = slots[chosen[l].slot]
                if let subtracting, subtracting.from == indices[l] {
                    for b in layout.bins(of: feature) { histogram[b] &-= subtracting.histogram[b] }
                }
                guard open[l], chosen[l].usable[feature] else { return }
                found[task] = search.best(feature: feature, histogram: histogram, total: chosen[l].sums)
            }
        }
        return indices.indices.map { l in found[l * f..<(l + 1) * f].reduce(nil, SplitSearch.better) }
    }
}

/// What the rows are told of a split: leaf `leaf` sends left its rows whose bin of
/// `feature` is at most `bin` (and its missing rows when `missingLeft`); the left child
/// stays leaf `leaf`, the right becomes leaf `newLeaf`; the rows give the histogram of the
/// left child when `buildLeft`, else of the right.
struct SplitOrder: Codable, Equatable, Sendable {
    let leaf: Int
    let newLeaf: Int
    let feature: Int
    let bin: Int
    let missingLeft: Bool
    let buildLeft: Bool
}
