import FlockTensor
import Foundation

/// The powers of two that map the largest gradient and hessian magnitudes of a round to at
/// most 2^30: the fixed-point scales of `QuantizedGradients`. A cluster fit takes the
/// largest values over every worker's rows, so each worker quantizes as one process would.
struct GradientScales: Codable, Equatable, Sendable {
    var gradient: Double
    var hessian: Double

    /// Scales for the largest |gradient| `largest[0]` and |hessian| `largest[1]`.
    init(largest: SIMD2<Double>) {
        (gradient, hessian) = (Self.scale(largest: largest[0]), Self.scale(largest: largest[1]))
    }

    /// The power of two that maps `largest` to at most 2^30.
    private static func scale(largest: Double) -> Double {
        guard largest > 0 else { return 1 }
        let exponent = Int((0x1p30 / largest).exponent)
        return Double(sign: .plus, exponent: Swift.min(exponent, 1000), significand: 1)
    }

    /// A sum's gradient, hessian and count as numbers.
    @inline(__always)
    func unscaled(_ sum: SIMD4<Int64>) -> (gradient: Double, hessian: Double, count: Int) {
        (Double(sum[0]) / gradient, Double(sum[1]) / hessian, Int(sum[2]))
    }
}

/// Per-row gradients and hessians as fixed-point integers: each row's pair packed in eight
/// bytes (two Int32, on `GradientScales`), summed in Int64 histograms with a count beside
/// them. Integer sums do not depend on their order, so a histogram is the same bits however
/// its rows are split among threads, partitions or workers, and a sibling's histogram
/// subtracted from its parent's is exact. A row's rounding is at most 2^-31 of the largest
/// value (LightGBM's quantized training goes down to a few bits); eight bytes a row keep
/// the gradients of a leaf's rows, read in scattered order while a histogram is built,
/// mostly in cache.
struct QuantizedGradients {
    /// Per row: the gradient in the low 32 bits, the hessian in the high 32 (both signed).
    private(set) var values: [Int64] = []
    private(set) var scales = GradientScales(largest: .zero)

    private static let blockRows = 65_536

    /// `gradients` and `hessians` (one per row, finite) on their scales.
    init(gradients: [Double], hessians: [Double]) {
        update(gradients: gradients, hessians: hessians)
    }

    /// Replaces the values with `gradients` and `hessians` on the scales of their largest
    /// magnitudes, reusing the buffer (a fit quantizes once a round).
    mutating func update(gradients: [Double], hessians: [Double]) {
        update(
            gradients: gradients, hessians: hessians, scales: GradientScales(largest: Self.largest(gradients, hessians))
        )
    }

    /// The largest |gradient| and |hessian|, in parallel blocks.
    static func largest(_ gradients: [Double], _ hessians: [Double]) -> SIMD2<Double> {
        let rows = gradients.count
        let blocks = (rows + blockRows - 1) / blockRows
        var largest = [SIMD2<Double>](repeating: .zero, count: blocks)
        largest.withUnsafeMutableBufferPointer { largest in
            ThreadPool.shared.parallelFor(chunks: blocks) { b in
                var most = SIMD2<Double>.zero
                for i in b * blockRows..<Swift.min(rows, (b + 1) * blockRows) {
                    most = pointwiseMax(most, SIMD2(abs(gradients[i]), abs(hessians[i])))
                }
                largest[b] = most
            }
        }
        return largest.reduce(SIMD2<Double>.zero) { pointwiseMax($0, $1) }
    }

    /// Replaces the values with `gradients` and `hessians` on `scales` (whose largest
    /// magnitudes must be at least these rows'), in parallel blocks.
    mutating func update(gradients: [Double], hessians: [Double], scales: GradientScales) {
        let rows = gradients.count
        let blocks = (rows + Self.blockRows - 1) / Self.blockRows
        self.scales = scales
        let (gs, hs) = (scales.gradient, scales.hessian)
        if values.count != rows { values = [Int64](repeating: 0, count: rows) }
        values.withUnsafeMutableBufferPointer { values in
            ThreadPool.shared.parallelFor(chunks: blocks) { b in
                for i in b * Self.blockRows..<Swift.min(rows, (b + 1) * Self.blockRows) {
                    values[i] =
                        Int64(UInt32(bitPattern: Int32((gs * gradients[i]).rounded())))
                        | Int64(Int32((hs * hessians[i]).rounded())) << 32
                }
            }
        }
    }

    /// A packed row as a histogram entry: (gradient, hessian, 1, 0).
    @inline(__always)
    static func entry(_ packed: Int64) -> SIMD4<Int64> {
        SIMD4(Int64(Int32(truncatingIfNeeded: packed)), packed >> 32, 1, 0)
    }

    /// A sum's gradient, hessian and count as numbers.
    @inline(__always)
    func unscaled(_ sum: SIMD4<Int64>) -> (gradient: Double, hessian: Double, count: Int) { scales.unscaled(sum) }
}
