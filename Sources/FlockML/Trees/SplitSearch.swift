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
/// gain G_L²/(H_L+λ) + G_R²/(H_R+λ) - G²/(H+λ) of the summed gradients G and hessians H.
/// Ties go to the lower feature, then the lower bin, then missing right: the same choice
/// however the work is split.
struct SplitSearch {
    let rows: BinnedRows
    let limits: TreeLimits
    let gradients: QuantizedGradients

    /// G²/(H + λ) of a sum.
    @inline(__always)
    private func score(_ sum: SIMD4<Int64>) -> Double {
        let (g, h, _) = gradients.unscaled(sum)
        return g * g / (h + limits.l2)
    }

    /// Whether one side of a split may be a leaf.
    @inline(__always)
    private func allowed(_ side: SIMD4<Int64>) -> Bool {
        let (_, h, count) = gradients.unscaled(side)
        return count >= limits.minRowsInLeaf && h >= limits.minHessianInLeaf
    }

    /// The best split of feature `feature` for a leaf with histogram `histogram` and sums
    /// `total`, if any split gains more than `limits.minGain`.
    func best(feature f: Int, histogram: UnsafePointer<SIMD4<Int64>>, total: SIMD4<Int64>) -> SplitCandidate? {
        let base = Int(rows.offsets[f])
        let valueBins = rows.valueBins[f]
        let missing = histogram[base + valueBins]
        let parent = score(total)
        var best: SplitCandidate? = nil
        func consider(_ l: SIMD4<Int64>, bin: Int, missingLeft: Bool) {
            let r = total &- l
            guard allowed(l), allowed(r) else { return }
            let gain = score(l) + score(r) - parent
            if gain > limits.minGain, gain > best?.gain ?? -.infinity {
                best = SplitCandidate(gain: gain, feature: f, bin: bin, missingLeft: missingLeft, left: l, right: r)
            }
        }
        var left = SIMD4<Int64>()
        for bin in 0..<Swift.max(0, valueBins - 1) {
            left &+= histogram[base + bin]
            consider(left, bin: bin, missingLeft: false)
            if missing[2] > 0 { consider(left &+ missing, bin: bin, missingLeft: true) }
            if Int(left[2]) > Int(total[2]) - limits.minRowsInLeaf { break }
        }
        return best
    }

    /// The better of two candidates: the higher gain, else the first.
    static func better(_ a: SplitCandidate?, _ b: SplitCandidate?) -> SplitCandidate? {
        guard let b else { return a }
        guard let a else { return b }
        return b.gain > a.gain ? b : a
    }
}
