/// Limits on how a tree grows (LightGBM's names in parentheses).
struct TreeLimits {
    /// Leaves at most (num_leaves).
    var maxLeaves: Int
    /// Depth at most; nil: no limit (max_depth = -1).
    var maxDepth: Int?
    /// Rows in a leaf at least (min_data_in_leaf).
    var minRowsInLeaf: Int
    /// Summed hessian in a leaf at least (min_sum_hessian_in_leaf).
    var minHessianInLeaf: Double
    /// The L2 penalty on leaf values (lambda_l2).
    var l2: Double
    /// The least gain worth a split (min_gain_to_split).
    var minGain: Double
}

/// The best split of one leaf: left takes value bins 0...`bin` of `feature` (and the
/// missing bin when `missingLeft`), with the sums each side gets.
struct SplitCandidate {
    var gain: Double
    var feature: Int
    var bin: Int
    var missingLeft: Bool
    var left: SIMD4<Int64>
    var right: SIMD4<Int64>
}

/// Finding a leaf's best split from its histogram: for each feature, every cut between
/// neighbouring bins, with the missing rows sent right and (when there are any) left; the
/// gain G_L²/(H_L+λ) + G_R²/(H_R+λ) - G²/(H+λ) of the summed gradients G and hessians H,
/// computed on the sums' integer scales (one division a side) and converted at the end.
/// Ties go to the lower feature, then the lower bin, then missing right: the same choice
/// however the work is split.
struct SplitSearch {
    let layout: HistogramLayout
    let limits: TreeLimits
    /// The scales of the sums it searches.
    let scales: GradientScales
    /// λ and the least hessian on the hessians' integer scale.
    private let scaledL2: Double
    private let scaledMinHessian: Int64
    /// From a scaled score g²/(h + λ) (g, h on their integer scales) to the loss's units.
    private let gainUnit: Double

    /// A search over histograms laid out by `layout`, with these limits, for sums on `scales`.
    init(layout: HistogramLayout, limits: TreeLimits, scales: GradientScales) {
        self.layout = layout
        self.limits = limits
        self.scales = scales
        let (gs, hs) = (scales.gradient, scales.hessian)
        scaledL2 = limits.l2 * hs
        scaledMinHessian = Int64((limits.minHessianInLeaf * hs).rounded(.up))
        gainUnit = hs / (gs * gs)
    }

    /// G²/(H + λ) of a sum, in scaled units.
    @inline(__always)
    private func score(_ sum: SIMD4<Int64>) -> Double {
        let g = Double(sum[0])
        return g * g / (Double(sum[1]) + scaledL2)
    }

    /// Whether one side of a split may be a leaf.
    @inline(__always)
    private func allowed(_ side: SIMD4<Int64>) -> Bool {
        side[2] >= limits.minRowsInLeaf && side[1] >= scaledMinHessian
    }

    /// The best split of feature `feature` for a leaf with histogram `histogram` and sums
    /// `total`, if any split gains more than `limits.minGain`.
    func best(feature f: Int, histogram: UnsafePointer<SIMD4<Int64>>, total: SIMD4<Int64>) -> SplitCandidate? {
        let base = Int(layout.offsets[f])
        let valueBins = layout.valueBins[f]
        let missing = histogram[base + valueBins]
        let parent = score(total)
        let minRows = Int64(limits.minRowsInLeaf)
        var (bestScore, bestBin, bestMissingLeft, bestLeft) = (-Double.infinity, -1, false, SIMD4<Int64>())
        var left = SIMD4<Int64>()
        for bin in 0..<Swift.max(0, valueBins - 1) {
            let entry = histogram[base + bin]
            // An empty bin leaves the cut where the last one was: same score, and ties keep the lower bin.
            if entry[2] == 0 { continue }
            left &+= entry
            if left[2] > total[2] - minRows { break }
            for pass in 0..<2 {
                let missingLeft = pass == 1
                if missingLeft, missing[2] == 0 { break }
                let l = missingLeft ? left &+ missing : left
                let r = total &- l
                guard allowed(l), allowed(r) else { continue }
                let candidate = score(l) + score(r)
                if candidate > bestScore {
                    (bestScore, bestBin, bestMissingLeft, bestLeft) = (candidate, bin, missingLeft, l)
                }
            }
        }
        guard bestBin >= 0 else { return nil }
        let gain = (bestScore - parent) * gainUnit
        guard gain > limits.minGain else { return nil }
        return SplitCandidate(
            gain: gain, feature: f, bin: bestBin, missingLeft: bestMissingLeft, left: bestLeft, right: total &- bestLeft
        )
    }

    /// The better of two candidates: the higher gain, else the first.
    static func better(_ a: SplitCandidate?, _ b: SplitCandidate?) -> SplitCandidate? {
        guard let b else { return a }
        guard let a else { return b }
        return b.gain > a.gain ? b : a
    }
}
