import Foundation

/// Per-row gradients and hessians as fixed-point integers, with a count of one, in one
/// SIMD4 lane each: (g, h, 1, 0). Integer sums do not depend on their order, so a
/// histogram is the same bits however its rows are split among threads, partitions or
/// workers, and a sibling's histogram subtracted from its parent's is exact. Each scale
/// is the power of two that leaves the largest possible sum (rows x largest magnitude)
/// below 2^61: about 2^61 / rows steps across the largest value, far finer than the
/// gradients' own float error for any data that fits a machine.
struct QuantizedGradients {
    /// (gradient, hessian, 1, 0) per row, scaled.
    var values: [SIMD4<Int64>]
    let gradientScale: Double
    let hessianScale: Double

    /// `gradients` and `hessians` (one per row, finite) on their scales.
    init(gradients: [Double], hessians: [Double]) {
        gradientScale = Self.scale(largest: gradients.reduce(0) { Swift.max($0, abs($1)) }, rows: gradients.count)
        hessianScale = Self.scale(largest: hessians.reduce(0) { Swift.max($0, abs($1)) }, rows: hessians.count)
        let (g, h) = (gradientScale, hessianScale)
        values = zip(gradients, hessians).map { SIMD4(Int64((g * $0).rounded()), Int64((h * $1).rounded()), 1, 0) }
    }

    /// The power of two that keeps `rows` values of magnitude `largest` summing below 2^61.
    private static func scale(largest: Double, rows: Int) -> Double {
        guard largest > 0, rows > 0 else { return 1 }
        let exponent = Int((0x1p61 / (largest * Double(rows))).exponent)
        return Double(sign: .plus, exponent: Swift.min(exponent, 1000), significand: 1)
    }

    /// A sum's gradient, hessian and count as numbers.
    @inline(__always)
    func unscaled(_ sum: SIMD4<Int64>) -> (gradient: Double, hessian: Double, count: Int) {
        (Double(sum[0]) / gradientScale, Double(sum[1]) / hessianScale, Int(sum[2]))
    }
}
