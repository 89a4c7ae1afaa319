/// The decisions of a boosting fit, round after round, apart from the rows they are made
/// on: it asks the rows (`BoostingRows`, in this process or in workers) for what it needs
/// next, and the caller answers. One request at a time:
///
///     let rounds = BoostingRounds(...)
///     loop: while true {
///         switch rounds.next() {
///         case .derivatives(let round, let lastTree): rounds.received(largest: rows.derivatives(...))
///         case .root(let round, let scales, let histogram): rows.root(...); rounds.filled()
///         case .split(let step): rows.split(step.order, histogram: step.histogram); rounds.filled()
///         case .done: break loop
///         }
///     }
///
/// Each round: the rows add the last tree and report their largest gradient and hessian
/// (the scales every row quantizes on); the rows fill the root's histogram; then each
/// split's (`TreeGrowth`). After each tree it scores the validation rows, if any, and stops
/// once their loss has not improved for `earlyStoppingRounds` rounds.
final class BoostingRounds {
    /// What the rows are asked for next.
    enum Request {
        /// Add `lastTree` (if not yet added) and report the largest |g| and |h| of round `round`.
        case derivatives(round: Int, lastTree: RegressionTree?)
        /// Quantize on `scales`, draw round `round`'s rows and fill `histogram` with the root's sums.
        case root(round: Int, scales: GradientScales, histogram: UnsafeMutablePointer<SIMD4<Int64>>)
        /// Make the step's split and fill its histogram.
        case split(TreeGrowth.Step)
        /// The fit is over.
        case done
    }

    let loss: BoostingLoss
    let parameters: GBTParameters
    let growth: TreeGrowth
    private let featureCount: Int
    private let validation: (columns: [[Double]], labels: [Double])?
    private let lines: ProgressLines?
    private(set) var fit: GradientBoosting.Fit
    private var validationScores: [Double]
    private var best = (loss: Double.infinity, round: 0)
    private var round = 0
    private var phase = Phase.derivatives
    private var pending: TreeGrowth.Step?
    /// This round's quantization scales, from the rows' largest gradient and hessian.
    private var scales = GradientScales(largest: .zero)

    private enum Phase { case derivatives, root, growing, done }

    /// A fit of `parameters` on rows binned by `binning`, from `initialScore`.
    init(
        loss: BoostingLoss, parameters: GBTParameters, binning: FeatureBinning, initialScore: Double,
        validation: (columns: [[Double]], labels: [Double])?, progress: (@Sendable (String) -> Void)?
    ) {
        let p = parameters
        (self.loss, self.parameters, self.validation, lines) = (loss, p, validation, progress.map(ProgressLines.init))
        featureCount = binning.upperBounds.count
        growth = TreeGrowth(
            binning: binning,
            limits: TreeLimits(
                maxLeaves: p.maxLeaves, maxDepth: p.maxDepth, minRowsInLeaf: p.minInstancesPerNode,
                minHessianInLeaf: p.minHessianInLeaf, l2: p.regLambda, minGain: p.minInfoGain))
        fit = GradientBoosting.Fit(initialScore: initialScore, trees: [], validationLosses: [])
        validationScores = [Double](repeating: initialScore, count: validation?.labels.count ?? 0)
    }

    /// The next request.
    func next() -> Request {
        switch phase {
        case .derivatives: return .derivatives(round: round, lastTree: fit.trees.last)
        case .root:
            let usable = GradientBoosting.features(
                featureCount, rate: parameters.featureSubsetRate, seed: parameters.seed, round: round)
            let histogram = growth.begin(scales: scales, features: FeatureChoice(tree: usable))
            return .root(round: round, scales: scales, histogram: histogram)
        case .growing:
            if let step = growth.next() {
                pending = step
                return .split(step)
            }
            finishTree()
            return next()
        case .done: return .done
        }
    }

    /// The rows' largest |gradient| and |hessian| of this round (over all of them).
    func received(largest: SIMD2<Double>) {
        precondition(phase == .derivatives, "derivatives answer a derivatives request")
        scales = GradientScales(largest: largest)
        phase = .root
    }

    /// The histogram of the last root or split request is filled.
    func filled() {
        switch phase {
        case .root:
            growth.rootFilled()
            phase = .growing
        case .growing:
            // Invariant: a split request set pending.
            growth.apply(pending!)
            pending = nil
        case .derivatives, .done: preconditionFailure("no histogram was asked for")
        }
    }

    /// Starts the current round again from its derivatives (the rows were rebuilt).
    func restartRound() {
        guard phase != .done else { return }
        (phase, pending) = (.derivatives, nil)
    }

    /// The trees so far (a rebuilt shard replays them).
    var trees: [RegressionTree] { fit.trees }

    private func finishTree() {
        let tree = growth.tree(shrinkage: parameters.stepSize)
        fit.trees.append(tree)
        if let validation {
            for i in validationScores.indices { validationScores[i] += tree.predict { validation.columns[$0][i] } }
            let value = loss.mean(validationScores, validation.labels)
            fit.validationLosses.append(value)
            if value < best.loss { best = (value, round) }
        }
        lines?.line(
            "round \(round + 1)/\(parameters.maxIter): \(tree.leafValues.count) leaves"
                + (fit.validationLosses.last.map { ", validation loss \($0)" } ?? ""))
        round += 1
        let stopEarly = validation != nil && round - 1 - best.round >= parameters.earlyStoppingRounds
        if round == parameters.maxIter || stopEarly {
            if validation != nil { fit.trees.removeSubrange((best.round + 1)...) }
            phase = .done
        } else {
            phase = .derivatives
        }
    }
}
