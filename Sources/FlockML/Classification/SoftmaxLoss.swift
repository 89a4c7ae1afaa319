import Foundation

/// The multinomial logistic loss and its gradient: for weights W (classes x features, row-
/// major) and intercepts b packed as θ = [W..., b...],
///
///     L(θ) = (1/n) Σ_i [ log Σ_k exp(z_ik) - z_i,y_i ] + (regParam / 2) ‖W‖²,  z_i = W x_i + b
///
/// (intercepts are not penalised). Summed per block of rows in `BlockReduction`'s fixed
/// order, so the same θ gives the same bits on any thread count.
struct SoftmaxLoss {
    /// Row-major features, `rows * width`.
    let features: [Double]
    let labels: [Int]
    let width: Int
    let classes: Int
    let regParam: Double
    let fitIntercept: Bool

    var rows: Int { labels.count }
    /// Length of θ.
    var parameterCount: Int { classes * width + classes }

    /// The loss and its gradient at `theta`.
    func evaluate(_ theta: [Double]) -> (value: Double, gradient: [Double]) {
        let (k, d) = (classes, width)
        let sums = features.withUnsafeBufferPointer { x in
            theta.withUnsafeBufferPointer { theta in
                BlockReduction.reduce(
                    rows: rows,
                    { range -> (loss: Double, gradient: [Double]) in
                        var gradient = [Double](repeating: 0, count: k * d + k)
                        var loss = 0.0
                        var z = [Double](repeating: 0, count: k)
                        for i in range {
                            let row = UnsafeBufferPointer(rebasing: x[i * d..<(i + 1) * d])
                            for c in 0..<k {
                                var sum = fitIntercept ? theta[k * d + c] : 0
                                for j in 0..<d { sum += theta[c * d + j] * row[j] }
                                z[c] = sum
                            }
                            let top = z.max() ?? 0
                            var total = 0.0
                            for c in 0..<k {
                                z[c] = Foundation.exp(z[c] - top)
                                total += z[c]
                            }
                            let label = labels[i]
                            loss += Foundation.log(total) - Foundation.log(z[label])
                            for c in 0..<k {
                                let error = z[c] / total - (c == label ? 1 : 0)
                                for j in 0..<d { gradient[c * d + j] += error * row[j] }
                                gradient[k * d + c] += fitIntercept ? error : 0
                            }
                        }
                        return (loss, gradient)
                    },
                    { a, b in (a.loss + b.loss, zip(a.gradient, b.gradient).map { $0 + $1 }) })
            }
        }
        let n = Double(Swift.max(rows, 1))
        var value = sums.loss / n
        var gradient = sums.gradient.map { $0 / n }
        for p in 0..<(k * d) {
            value += regParam / 2 * theta[p] * theta[p]
            gradient[p] += regParam * theta[p]
        }
        return (value, gradient)
    }
}
