/// Which of k centres is nearest to a row: the one rule that fitting, cost and prediction
/// share, so a model predicts for its training rows the clusters it was fitted with. The
/// nearest centre minimises ‖c‖² - 2 x·c, computed for eight centres at a time in SIMD
/// registers from the centres transposed and padded to a multiple of eight (padding lanes
/// score +∞); the first of equal scores wins.
struct NearestCenter {
    let k: Int
    let width: Int
    /// k rows of `width` values, row-major.
    let centers: [Double]
    private let lanes: Int
    /// [j][c]: centre c's value j, c padded to `lanes`.
    private let transposed: [Double]
    private let norms: [Double]

    /// The rule for `centers` (k rows of `width` values, row-major; width >= 1).
    init(centers: [Double], k: Int) {
        let width = centers.count / k
        let lanes = (k + 7) / 8 * 8
        var transposed = [Double](repeating: 0, count: width * lanes)
        var norms = [Double](repeating: .infinity, count: lanes)
        for c in 0..<k {
            norms[c] = 0
            for j in 0..<width {
                transposed[j * lanes + c] = centers[c * width + j]
                norms[c] += centers[c * width + j] * centers[c * width + j]
            }
        }
        (self.k, self.width, self.centers, self.lanes, self.transposed, self.norms) = (
            k, width, centers, lanes, transposed, norms
        )
    }

    /// Runs `body` with a scorer that reads this rule's arrays in place.
    func withScorer<R>(_ body: (Scorer) throws -> R) rethrows -> R {
        try centers.withUnsafeBufferPointer { centers in
            try transposed.withUnsafeBufferPointer { transposed in
                try norms.withUnsafeBufferPointer { norms in
                    // Invariant: all three hold at least one value (k >= 1, width >= 1).
                    try body(
                        Scorer(
                            centers: centers.baseAddress!, transposed: UnsafeRawPointer(transposed.baseAddress!),
                            norms: UnsafeRawPointer(norms.baseAddress!), width: width, lanes: lanes))
                }
            }
        }
    }

    /// The rule over borrowed pointers, for the per-row loops.
    struct Scorer {
        let centers: UnsafePointer<Double>
        let transposed: UnsafeRawPointer
        let norms: UnsafeRawPointer
        let width: Int
        let lanes: Int

        /// The nearest centre to the `width` values at `row`.
        @inline(__always)
        func nearest(_ row: UnsafePointer<Double>) -> Int {
            var best = 0
            var bestScore = Double.infinity
            for chunk in stride(from: 0, to: lanes, by: 8) {
                var scores = norms.loadUnaligned(fromByteOffset: chunk * 8, as: SIMD8<Double>.self)
                for j in 0..<width {
                    let column = transposed.loadUnaligned(
                        fromByteOffset: (j * lanes + chunk) * 8, as: SIMD8<Double>.self)
                    scores -= 2 * row[j] * column
                }
                for lane in 0..<8 where scores[lane] < bestScore {
                    bestScore = scores[lane]
                    best = chunk + lane
                }
            }
            return best
        }

        /// The squared distance from `row` to centre `c`, summed from the differences.
        @inline(__always)
        func squaredDistance(_ row: UnsafePointer<Double>, to c: Int) -> Double {
            VectorKernels.squaredDistance(row, centers + c * width, width)
        }
    }
}
