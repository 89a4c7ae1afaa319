import FlockData

/// Model selection by k-fold cross-validation (Spark ML's `CrossValidator`): each row goes
/// to one of `numFolds` folds (drawn with `seed`, the same for every candidate); each
/// candidate is fitted on all folds but one and scored by `evaluator` on the one left
/// out, fold by fold; the candidate with the best mean score (the first of ties) is fitted
/// again on every row and becomes the model.
///
/// The parameter grid is the list of candidate estimators, which Swift builds plainly:
///
///     let grid = [0.01, 0.1, 1].map { LogisticRegression(featureColumns: names, regParam: $0) }
///     let chosen = try CrossValidator(candidates: grid, evaluator: MulticlassClassificationEvaluator(
///         metric: .accuracy), numFolds: 5).fit(train)
///     chosen.averageMetrics      // one mean score per candidate
///     chosen.bestModel           // a LogisticRegressionModel, fitted on every row
///
/// Candidates and folds run one after another in this process (each fit uses every core),
/// or, for estimators that fit on a cluster, several at a time on its workers
/// (`fit(_:on:parallelism:)`), with the same result.
public struct CrossValidator<Candidate: Estimator>: Estimator {
    public var candidates: [Candidate]
    public var evaluator: any Evaluator
    /// Folds (at least 2; default 3).
    public var numFolds: Int
    public var seed: UInt64

    /// Cross-validation of `candidates` scored by `evaluator`.
    public init(candidates: [Candidate], evaluator: any Evaluator, numFolds: Int = 3, seed: UInt64 = 1) {
        self.candidates = candidates
        self.evaluator = evaluator
        self.numFolds = numFolds
        self.seed = seed
    }

    /// Scores every candidate on every fold and fits the best on all rows.
    /// - Throws: `MLError.invalidParameter` for no candidates or fewer than two folds;
    ///   `.invalidData` when a fold is empty; whatever a fit or the evaluator throws.
    public func fit(_ frame: DataFrame) throws -> ModelSelection<Candidate.Model> {
        try Parameter.atLeast("numFolds", numFolds, 2)
        let (splits, all) = try ModelSelection<Candidate.Model>.folds(of: frame, into: numFolds, seed: seed)
        return try ModelSelection.choose(candidates, on: splits, all: all, evaluator: evaluator)
    }
}

/// Model selection on one split (Spark ML's `TrainValidationSplit`): each row is a
/// training row with probability `trainRatio` (drawn with `seed`), the rest validate;
/// each candidate is fitted on the training rows and scored on the others, and the best
/// (the first of ties) is fitted again on every row. Cheaper than `CrossValidator`, and
/// noisier.
public struct TrainValidationSplit<Candidate: Estimator>: Estimator {
    public var candidates: [Candidate]
    public var evaluator: any Evaluator
    /// The share of rows that train (in (0, 1); default 0.75).
    public var trainRatio: Double
    public var seed: UInt64

    /// A train/validation split of `candidates` scored by `evaluator`.
    public init(candidates: [Candidate], evaluator: any Evaluator, trainRatio: Double = 0.75, seed: UInt64 = 1) {
        self.candidates = candidates
        self.evaluator = evaluator
        self.trainRatio = trainRatio
        self.seed = seed
    }

    /// Scores every candidate on the validation rows and fits the best on all rows.
    /// - Throws: as `CrossValidator.fit`, and `.invalidParameter` for a ratio outside (0, 1).
    public func fit(_ frame: DataFrame) throws -> ModelSelection<Candidate.Model> {
        let (split, all) = try self.split(frame)
        return try ModelSelection.choose(candidates, on: [split], all: all, evaluator: evaluator)
    }

    /// The training and validation rows, and all rows.
    /// - Throws: `MLError.invalidParameter` for a ratio outside (0, 1), `.invalidData` when
    ///   a side is empty.
    func split(_ frame: DataFrame) throws -> (split: (train: DataFrame, validation: DataFrame), all: DataFrame) {
        guard trainRatio > 0, trainRatio < 1 else {
            throw MLError.invalidParameter(name: "trainRatio", value: "\(trainRatio)", allowed: "a number in (0, 1)")
        }
        let batch = try frame.collect()
        var random = RandomStream(seed: seed)
        let training = (0..<batch.rowCount).map { _ in random.unit() < trainRatio }
        let train = training.indices.filter { training[$0] }
        let validation = training.indices.filter { !training[$0] }
        guard !train.isEmpty, !validation.isEmpty else {
            throw MLError.invalidData("\(batch.rowCount) rows leave the training or the validation side empty")
        }
        return (
            (DataFrame(try batch.keeping(rows: train)), DataFrame(try batch.keeping(rows: validation))),
            DataFrame(batch)
        )
    }
}

/// The outcome of `CrossValidator` or `TrainValidationSplit`: the chosen candidate's
/// model (fitted on every row), which it transforms with, and every candidate's score.
public struct ModelSelection<Model: Transformer>: Transformer {
    public let bestModel: Model
    /// Which candidate won.
    public let bestIndex: Int
    /// Each candidate's mean score over the folds (one split: its score).
    public let averageMetrics: [Double]

    /// The best model's transform.
    public func transform(_ frame: DataFrame) throws -> DataFrame { try bestModel.transform(frame) }

    /// The frame's rows cut into `count` folds (each row's fold uniform from `seed`): per
    /// fold, the other folds' rows to train and its own to validate; and all rows.
    /// - Throws: `MLError.invalidData` when a fold is empty.
    static func folds(of frame: DataFrame, into count: Int, seed: UInt64) throws -> (
        splits: [(train: DataFrame, validation: DataFrame)], all: DataFrame
    ) {
        let batch = try frame.collect()
        var random = RandomStream(seed: seed)
        let folds = (0..<batch.rowCount).map { _ in random.below(count) }
        var splits: [(train: DataFrame, validation: DataFrame)] = []
        for k in 0..<count {
            let validation = folds.indices.filter { folds[$0] == k }
            let train = folds.indices.filter { folds[$0] != k }
            guard !validation.isEmpty, !train.isEmpty else {
                throw MLError.invalidData("fold \(k) of \(count) is empty: \(batch.rowCount) rows are too few")
            }
            splits.append((DataFrame(try batch.keeping(rows: train)), DataFrame(try batch.keeping(rows: validation))))
        }
        return (splits, DataFrame(batch))
    }

    /// The first candidate with the best of `metrics`.
    static func bestIndex(_ metrics: [Double], _ evaluator: any Evaluator) -> Int {
        var best = 0
        for (i, metric) in metrics.enumerated()
        where evaluator.isLargerBetter ? metric > metrics[best] : metric < metrics[best] {
            best = i
        }
        return best
    }

    /// Scores each candidate on every split, picks the best mean, and fits it on `all`.
    static func choose<Candidate: Estimator>(
        _ candidates: [Candidate], on splits: [(train: DataFrame, validation: DataFrame)], all: DataFrame,
        evaluator: any Evaluator
    ) throws -> ModelSelection<Candidate.Model> where Candidate.Model == Model {
        guard !candidates.isEmpty else {
            throw MLError.invalidParameter(name: "candidates", value: "[]", allowed: "at least one estimator")
        }
        let metrics = try candidates.map { candidate in
            try splits.reduce(0.0) { sum, split in
                sum + (try evaluator.evaluate(try candidate.fit(split.train).transform(split.validation)))
            } / Double(splits.count)
        }
        let best = bestIndex(metrics, evaluator)
        return ModelSelection(bestModel: try candidates[best].fit(all), bestIndex: best, averageMetrics: metrics)
    }
}
