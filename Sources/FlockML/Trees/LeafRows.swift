import FlockTensor

/// The rows a tree grows on, on the side that holds them (this process, or one worker's
/// share on a cluster): a permutation of the rows (`order`) in which each leaf's rows are a
/// contiguous range, with their packed gradients beside them, so a histogram reads a
/// leaf's gradients in sequence instead of gathering them. A split partitions its leaf's
/// range in place, stably, and builds the histogram `TreeGrowth` asks for; a large leaf's
/// histogram is built feature by feature in parallel.
///
/// It owns its buffers and reuses them from tree to tree of one fit.
final class LeafRows {
    let rows: BinnedRows
    /// The rows being grown on, each leaf's a contiguous range.
    private(set) var order: [LeafRow]
    /// Each leaf's range of `order`, by leaf number.
    private(set) var ranges: [Range<Int>] = []
    /// Whether the tree grows on every row (then the root's row i is i).
    private var allRows = true
    /// Where a partition writes each slice's left and right rows before they move back.
    private var spareLeft: [LeafRow]
    private var spareRight: [LeafRow]
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

    /// The rows `rows`, before any tree.
    init(rows: BinnedRows) {
        self.rows = rows
        order = [LeafRow](repeating: LeafRow(row: 0, gradient: 0), count: rows.rows)
        (spareLeft, spareRight) = (order, order)
        let zeros = UnsafeMutablePointer<UInt8>.allocate(capacity: rows.rows)
        zeros.initialize(repeating: 0, count: rows.rows)
        pad = UnsafePointer(zeros)
        threads = ThreadPool.shared.threadCount
        spare = .allocate(capacity: 1)
    }

    deinit {
        UnsafeMutablePointer(mutating: pad).deallocate()
        spare.deallocate()
    }

    /// Starts a tree on rows `sample` (all rows when nil, ascending otherwise), whose packed
    /// gradients are `gradients` (one per row), and fills `histogram` with the root's sums.
    func begin(gradients: [Int64], sample: [Int32]?, root histogram: UnsafeMutablePointer<SIMD4<Int64>>) {
        let count = sample?.count ?? rows.rows
        gradients.withUnsafeBufferPointer { values in
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
        ranges = [0..<count]
        allRows = sample == nil
        build(histogram, 0..<count, allRowsInOrder: allRows)
    }

    /// Makes split `split`: partitions its leaf's rows and fills `histogram` with the sums
    /// of the child it names.
    func split(_ split: SplitOrder, histogram: UnsafeMutablePointer<SIMD4<Int64>>) {
        precondition(split.leaf < ranges.count && split.newLeaf == ranges.count, "splits arrive in order")
        let range = ranges[split.leaf]
        let middle = partition(range, feature: split.feature, bin: split.bin, missingLeft: split.missingLeft)
        ranges[split.leaf] = range.lowerBound..<middle
        ranges.append(middle..<range.upperBound)
        build(histogram, ranges[split.buildLeft ? split.leaf : split.newLeaf])
    }

    /// Splits `order[range]` stably into the rows going left, then those going right;
    /// returns where the right ones start. Slices of the range split in parallel into two
    /// spare arrays, then each slice's rows move to their places.
    private func partition(_ range: Range<Int>, feature: Int, bin: Int, missingLeft: Bool) -> Int {
        let threshold = UInt8(bin)
        let missingBin = UInt8(rows.valueBins[feature])
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
                            let bins = histogram + Int(rows.layout.offsets[f])
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
