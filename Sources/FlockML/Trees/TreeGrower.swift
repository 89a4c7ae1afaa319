import FlockData
import FlockTensor

/// Grows one regression tree on binned rows the LightGBM way: leaf-wise (always split the
/// leaf whose best split gains most, up to `maxLeaves`), from gradient/hessian histograms.
/// The rows of each leaf are a contiguous range of one permutation (`order`), so a split
/// partitions its range in place; only the smaller child's histogram is built from rows,
/// the larger one's is the parent's minus it (exact: the sums are integers). A large
/// leaf's histogram is built feature by feature in parallel.
///
/// The grower owns its buffers (one histogram per live leaf, the permutation) and reuses
/// them from tree to tree of one fit.
final class TreeGrower {
    let rows: BinnedRows
    let binning: FeatureBinning
    let limits: TreeLimits
    /// The rows being grown on, each leaf's a contiguous range, with their packed
    /// gradients beside them: a partition moves both, so a histogram reads a leaf's
    /// gradients in sequence instead of gathering them.
    private var order: [LeafRow]
    /// Where a partition writes each slice's left and right rows before they move back.
    private var spareLeft: [LeafRow]
    private var spareRight: [LeafRow]
    /// One histogram per leaf slot, allocated as leaves first need them.
    private var slots: [UnsafeMutablePointer<SIMD4<Int64>>] = []
    /// A column of zeros and a spare bin, for the unused lanes of a pass.
    private let pad: UnsafePointer<UInt8>
    private let spare: UnsafeMutablePointer<SIMD4<Int64>>
    private let threads: Int
    /// Rows below which a partition runs on one thread.
    private static let sliceRows = 2_048
    /// Rows per chunk of the per-tree loops.
    private static let blockRows = 65_536
    /// Rows below which a histogram is built on one thread.
    private static let parallelRows = 1_024

    /// A grower for `rows`, binned by `binning`.
    init(rows: BinnedRows, binning: FeatureBinning, limits: TreeLimits) {
        self.rows = rows
        self.binning = binning
        self.limits = limits
        order = [LeafRow](repeating: LeafRow(row: 0, gradient: 0), count: rows.rows)
        (spareLeft, spareRight) = (order, order)
        let zeros = UnsafeMutablePointer<UInt8>.allocate(capacity: rows.rows)
        zeros.initialize(repeating: 0, count: rows.rows)
        pad = UnsafePointer(zeros)
        threads = ThreadPool.shared.threadCount
        spare = .allocate(capacity: 1)
    }

    deinit {
        for slot in slots { slot.deallocate() }
        UnsafeMutablePointer(mutating: pad).deallocate()
        spare.deallocate()
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
        /// The features it may split on.
        var usable: [Bool]
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
        let count = sample?.count ?? rows.rows
        gradients.values.withUnsafeBufferPointer { values in
            order.withUnsafeMutableBufferPointer { order in
                let blocks = (count + Self.blockRows - 1) / Self.blockRows
                ThreadPool.shared.parallelFor(chunks: blocks) { block in
                    for i in block * Self.blockRows..<Swift.min(count, (block + 1) * Self.blockRows) {
                        let row = sample?[i] ?? Int32(i)
                        order[i] = LeafRow(row: row, gradient: values[Int(row)])
                    }
                }
            }
        }
        let search = SplitSearch(rows: rows, limits: limits, gradients: gradients)
        var features: [Int] = []
        var thresholds: [Double] = []
        var missingGoesLeft: [Bool] = []
        var leftChildren: [Int] = []
        var rightChildren: [Int] = []
        var gains: [Double] = []

        build(slot(0), 0..<count, allRowsInOrder: sample == nil)
        let rootSums = sums(slot(0))
        var leaves = [
            Leaf(
                range: 0..<count, sums: rootSums, depth: 0, slot: 0, best: nil, parent: -1, isLeftChild: true,
                usable: choice.usable(node: 0))
        ]
        leaves[0].best = bestSplits([leaves[0]], search)[0]
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
                if parent.isLeftChild {
                    leftChildren[parent.parent] = node
                } else {
                    rightChildren[parent.parent] = node
                }
            }
            let middle = partition(parent.range, split)
            var left = Leaf(
                range: parent.range.lowerBound..<middle, sums: split.left, depth: parent.depth + 1, slot: parent.slot,
                best: nil, parent: node, isLeftChild: true, usable: choice.usable(node: 2 * node + 1))
            var right = Leaf(
                range: middle..<parent.range.upperBound, sums: split.right, depth: parent.depth + 1,
                slot: leaves.count, best: nil, parent: node, isLeftChild: false,
                usable: choice.usable(node: 2 * node + 2))
            // The smaller child's histogram from its rows into the new slot; the parent's
            // slot becomes the larger child's by subtraction.
            let newSlot = slot(leaves.count)
            if left.range.count < right.range.count {
                (left.slot, right.slot) = (leaves.count, parent.slot)
                build(newSlot, left.range)
            } else {
                build(newSlot, right.range)
            }
            let larger = left.slot == parent.slot ? 0 : 1
            let splits = bestSplits([left, right], search, subtracting: (newSlot, larger))
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
        return Grown(tree: tree, order: order[0..<count].map(\.row), leafRanges: leaves.map(\.range))
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
    /// With `subtracting`, leaf `from`'s histogram is still its parent's: each feature's
    /// bins have the sibling's `histogram` subtracted just before they are searched.
    private func bestSplits(
        _ leaves: [Leaf], _ search: SplitSearch,
        subtracting: (histogram: UnsafeMutablePointer<SIMD4<Int64>>, from: Int)? = nil
    ) -> [SplitCandidate?] {
        let f = rows.features
        var found = [SplitCandidate?](repeating: nil, count: leaves.count * f)
        let open = leaves.map { leaf in
            leaf.range.count >= 2 * limits.minRowsInLeaf && leaf.depth < limits.maxDepth ?? .max
        }
        found.withUnsafeMutableBufferPointer { found in
            ThreadPool.shared.parallelFor(chunks: leaves.count * f) { task in
                let (l, feature) = task.quotientAndRemainder(dividingBy: f)
                let histogram = slots[leaves[l].slot]
                if let subtracting, subtracting.from == l {
                    let bins = Int(rows.offsets[feature])..<Int(rows.offsets[feature]) + rows.valueBins[feature] + 1
                    for b in bins { histogram[b] &-= subtracting.histogram[b] }
                }
                guard open[l], leaves[l].usable[feature] else { return }
                found[task] = search.best(feature: feature, histogram: histogram, total: leaves[l].sums)
            }
        }
        return leaves.indices.map { l in found[l * f..<(l + 1) * f].reduce(nil, SplitSearch.better) }
    }

