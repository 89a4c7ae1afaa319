import FlockTensor

/// Grows one regression tree on binned rows the LightGBM way: leaf-wise (always split the
/// leaf whose best split gains most, up to `maxLeaves`), from gradient/hessian histograms.
/// The rows of each leaf are a contiguous range of one permutation (`order`), so a split
/// partitions its range in place; only the smaller child's histogram is built from rows,
/// the larger one's is the parent's minus it (exact: the sums are integers). Histograms of
/// large leaves are built by threads over slices of the rows and added in slice order.
///
/// The grower owns its buffers (one histogram per live leaf, the permutation) and reuses
/// them from tree to tree of one fit.
final class TreeGrower {
    let rows: BinnedRows
    let binning: FeatureBinning
    let limits: TreeLimits
    private var order: [Int32]
    private var spare: [Int32]
    /// One histogram per leaf slot, allocated as leaves first need them.
    private var slots: [UnsafeMutablePointer<SIMD4<Int64>>] = []
    private var threadSlices: [UnsafeMutablePointer<SIMD4<Int64>>] = []
    private let threads: Int
    /// Rows below which a histogram is built on one thread.
    private static let sliceRows = 8_192

    /// A grower for `rows`, binned by `binning`.
    init(rows: BinnedRows, binning: FeatureBinning, limits: TreeLimits) {
        self.rows = rows
        self.binning = binning
        self.limits = limits
        order = [Int32](repeating: 0, count: rows.rows)
        spare = order
        threads = ThreadPool.shared.threadCount
    }

    deinit {
        for slot in slots + threadSlices { slot.deallocate() }
    }

    /// One leaf while the tree grows: its rows (a range of `order`), sums, depth, histogram
    /// slot, best split, and the internal node it hangs from.
    private struct Leaf {
        var range: Range<Int>
        var sums: SIMD4<Int64>
        var depth: Int
        var slot: Int
        var best: SplitCandidate?
        var parent: Int
        var isLeftChild: Bool
    }

    /// A grown tree and, for each of its leaves, the rows (indices into the data) in it.
    struct Grown {
        var tree: RegressionTree
        /// Row indices by leaf: leaf l's rows are `order[leafRanges[l]]`.
        var order: [Int32]
        var leafRanges: [Range<Int>]
    }

    /// Grows a tree for `gradients` on rows `sample` (all rows when nil), splitting only on
    /// features where `usable` is true, each leaf's value -G/(H+λ) times `shrinkage`.
    func grow(_ gradients: QuantizedGradients, sample: [Int32]?, usable: [Bool], shrinkage: Double) -> Grown {
        let count = sample?.count ?? rows.rows
        if let sample {
            order.withUnsafeMutableBufferPointer { order in
                for i in 0..<count { order[i] = sample[i] }
            }
        } else {
            for i in 0..<count { order[i] = Int32(i) }
        }
        let search = SplitSearch(rows: rows, limits: limits, gradients: gradients)
        var features: [Int] = []
        var thresholds: [Double] = []
        var missingGoesLeft: [Bool] = []
        var leftChildren: [Int] = []
        var rightChildren: [Int] = []
        var gains: [Double] = []

        build(slot(0), 0..<count, gradients)
        let rootSums = sums(slot(0))
        var leaves = [Leaf(range: 0..<count, sums: rootSums, depth: 0, slot: 0, best: nil, parent: -1, isLeftChild: true)]
        leaves[0].best = bestSplits([leaves[0]], search, usable)[0]
        while leaves.count < limits.maxLeaves {
            var chosen: Int? = nil
            for (l, leaf) in leaves.enumerated() where leaf.best != nil {
                if chosen == nil || leaf.best!.gain > leaves[chosen!].best!.gain { chosen = l }
            }
            guard let l = chosen, let split = leaves[l].best else { break }
            let node = features.count
            features.append(split.feature)
            thresholds.append(binning.upperBounds[split.feature][split.bin])
            missingGoesLeft.append(split.missingLeft)
            leftChildren.append(~l)
            rightChildren.append(~leaves.count)
            gains.append(split.gain)
            let parent = leaves[l]
            if parent.parent >= 0 {
                if parent.isLeftChild { leftChildren[parent.parent] = node } else { rightChildren[parent.parent] = node }
            }
            let middle = partition(parent.range, split)
            var left = Leaf(
                range: parent.range.lowerBound..<middle, sums: split.left, depth: parent.depth + 1, slot: parent.slot,
                best: nil, parent: node, isLeftChild: true)
            var right = Leaf(
                range: middle..<parent.range.upperBound, sums: split.right, depth: parent.depth + 1,
                slot: leaves.count, best: nil, parent: node, isLeftChild: false)
            // The smaller child's histogram from its rows into the new slot; the parent's
            // slot becomes the larger child's by subtraction.
            let newSlot = slot(leaves.count)
            if left.range.count < right.range.count {
                (left.slot, right.slot) = (leaves.count, parent.slot)
                build(newSlot, left.range, gradients)
            } else {
                build(newSlot, right.range, gradients)
            }
            subtract(newSlot, from: slot(parent.slot))
            let splits = bestSplits([left, right], search, usable)
            (left.best, right.best) = (splits[0], splits[1])
            leaves[l] = left
            leaves.append(right)
        }
        let values = leaves.map { leaf -> Double in
            let (g, h, _) = gradients.unscaled(leaf.sums)
            return -g / (h + limits.l2) * shrinkage
        }
        let tree = RegressionTree(
            features: features, thresholds: thresholds, missingGoesLeft: missingGoesLeft,
            leftChildren: leftChildren, rightChildren: rightChildren, gains: gains, leafValues: values)
        return Grown(tree: tree, order: Array(order[0..<count]), leafRanges: leaves.map(\.range))
    }

