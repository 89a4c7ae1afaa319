import Foundation

/// The multinomial logistic loss and its gradient: for weights W (vectors x features, row-
/// major) and intercepts b packed as θ = [W..., b...],
///
///     L(θ) = (1/n) Σ_i [ log Σ_k exp(z_ik) - z_i,y_i ] + (regParam / 2) ‖W‖²,  z_i = W (s ⊙ x_i) + b
///
/// where s scales each feature (1 / its deviation when standardizing: the rows are read as
/// they are and the scale folded into the weights, never copied scaled). Two classes are
/// the binomial model σ(w·x + b) that scikit-learn and Spark fit (class 0's logit fixed at
/// 0, one weight vector), at half the work of two vectors.
/// Intercepts are not penalised. The sums over rows are a `SoftmaxGradient` statistic (per
/// block, merged in `BlockReduction`'s fixed order), so the same θ gives the same bits on
/// any thread count, in-process or on workers.
struct SoftmaxLoss {
    let width: Int
    let classes: Int
    /// Each feature's scale (s above).
    let scale: [Double]
    let regParam: Double
    let fitIntercept: Bool
    /// The rows summed over.
    let rows: Int
    /// Two classes, fitted as one weight vector for class 1 (class 0's logit is 0).
    var binomial: Bool { classes == 2 }
    /// Weight vectors (and intercepts).
    var vectors: Int { binomial ? 1 : classes }
    /// Length of θ.
    var parameterCount: Int { vectors * width + vectors }

    /// Each class's weight on its rows' loss (empty: all 1).
    var classWeights: [Double] = []

    /// The sums over rows that the loss and gradient at `theta` need.
    func statistic(at theta: [Double]) -> SoftmaxGradient {
        let (d, v) = (width, vectors)
        // The weights as they apply to the unscaled rows.
        var weights = [Double](repeating: 0, count: v * d + v)
        for c in 0..<v {
            for j in 0..<d { weights[c * d + j] = theta[c * d + j] * scale[j] }
            weights[v * d + c] = fitIntercept ? theta[v * d + c] : 0
        }
        return SoftmaxGradient(weights: weights, width: d, classes: classes, classWeights: classWeights)
    }

    /// The loss and its gradient at `theta`, given the rows' `sums` at `theta`.
    func evaluate(_ theta: [Double], sums: SoftmaxGradient.Partial) -> (value: Double, gradient: [Double]) {
        let (d, v) = (width, vectors)
        let n = Double(Swift.max(rows, 1))
        var value = sums.loss / n
        var gradient = sums.gradient.map { $0 / n }
        for c in 0..<v {
            for j in 0..<d { gradient[c * d + j] *= scale[j] }
            if !fitIntercept { gradient[v * d + c] = 0 }
        }
        for p in 0..<(v * d) {
            value += regParam / 2 * theta[p] * theta[p]
            gradient[p] += regParam * theta[p]
        }
        return (value, gradient)
    }

    /// The loss and its gradient at `theta` over `rows` in this process.
    func evaluate(_ theta: [Double], over rows: TrainingRows) -> (value: Double, gradient: [Double]) {
        evaluate(theta, sums: statistic(at: theta).reduce(rows))
    }
}

/// The softmax loss's sums over rows at given weights (`SoftmaxLoss`): the loss and its
/// gradient before the scale, the mean and the penalty.
struct SoftmaxGradient: BlockStatistic {
    /// The weights for the unscaled rows, then the intercepts.
    let weights: [Double]
    let width: Int
    let classes: Int
    /// Each class's weight on its rows' loss (empty: all 1).
    var classWeights: [Double] = []

    /// One block's summed loss and gradient.
    struct Partial: Sendable {
        var loss = 0.0
        var gradient: [Double]
    }

    static func merged(_ a: Partial, _ b: Partial) -> Partial {
        var result = a
        result.loss += b.loss
        for p in result.gradient.indices { result.gradient[p] += b.gradient[p] }
        return result
    }

    func block(_ rows: TrainingRows, _ range: Range<Int>) -> Partial {
        rows.features.values.withUnsafeBufferPointer { x in
            weights.withUnsafeBufferPointer { w in
                classes == 2
                    ? Self.binomialBlock(x, w, rows.labels, range, width: width, classWeights: classWeights)
                    : Self.block(x, w, rows.labels, range, classes: classes, width: width, classWeights: classWeights)
            }
        }
    }

    /// `block` for the binomial model: t = w·x + b, the loss log(1 + eᵗ) - y t as
    /// max(t, 0) + log1p(e^-|t|) - y t (one `exp` and one `log1p` a row, never overflowing),
    /// and (σ(t) - y) x added to the gradient.
    private static func binomialBlock(
        _ x: UnsafeBufferPointer<Double>, _ w: UnsafeBufferPointer<Double>, _ labels: [Double], _ range: Range<Int>,
        width d: Int, classWeights: [Double]
    ) -> Partial {
        var partial = Partial(gradient: [Double](repeating: 0, count: d + 1))
        partial.gradient.withUnsafeMutableBufferPointer { gradient in
            for i in range {
                let row = x.baseAddress! + i * d  // Invariant: rows * width values.
                let t = w[d] + VectorKernels.dot(w.baseAddress!, row, d)  // Invariant: w holds d + 1 values.
                let e = exp(-abs(t))
                let positive = labels[i] == 1
                let weight = classWeights.isEmpty ? 1 : classWeights[positive ? 1 : 0]
                partial.loss += weight * (Swift.max(t, 0) + log1p(e) - (positive ? t : 0))
                let error = weight * ((t >= 0 ? 1 / (1 + e) : e / (1 + e)) - (positive ? 1 : 0))
                VectorKernels.addScaled(error, row, to: gradient.baseAddress!, d)  // Invariant: d + 1 values.
                gradient[d] += error
            }
        }
        return partial
    }

    /// Rows `range`: per row, z = W x + b, softmax, loss, and (p - onehot) x added to the
    /// gradient (row-major x, `width` per row; w as θ, for unscaled rows).
    private static func block(
        _ x: UnsafeBufferPointer<Double>, _ w: UnsafeBufferPointer<Double>, _ labels: [Double], _ range: Range<Int>,
        classes k: Int, width d: Int, classWeights: [Double]
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
                    let label = Int(labels[i])
                    let weight = classWeights.isEmpty ? 1 : classWeights[label]
                    partial.loss += weight * (log(total) - log(z[label]))
                    for c in 0..<k {
                        let error = weight * (z[c] / total - (c == label ? 1 : 0))
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