    /// Splits `order[range]` stably into the rows going left, then those going right;
    /// returns where the right ones start. Slices of the range split in parallel into two
    /// spare arrays, then each slice's rows move to their places.
    private func partition(_ range: Range<Int>, _ split: SplitCandidate) -> Int {
        let feature = split.feature
        let threshold = UInt8(split.bin)
        let missingBin = UInt8(rows.valueBins[feature])
        let missingLeft = split.missingLeft
        let slices = Swift.max(1, Swift.min(threads, range.count / Self.sliceRows))
        func bounds(_ s: Int) -> Range<Int> {
            range.lowerBound + range.count * s / slices..<range.lowerBound + range.count * (s + 1) / slices
        }
        var lefts = [Int](repeating: 0, count: slices)
        rows.bins.withUnsafeBufferPointer { columns in
            // Invariant: feature < features, so the column lies inside the buffer.
            let bins = columns.baseAddress! + feature * rows.rows
            order.withUnsafeMutableBufferPointer { order in
                spareLeft.withUnsafeMutableBufferPointer { spareLeft in
                    spareRight.withUnsafeMutableBufferPointer { spareRight in
                        lefts.withUnsafeMutableBufferPointer { lefts in
                            ThreadPool.shared.parallelFor(chunks: slices) { s in
                                var (left, right) = (bounds(s).lowerBound, bounds(s).lowerBound)
                                for i in bounds(s) {
                                    let row = order[i]
                                    let bin = bins[Int(row.row)]
                                    if bin == missingBin ? missingLeft : bin <= threshold {
                                        spareLeft[left] = row
                                        left += 1
                                    } else {
                                        spareRight[right] = row
                                        right += 1
                                    }
                                }
                                lefts[s] = left - bounds(s).lowerBound
                            }
                            let totalLeft = lefts.reduce(0, +)
                            ThreadPool.shared.parallelFor(chunks: slices) { s in
                                let before = lefts[0..<s].reduce(0, +)
                                let slice = bounds(s)
                                let leftStart = range.lowerBound + before
                                let rightStart =
                                    range.lowerBound + totalLeft + (slice.lowerBound - range.lowerBound - before)
                                for i in 0..<lefts[s] { order[leftStart + i] = spareLeft[slice.lowerBound + i] }
                                for i in 0..<(slice.count - lefts[s]) {
                                    order[rightStart + i] = spareRight[slice.lowerBound + i]
                                }
                            }
                        }
                    }
                }
            }
        }
        return range.lowerBound + lefts.reduce(0, +)
    }

