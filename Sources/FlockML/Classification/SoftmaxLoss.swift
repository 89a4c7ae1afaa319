import Foundation

/// The multinomial logistic loss and its gradient: for weights W (classes x features, row-
/// major) and intercepts b packed as θ = [W..., b...],
///
///     L(θ) = (1/n) Σ_i [ log Σ_k exp(z_ik) - z_i,y_i ] + (regParam / 2) ‖W‖²,  z_i = W (s ⊙ x_i) + b
///
/// where s scales each feature (1 / its deviation when standardizing: the rows are read as
/// they are and the scale folded into the weights, never copied scaled). Intercepts are not
/// penalised. Summed per block of rows in `BlockReduction`'s fixed order, so the same θ
/// gives the same bits on any thread count.
struct SoftmaxLoss {
    /// Row-major features, `rows * width`.
    let features: [Double]
    let labels: [Int]
    let width: Int
    let classes: Int
    /// Each feature's scale (s above).
    let scale: [Double]
    let regParam: Double
    let fitIntercept: Bool

    var rows: Int { labels.count }
    /// Length of θ.
    var parameterCount: Int { classes * width + classes }

    /// One block's summed loss and gradient (before the scale, the mean and the penalty).
    private struct Partial {
        var loss = 0.0
        var gradient: [Double]

        static func merged(_ a: Partial, _ b: Partial) -> Partial {
            var result = a
            result.loss += b.loss
            for p in result.gradient.indices { result.gradient[p] += b.gradient[p] }
            return result
        }
    }

    /// The loss and its gradient at `theta`.
    func evaluate(_ theta: [Double]) -> (value: Double, gradient: [Double]) {
        let (k, d) = (classes, width)
        // The weights as they apply to the unscaled rows.
        var weights = [Double](repeating: 0, count: k * d + k)
        for c in 0..<k {
            for j in 0..<d { weights[c * d + j] = theta[c * d + j] * scale[j] }
            weights[k * d + c] = fitIntercept ? theta[k * d + c] : 0
        }
        let sums = features.withUnsafeBufferPointer { x in
            weights.withUnsafeBufferPointer { w in
                BlockReduction.reduce(
                    rows: rows,
                    { range in Self.block(x, w, labels, range, classes: k, width: d) }, Partial.merged)
            }
        }
        let n = Double(Swift.max(rows, 1))
        var value = sums.loss / n
        var gradient = sums.gradient.map { $0 / n }
        for c in 0..<k {
            for j in 0..<d { gradient[c * d + j] *= scale[j] }
            if !fitIntercept { gradient[k * d + c] = 0 }
        }
        for p in 0..<(k * d) {
            value += regParam / 2 * theta[p] * theta[p]
            gradient[p] += regParam * theta[p]
        }
        return (value, gradient)
    }

    /// Rows `range`: per row, z = W x + b, softmax, loss, and (p - onehot) x added to the
    /// gradient (row-major x, `width` per row; w as θ, for unscaled rows).
    private static func block(
        _ x: UnsafeBufferPointer<Double>, _ w: UnsafeBufferPointer<Double>, _ labels: [Int], _ range: Range<Int>,
        classes k: Int, width d: Int
    ) -> Partial {
        var partial = Partial(gradient: [Double](repeating: 0, count: k * d + k))
        var z = [Double](repeating: 0, count: k)
        partial.gradient.withUnsafeMutableBufferPointer { gradient in
            z.withUnsafeMutableBufferPointer { z in
                for i in range {
                    let row = x.baseAddress! + i * d  // Invariant: rows * width values.
                    var top = -Double.infinity
                    for c in 0..<k {
                        // Invariant: w holds k * d + k values.
                        let sum = w[k * d + c] + VectorKernels.dot(w.baseAddress! + c * d, row, d)
                        z[c] = sum
                        top = Swift.max(top, sum)
                    }
                    var total = 0.0
                    for c in 0..<k {
                        z[c] = exp(z[c] - top)
                        total += z[c]
                    }
                    let label = labels[i]
                    partial.loss += log(total) - log(z[label])
                    for c in 0..<k {
                        let error = z[c] / total - (c == label ? 1 : 0)
                        // Invariant: the gradient holds k * d + k values.
                        VectorKernels.addScaled(error, row, to: gradient.baseAddress! + c * d, d)
                        gradient[k * d + c] += error
                    }
                }
            }
        }
        return partial
    }
}
