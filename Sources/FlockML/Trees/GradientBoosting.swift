import FlockData
import FlockTensor
import Foundation

/// What a boosted model minimises: the loss of a raw score F against a label, and the
/// per-row gradient and hessian of that loss in F.
enum BoostingLoss: String, Codable, Sendable {
    /// log(1 + e^F) - y F for labels 0 and 1 (the score is a log-odds).
    case logistic
    /// (F - y)² / 2.
    case squared

    /// The best constant score (LightGBM's boost_from_average): the log-odds of the mean
    /// label, or the mean, from the sums of each block's labels (`BoostingRows.labelSums`)
    /// and the row count.
    func initialScore(labelSums: [Double], count: Int) -> Double {
        let mean = BlockReduction.combine(labelSums.isEmpty ? [0] : labelSums, +) / Double(Swift.max(1, count))
        switch self {
        case .logistic: return log(mean / (1 - mean))
        case .squared: return mean
        }
    }

    /// The labels of column `column` (read as `matrix`) as this loss takes them: for the
    /// logistic loss, classes 0 and 1; for the squared loss, any finite values.
    /// - Throws: `MLError.invalidData` naming a bad label and its row.
    func labels(_ matrix: FeatureMatrix, column: String, estimator: String) throws -> [Double] {
        switch self {
        case .squared: return matrix.values
        case .logistic:
            let classes = try LogisticRegression.classIndices(matrix, column: column)
            if let bad = classes.firstIndex(where: { $0 > 1 }) {
                throw MLError.invalidData(
                    "column \"\(column)\" holds class \(classes[bad]) at row \(bad); \(estimator) takes two "
                        + "classes, 0 and 1 (OneVsRest fits one per class for more)")
            }
            return classes.map(Double.init)
        }
    }

    /// The mean loss of `scores` against `labels`.
    func mean(_ scores: [Double], _ labels: [Double]) -> Double {
        var total = 0.0
        for (f, y) in zip(scores, labels) {
            switch self {
            case .logistic: total += Swift.max(f, 0) + log1p(exp(-abs(f))) - y * f
            case .squared: total += (f - y) * (f - y) / 2
            }
        }
        return total / Double(Swift.max(1, scores.count))
    }

    /// Gradients and hessians of every row into `gradients` and `hessians` (as many as
    /// rows; a fit reuses them every round), computed in parallel blocks.
    func derivatives(_ scores: [Double], _ labels: [Double], into gradients: inout [Double], _ hessians: inout [Double])
    {
        let rows = scores.count
        let blockRows = 16_384
        gradients.withUnsafeMutableBufferPointer { g in
            hessians.withUnsafeMutableBufferPointer { h in
                ThreadPool.shared.parallelFor(chunks: (rows + blockRows - 1) / blockRows) { block in
                    for i in block * blockRows..<Swift.min(rows, (block + 1) * blockRows) {
                        switch self {
                        case .logistic:
                            let p = 1 / (1 + exp(-scores[i]))
                            g[i] = p - labels[i]
                            h[i] = p * (1 - p)
                        case .squared:
                            g[i] = scores[i] - labels[i]
                            h[i] = 1
                        }
                    }
                }
            }
        }
    }
}

/// Trees fitted one after another to the loss's gradients (LightGBM's gradient boosting:
/// Newton steps, a histogram tree per round). Shared by `GBTClassifier` and `GBTRegressor`.
struct GradientBoosting {
    let loss: BoostingLoss
    let parameters: GBTParameters

    /// A fit: the starting score, the trees, and the validation loss after each round.
    struct Fit {
        var initialScore: Double
        var trees: [RegressionTree]
        var validationLosses: [Double]

        /// The fitted ensemble.
        var ensemble: BoostedTrees { BoostedTrees(initialScore: initialScore, trees: trees) }
    }

    /// Fits on `columns` (per feature, NaN where missing) and `labels`; with `validation`,
    /// stops once its loss has not improved for `earlyStoppingRounds` rounds and keeps the
    /// trees up to the best round. `progress` gets a line per round.
    func fit(
        columns: [[Double]], labels: [Double], validation: (columns: [[Double]], labels: [Double])?,
        progress: (@Sendable (String) -> Void)?
    ) -> Fit {
        let p = parameters
        let binning = FeatureBinning(columns: columns, maxBins: p.maxBins, seed: p.seed)
        let initial = loss.initialScore(labelSums: BoostingRows.labelSums(labels), count: labels.count)
        let rows = BoostingRows(
            binned: binning.binned(columns), binning: binning, labels: labels, firstRow: 0, loss: loss,
            subsamplingRate: p.subsamplingRate, seed: p.seed, initialScore: initial)
        let rounds = BoostingRounds(
            loss: loss, parameters: p, binning: binning, initialScore: initial, validation: validation,
            progress: progress)
        while true {
            switch rounds.next() {
            case .derivatives(let round, let lastTree):
                // Invariant: the rows are at the round the rounds are at.
                rounds.received(largest: try! rows.derivatives(round: round, lastTree: lastTree))
            case .root(let round, let scales, let histogram):
                rows.root(round: round, scales: scales, histogram: histogram)
                rounds.filled()
            case .split(let step):
                rows.split(step.order, histogram: step.histogram)
                rounds.filled()
            case .done:
                return rounds.fit
            }
        }
    }

    /// Round `round`'s features: ceil(rate x features) of them drawn without replacement.
    static func features(_ count: Int, rate: Double, seed: UInt64, round: Int) -> [Bool] {
        guard rate < 1 else { return [Bool](repeating: true, count: count) }
        var random = RandomStream(seed: seed, stream: UInt64(2 * round + 1))
        var indices = Array(0..<count)
        let keep = Swift.max(1, Int((rate * Double(count)).rounded(.up)))
        var usable = [Bool](repeating: false, count: count)
        for i in 0..<keep {
            indices.swapAt(i, i + random.below(count - i))
            usable[indices[i]] = true
        }
        return usable
    }
}
