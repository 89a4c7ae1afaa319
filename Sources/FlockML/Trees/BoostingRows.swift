import FlockData
import FlockTensor

/// The rows side of a boosting fit: binned features, labels and running scores of all rows
/// (in one process) or of one block-aligned shard (in a worker, `BoostingShard`). It does
/// what `BoostingRounds` asks of rows: each round, add the last tree to the scores and give
/// the largest gradient and hessian; then quantize on the fit's scales, draw the round's
/// rows (`RowSample`, numbered from `firstRow`) and fill the root's histogram; then make
/// each split and fill its histogram. In one process this is the whole fit's rows; on a
/// cluster the driver sums the shards' histograms, exact because they are integers.
final class BoostingRows {
    let binned: BinnedRows
    let binning: FeatureBinning
    let labels: [Double]
    /// The first row's number in the training set (a multiple of `BlockReduction.blockRows`).
    let firstRow: Int
    let loss: BoostingLoss
    /// Subsampling: the fraction of rows a round grows on, and the seed of the draws.
    let subsamplingRate: Double
    let seed: UInt64

    private(set) var scores: [Double]
    /// Trees added to `scores` so far.
    private(set) var treesAdded = 0
    private var gradients: [Double]
    private var hessians: [Double]
    private var quantized = QuantizedGradients(gradients: [], hessians: [])
    private let leafRows: LeafRows
    /// The rows of the tree `leafRows` grew last (nil: every row), kept to add that tree.
    private var sample: [Int32]?

    /// Rows `binned` with `labels`, scores starting at `initialScore`.
    init(
        binned: BinnedRows, binning: FeatureBinning, labels: [Double], firstRow: Int, loss: BoostingLoss,
        subsamplingRate: Double, seed: UInt64, initialScore: Double
    ) {
        (self.binned, self.binning, self.labels, self.firstRow, self.loss) = (binned, binning, labels, firstRow, loss)
        (self.subsamplingRate, self.seed) = (subsamplingRate, seed)
        scores = [Double](repeating: initialScore, count: labels.count)
        (gradients, hessians) = (scores, scores)
        leafRows = LeafRows(rows: binned)
    }

    /// The sum of each block's labels, in order (`BlockReduction` combines them into the
    /// sum the initial score starts from, the same bits in-process and on a cluster).
    static func labelSums(_ labels: [Double]) -> [Double] {
        BlockReduction.partials(rows: labels.count) { range in labels[range].reduce(0, +) }
    }

    /// Adds `trees` to every row's score by walking them (a shard rebuilt after its worker
    /// died catches up with the fit this way).
    func replay(_ trees: [RegressionTree]) {
        for tree in trees {
            add(tree, byLeaf: false)
            treesAdded += 1
        }
    }

    /// Round `round` begins: adds `lastTree` (round - 1's, grown here) unless it already
    /// was, computes every row's gradient and hessian, and returns their largest magnitudes.
    /// - Throws: `MLError.invalidData` when the rows are not at round `round`.
    func derivatives(round: Int, lastTree: RegressionTree?) throws -> SIMD2<Double> {
        if let lastTree, treesAdded == round - 1 {
            add(lastTree, byLeaf: true)
            treesAdded += 1
        }
        guard treesAdded == round else {
            throw MLError.invalidData("boosting rows hold \(treesAdded) trees at round \(round)")
        }
        loss.derivatives(scores, labels, into: &gradients, &hessians)
        return QuantizedGradients.largest(gradients, hessians)
    }

    /// Starts round `round`'s tree: quantizes on `scales`, draws the round's rows and fills
    /// `histogram` with the root's sums.
    func root(round: Int, scales: GradientScales, histogram: UnsafeMutablePointer<SIMD4<Int64>>) {
        quantized.update(gradients: gradients, hessians: hessians, scales: scales)
        sample =
            subsamplingRate < 1
            ? RowSample.rows(firstRow..<firstRow + labels.count, rate: subsamplingRate, seed: seed, for: .round(round))
                .map { Int32($0 - firstRow) } : nil
        leafRows.begin(gradients: quantized.values, sample: sample, root: histogram)
    }

    /// Makes `split` and fills `histogram` with the sums of the child it names.
    func split(_ split: SplitOrder, histogram: UnsafeMutablePointer<SIMD4<Int64>>) {
        leafRows.split(split, histogram: histogram)
    }

    /// The tree's outputs added to the scores: with `byLeaf` (the tree `leafRows` grew
    /// last) by leaf for the rows it grew on; by walking it for the rest.
    private func add(_ tree: RegressionTree, byLeaf: Bool) {
        let ranges = leafRows.ranges
        let order = leafRows.order
        var covered = !byLeaf || sample != nil ? [Bool](repeating: false, count: scores.count) : []
        if byLeaf {
            scores.withUnsafeMutableBufferPointer { scores in
                covered.withUnsafeMutableBufferPointer { covered in
                    // Leaves hold disjoint rows, so they update in parallel.
                    ThreadPool.shared.parallelFor(chunks: ranges.count) { leaf in
                        let value = tree.leafValues[leaf]
                        for i in ranges[leaf] {
                            let row = Int(order[i].row)
                            scores[row] += value
                            if !covered.isEmpty { covered[row] = true }
                        }
                    }
                }
            }
        }
        guard !covered.isEmpty else { return }
        let (bins, rows, bounds, missing) = (binned.bins, binned.rows, binning.upperBounds, binned.valueBins)
        for i in scores.indices where !covered[i] {
            scores[i] += tree.predict { f in
                let bin = Int(bins[f * rows + i])
                return bin == missing[f] ? .nan : bounds[f][bin]
            }
        }
    }
}
