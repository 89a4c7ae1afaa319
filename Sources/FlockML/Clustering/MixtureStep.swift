import Foundation

/// The Gaussian mixture's E-step statistic at given parameters: the summed log-likelihood,
/// and per component the summed responsibilities r, Σ r (x - μ) and Σ r (x - μ)(x - μ)ᵀ
/// about the component's current mean (so the M-step's covariance needs no subtraction of
/// large raw moments).
struct MixtureStep: BlockStatistic {
    let weights: [Double]
    /// k rows of the features' width.
    let means: [Double]
    /// k row-major width x width matrices.
    let covariances: [Double]

    struct Partial: Sendable {
        var logLikelihood = 0.0
        var mass: [Double]
        var first: [Double]
        var second: [Double]

        init(k: Int, width d: Int) {
            mass = [Double](repeating: 0, count: k)
            first = [Double](repeating: 0, count: k * d)
            second = [Double](repeating: 0, count: k * d * d)
        }
    }

    func block(_ rows: TrainingRows, _ range: Range<Int>) -> Partial {
        let (k, d) = (weights.count, rows.features.width)
        var partial = Partial(k: k, width: d)
        // Invariant: the fit checked every covariance positive definite before asking.
        let components = GaussianComponents(weights: weights, means: means, covariances: covariances, width: d)!
        let scores = UnsafeMutablePointer<Double>.allocate(capacity: k)
        let scratch = UnsafeMutablePointer<Double>.allocate(capacity: Swift.max(d, 1))
        let centred = UnsafeMutablePointer<Double>.allocate(capacity: Swift.max(d, 1))
        defer { for pointer in [scores, scratch, centred] { pointer.deallocate() } }
        rows.features.values.withUnsafeBufferPointer { x in
            for i in range {
                let row = x.baseAddress! + i * d  // Invariant: rows * width values.
                components.logDensities(row, into: scores, scratch: scratch)
                let total = logSumExp(scores, k)
                partial.logLikelihood += total
                for c in 0..<k {
                    let r = exp(scores[c] - total)
                    guard r > 0 else { continue }
                    partial.mass[c] += r
                    for j in 0..<d {
                        centred[j] = row[j] - means[c * d + j]
                        partial.first[c * d + j] += r * centred[j]
                    }
                    for a in 0..<d {
                        let scaled = r * centred[a]
                        for b in a..<d { partial.second[c * d * d + a * d + b] += scaled * centred[b] }
                    }
                }
            }
        }
        for c in 0..<k {  // The lower triangle mirrors the upper.
            for a in 0..<d {
                for b in 0..<a { partial.second[c * d * d + a * d + b] = partial.second[c * d * d + b * d + a] }
            }
        }
        return partial
    }

    static func merged(_ a: Partial, _ b: Partial) -> Partial {
        var result = a
        result.logLikelihood += b.logLikelihood
        for i in result.mass.indices { result.mass[i] += b.mass[i] }
        for i in result.first.indices { result.first[i] += b.first[i] }
        for i in result.second.indices { result.second[i] += b.second[i] }
        return result
    }
}

/// Expectation-maximisation rounds as a state machine (asks for the E-step at the current
/// parameters, is told it), so the same rounds run in-process and on a cluster. Each round
/// moves every component with mass to the weighted mean and covariance (plus `regCovar` on
/// the diagonal) of its responsibilities; it ends when the mean log-likelihood per row
/// changes by less than `tol` or after `maxIter` rounds, always on an E-step of the final
/// parameters (their log-likelihood known).
struct MixtureRounds {
    let maxIter: Int
    let tol: Double
    let regCovar: Double
    let rows: Int
    let width: Int
    private(set) var weights: [Double]
    private(set) var means: [Double]
    private(set) var covariances: [Double]
    private(set) var iterations = 0
    /// The mean log-likelihood per row of the current parameters, once observed.
    private(set) var logLikelihood: Double?
    private var done = false
    private var settled = false

    init(
        weights: [Double], means: [Double], covariances: [Double], width: Int, rows: Int, maxIter: Int, tol: Double,
        regCovar: Double
    ) {
        (self.weights, self.means, self.covariances, self.width) = (weights, means, covariances, width)
        (self.rows, self.maxIter, self.tol, self.regCovar) = (rows, maxIter, tol, regCovar)
    }

    /// The E-step wanted next; nil when the rounds have ended.
    var wanted: MixtureStep? {
        done ? nil : MixtureStep(weights: weights, means: means, covariances: covariances)
    }

    /// Takes the E-step of the current parameters and moves them.
    /// - Throws: `MLError.notSolvable` when a component's covariance is singular (no
    ///   `regCovar`, rows on a lower-dimensional subspace).
    mutating func observe(_ step: MixtureStep.Partial) throws {
        let mean = step.logLikelihood / Double(rows)
        if let previous = logLikelihood, abs(mean - previous) < tol { settled = true }
        logLikelihood = mean
        guard !settled, iterations < maxIter else {
            done = true
            return
        }
        iterations += 1
        let (k, d) = (weights.count, width)
        for c in 0..<k where step.mass[c] > 0 {
            let mass = step.mass[c]
            let shift = (0..<d).map { step.first[c * d + $0] / mass }
            for a in 0..<d {
                for b in 0..<d {
                    covariances[c * d * d + a * d + b] =
                        step.second[c * d * d + a * d + b] / mass - shift[a] * shift[b] + (a == b ? regCovar : 0)
                }
                means[c * d + a] += shift[a]
            }
            weights[c] = mass / Double(rows)
        }
        guard GaussianComponents(weights: weights, means: means, covariances: covariances, width: d) != nil else {
            throw MLError.notSolvable(
                "a mixture component's covariance became singular (rows on a lower-dimensional subspace); set regCovar above 0"
            )
        }
    }
}
