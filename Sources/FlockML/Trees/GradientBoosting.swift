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
    /// label, or the mean.
    func initialScore(_ labels: [Double]) -> Double {
        let mean = labels.reduce(0, +) / Double(Swift.max(1, labels.count))
        switch self {
        case .logistic: return log(mean / (1 - mean))
        case .squared: return mean
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
        progress: ((String) -> Void)?
    ) -> Fit {
        let p = parameters
        let binning = FeatureBinning(columns: columns, maxBins: p.maxBins, seed: p.seed)
        let binned = binning.binned(columns)
        let grower = TreeGrower(
            rows: binned, binning: binning,
            limits: TreeLimits(
                maxLeaves: p.maxLeaves, maxDepth: p.maxDepth, minRowsInLeaf: p.minInstancesPerNode,
                minHessianInLeaf: p.minHessianInLeaf, l2: p.regLambda, minGain: p.minInfoGain))
        let initial = loss.initialScore(labels)
        var scores = [Double](repeating: initial, count: labels.count)
        var validationScores = validation.map { [Double](repeating: initial, count: $0.labels.count) }
        var fit = Fit(initialScore: initial, trees: [], validationLosses: [])
        var best = (loss: Double.infinity, round: 0)
        let started = Date()
        var (g, h) = ([Double](repeating: 0, count: labels.count), [Double](repeating: 0, count: labels.count))
        var quantized = QuantizedGradients(gradients: [], hessians: [])
        for round in 0..<p.maxIter {
            loss.derivatives(scores, labels, into: &g, &h)
            quantized.update(gradients: g, hessians: h)
            let sample =
                p.subsamplingRate < 1
                ? Self.sample(labels.count, rate: p.subsamplingRate, seed: p.seed, round: round) : nil
            let usable = Self.features(columns.count, rate: p.featureSubsetRate, seed: p.seed, round: round)
            let grown = grower.grow(
                quantized, sample: sample, features: FeatureChoice(tree: usable), shrinkage: p.stepSize)
            fit.trees.append(grown.tree)
            Self.add(grown, to: &scores, columns: columns, sampled: sample != nil)
            if let validation, var current = validationScores {
                for i in current.indices { current[i] += grown.tree.predict { validation.columns[$0][i] } }
                validationScores = current
                let value = loss.mean(current, validation.labels)
                fit.validationLosses.append(value)
                if value < best.loss { best = (value, round) }
            }
            progress?(
                "round \(round + 1)/\(p.maxIter): \(grown.tree.leafValues.count) leaves"
                    + (fit.validationLosses.last.map { ", validation loss \($0)" } ?? "")
                    + String(format: ", %.2f s", Date().timeIntervalSince(started)))
            if validation != nil, round - best.round >= p.earlyStoppingRounds { break }
        }
        if validation != nil { fit.trees.removeSubrange((best.round + 1)...) }
        return fit
    }

    /// The tree's outputs added to the training scores: by leaf for the rows it grew on,
    /// by walking it for the rest.
    private static func add(_ grown: TreeGrower.Grown, to scores: inout [Double], columns: [[Double]], sampled: Bool) {
        var covered = sampled ? [Bool](repeating: false, count: scores.count) : []
        scores.withUnsafeMutableBufferPointer { scores in
            covered.withUnsafeMutableBufferPointer { covered in
                // Leaves hold disjoint rows, so they update in parallel.
                ThreadPool.shared.parallelFor(chunks: grown.leafRanges.count) { leaf in
                    let value = grown.tree.leafValues[leaf]
                    for i in grown.leafRanges[leaf] {
                        scores[Int(grown.order[i])] += value
                        if sampled { covered[Int(grown.order[i])] = true }
                    }
                }
            }
        }
        if sampled {
            for i in scores.indices where !covered[i] { scores[i] += grown.tree.predict { columns[$0][i] } }
        }
    }

    /// Round `round`'s rows, each kept with probability `rate` (a stream per round).
    static func sample(_ rows: Int, rate: Double, seed: UInt64, round: Int) -> [Int32] {
        var random = RandomStream(seed: seed, stream: UInt64(2 * round))
        return (0..<Int32(rows)).filter { _ in random.unit() < rate }
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