    /// Fills `histogram` with the sums of rows `order[range]`: each group of four features
    /// (groups in parallel for a large leaf) adds the rows' gradients into its bins, reading
    /// the columns at the leaf's rows. With `allRowsInOrder` (the root of a tree grown on
    /// every row) row i is i: the columns are read in sequence.
    private func build(
        _ histogram: UnsafeMutablePointer<SIMD4<Int64>>, _ range: Range<Int>, allRowsInOrder: Bool = false
    ) {
        let count = range.count
        rows.bins.withUnsafeBufferPointer { columns in
            order.withUnsafeBufferPointer { order in
                // Invariant: range lies inside order; every row index is below rows.rows.
                let leafRows = order.baseAddress! + range.lowerBound
                let groups = (rows.features + 3) / 4
                let chunks = count >= Self.parallelRows ? groups : 1
                ThreadPool.shared.parallelFor(chunks: chunks) { chunk in
                    for group in chunks == 1 ? 0..<groups : chunk..<chunk + 1 {
                        // Only the last group has unused lanes: one thread writes the spare bin.
                        var lanes = Lanes(bins: (spare, spare, spare, spare), columns: (pad, pad, pad, pad))
                        for f in group * 4..<Swift.min(group * 4 + 4, rows.features) {
                            let bins = histogram + Int(rows.offsets[f])
                            bins.initialize(repeating: SIMD4(), count: rows.valueBins[f] + 1)
                            lanes.set(f - group * 4, bins: bins, column: columns.baseAddress! + f * rows.rows)
                        }
                        Self.accumulate(into: lanes, rows: leafRows, count: count, inOrder: allRowsInOrder)
                    }
                }
            }
        }
    }

    /// Four features' histograms and columns, filled in one pass over a leaf's rows: four
    /// independent read-add-write chains, where one feature alone would wait on each
    /// update of a bin it just wrote. Unused lanes read a column of zeros into a spare bin.
    private struct Lanes {
        var bins:
            (
                UnsafeMutablePointer<SIMD4<Int64>>, UnsafeMutablePointer<SIMD4<Int64>>,
                UnsafeMutablePointer<SIMD4<Int64>>, UnsafeMutablePointer<SIMD4<Int64>>
            )
        var columns: (UnsafePointer<UInt8>, UnsafePointer<UInt8>, UnsafePointer<UInt8>, UnsafePointer<UInt8>)

        mutating func set(_ lane: Int, bins histogram: UnsafeMutablePointer<SIMD4<Int64>>, column: UnsafePointer<UInt8>)
        {
            switch lane {
            case 0: (bins.0, columns.0) = (histogram, column)
            case 1: (bins.1, columns.1) = (histogram, column)
            case 2: (bins.2, columns.2) = (histogram, column)
            default: (bins.3, columns.3) = (histogram, column)
            }
        }
    }

    /// The hot loop: each row's (g, h, 1) added to its bin of each of four features (row i
    /// read as i itself when `inOrder`).
    @inline(__always)
    private static func accumulate(into lanes: Lanes, rows: UnsafePointer<LeafRow>, count: Int, inOrder: Bool) {
        let (b0, b1, b2, b3) = lanes.bins
        let (c0, c1, c2, c3) = lanes.columns
        @inline(__always)
        func add(_ row: Int, _ packed: Int64) {
            let entry = QuantizedGradients.entry(packed)
            b0[Int(c0[row])] &+= entry
            b1[Int(c1[row])] &+= entry
            b2[Int(c2[row])] &+= entry
            b3[Int(c3[row])] &+= entry
        }
        if inOrder {
            for i in 0..<count { add(i, rows[i].gradient) }
        } else {
            for i in 0..<count { add(Int(rows[i].row), rows[i].gradient) }
        }
    }
}

/// A row being grown on: its index and its packed gradient (`QuantizedGradients`).
struct LeafRow {
    var row: Int32
    var gradient: Int64
}

/// Which features a node of a tree may split on: one set for the whole tree (boosting's
/// per-tree subsample), or, for random forests, `count` drawn afresh for every node from the
/// seed, the tree and the node's number (root 0, node n's children 2n + 1 and 2n + 2).
struct FeatureChoice {
    let tree: [Bool]
    let perNode: (count: Int, seed: UInt64, tree: Int)?

    /// Every node may use the features where `usable` is true.
    init(tree usable: [Bool]) { (tree, perNode) = (usable, nil) }

    /// Every node draws `count` of `features` features.
    init(features: Int, perNode count: Int, seed: UInt64, tree: Int) {
        self.tree = [Bool](repeating: true, count: features)
        perNode = (count, seed, tree)
    }

    /// The features node `node` may use.
    func usable(node: Int) -> [Bool] {
        guard let perNode, perNode.count < tree.count else { return tree }
        var random = RandomStream(seed: perNode.seed &+ UInt64(perNode.tree) &* 0x9E37_79B9, stream: UInt64(node))
        var indices = Array(tree.indices)
        var usable = [Bool](repeating: false, count: tree.count)
        for i in 0..<perNode.count {
            indices.swapAt(i, i + random.below(tree.count - i))
            usable[indices[i]] = true
        }
        return usable
    }
}
