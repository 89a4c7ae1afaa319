import Foundation

/// k weighted multivariate normal densities, ready to score rows: each covariance's
/// Cholesky factor L and log-determinant, so log N(x | μ, Σ) = -½ (d log 2π + log|Σ| +
/// ‖L⁻¹(x - μ)‖²) costs one triangular solve. What the mixture's E-step and its model share.
struct GaussianComponents {
    let k: Int
    let width: Int
    let logWeights: [Double]
    /// k rows of `width`.
    let means: [Double]
    /// Per component, L (width x width, row-major, lower).
    private let factors: [Double]
    private let logNormalizers: [Double]

    /// The components, or nil when a covariance is not positive definite.
    init?(weights: [Double], means: [Double], covariances: [Double], width d: Int) {
        let k = weights.count
        var factors: [Double] = []
        var normalizers: [Double] = []
        for c in 0..<k {
            guard let l = Cholesky.factor(Array(covariances[c * d * d..<(c + 1) * d * d]), n: d, tolerance: 0)
            else { return nil }
            let logDeterminant = (0..<d).reduce(0.0) { $0 + 2 * log(l[$1 * d + $1]) }
            factors += l
            normalizers.append(-0.5 * (Double(d) * log(2 * Double.pi) + logDeterminant))
        }
        (self.k, width, logWeights, self.means) = (k, d, weights.map { log($0) }, means)
        (self.factors, logNormalizers) = (factors, normalizers)
    }

    /// log(w_c N(x | μ_c, Σ_c)) for every component c into `scores`; `scratch` holds
    /// `width` values.
    func logDensities(
        _ x: UnsafePointer<Double>, into scores: UnsafeMutablePointer<Double>, scratch z: UnsafeMutablePointer<Double>
    ) {
        let d = width
        for c in 0..<k {
            var squared = 0.0
            for i in 0..<d {  // z = L⁻¹ (x - μ) by forward substitution.
                var sum = x[i] - means[c * d + i]
                let row = c * d * d + i * d
                for j in 0..<i { sum -= factors[row + j] * z[j] }
                z[i] = sum / factors[row + i]
                squared += z[i] * z[i]
            }
            scores[c] = logWeights[c] + logNormalizers[c] - 0.5 * squared
        }
    }
}

/// log Σ exp(values), without overflow.
func logSumExp(_ values: UnsafeMutablePointer<Double>, _ count: Int) -> Double {
    var top = -Double.infinity
    for c in 0..<count { top = Swift.max(top, values[c]) }
    guard top.isFinite else { return top }
    var sum = 0.0
    for c in 0..<count { sum += exp(values[c] - top) }
    return top + log(sum)
}