    /// The histogram buffer of slot `index`, allocated on first use.
    private func slot(_ index: Int) -> UnsafeMutablePointer<SIMD4<Int64>> {
        while slots.count <= index {
            slots.append(.allocate(capacity: rows.histogramSize))
        }
        return slots[index]
    }

    /// A histogram's total: the sum of feature 0's bins (every row is in one of them).
    private func sums(_ histogram: UnsafeMutablePointer<SIMD4<Int64>>) -> SIMD4<Int64> {
        var total = SIMD4<Int64>()
        for bin in 0...rows.valueBins[0] { total &+= histogram[bin] }
        return total
    }

    /// Each leaf's best split (nil when it may not split), features searched in parallel.
    private func bestSplits(_ leaves: [Leaf], _ search: SplitSearch, _ usable: [Bool]) -> [SplitCandidate?] {
        let f = rows.features
        var found = [SplitCandidate?](repeating: nil, count: leaves.count * f)
        let open = leaves.map { leaf in
            leaf.range.count >= 2 * limits.minRowsInLeaf && leaf.depth < limits.maxDepth ?? .max
        }
        found.withUnsafeMutableBufferPointer { found in
            ThreadPool.shared.parallelFor(chunks: leaves.count * f) { task in
                let (l, feature) = task.quotientAndRemainder(dividingBy: f)
                guard open[l], usable[feature] else { return }
                found[task] = search.best(feature: feature, histogram: slots[leaves[l].slot], total: leaves[l].sums)
            }
        }
        return leaves.indices.map { l in found[l * f..<(l + 1) * f].reduce(nil, SplitSearch.better) }
    }

    /// Splits `order[range]` stably into the rows going left, then those going right;
    /// returns where the right ones start.
    private func partition(_ range: Range<Int>, _ split: SplitCandidate) -> Int {
        let width = rows.features
        let feature = split.feature
        let threshold = UInt8(split.bin)
        let missingBin = UInt8(rows.valueBins[feature])
        return rows.bins.withUnsafeBufferPointer { bins in
            order.withUnsafeMutableBufferPointer { order in
                spare.withUnsafeMutableBufferPointer { spare in
                    var left = range.lowerBound
                    var right = 0
                    for i in range {
                        let row = order[i]
                        let bin = bins[Int(row) * width + feature]
                        if bin == missingBin ? split.missingLeft : bin <= threshold {
                            order[left] = row
                            left += 1
                        } else {
                            spare[right] = row
                            right += 1
                        }
                    }
                    for i in 0..<right { order[left + i] = spare[i] }
                    return left
                }
            }
        }
    }

    /// Fills `histogram` with the sums of rows `order[range]`: on one thread for a small
    /// range, else over slices of rows, each thread's into its own buffer, added in order.
    private func build(_ histogram: UnsafeMutablePointer<SIMD4<Int64>>, _ range: Range<Int>, _ gradients: QuantizedGradients) {
        let slices = Swift.max(1, Swift.min(threads, range.count / Self.sliceRows))
        while threadSlices.count < slices - 1 { threadSlices.append(.allocate(capacity: rows.histogramSize)) }
        let size = rows.histogramSize
        rows.bins.withUnsafeBufferPointer { bins in
            order.withUnsafeBufferPointer { order in
                gradients.values.withUnsafeBufferPointer { values in
                    rows.offsets.withUnsafeBufferPointer { offsets in
                        let buffers = [histogram] + threadSlices.prefix(slices - 1)
                        ThreadPool.shared.parallelFor(chunks: slices) { s in
                            let lower = range.lowerBound + range.count * s / slices
                            let upper = range.lowerBound + range.count * (s + 1) / slices
                            buffers[s].initialize(repeating: SIMD4(), count: size)
                            Self.accumulate(
                                into: buffers[s], rows: order.baseAddress! + lower, count: upper - lower,
                                bins: bins.baseAddress!, width: rows.features, offsets: offsets.baseAddress!,
                                gradients: values.baseAddress!)
                        }
                        for s in 1..<slices {
                            for b in 0..<size { histogram[b] &+= buffers[s][b] }
                        }
                    }
                }
            }
        }
    }

    /// The hot loop: per row, its (g, h, 1) added to the bin of each feature.
    @inline(__always)
    private static func accumulate(
        into histogram: UnsafeMutablePointer<SIMD4<Int64>>, rows: UnsafePointer<Int32>, count: Int,
        bins: UnsafePointer<UInt8>, width: Int, offsets: UnsafePointer<Int32>, gradients: UnsafePointer<SIMD4<Int64>>
    ) {
        for i in 0..<count {
            let row = Int(rows[i])
            let value = gradients[row]
            let rowBins = bins + row * width
            for f in 0..<width {
                histogram[Int(offsets[f]) + Int(rowBins[f])] &+= value
            }
        }
    }

    /// `histogram` subtracted from `parent`, bin by bin.
    private func subtract(_ histogram: UnsafeMutablePointer<SIMD4<Int64>>, from parent: UnsafeMutablePointer<SIMD4<Int64>>) {
        for b in 0..<rows.histogramSize { parent[b] &-= histogram[b] }
    }
}
