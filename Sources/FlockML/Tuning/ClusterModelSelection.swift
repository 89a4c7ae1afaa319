import FlockData
import FlockRuntime

/// An estimator that also fits on a cluster's workers, giving the model its in-process
/// `fit` gives for the same rows, bit for bit.
public protocol ClusterEstimator: Estimator {
    /// Fits on `cluster` (the frame's columns persisted in `partitions` pieces, default
    /// twice the workers; a persisted frame keeps its own).
    func fit(_ frame: DataFrame, on cluster: Cluster, partitions: Int?) async throws -> Model
}

extension LinearRegression: ClusterEstimator {}
extension LogisticRegression: ClusterEstimator {}
extension LinearSVC: ClusterEstimator {}
extension NaiveBayes: ClusterEstimator {}
extension KMeans: ClusterEstimator {}
extension GaussianMixture: ClusterEstimator {}
extension PCA: ClusterEstimator {}
extension StandardScaler: ClusterEstimator {}
extension MinMaxScaler: ClusterEstimator {}
extension GBTClassifier: ClusterEstimator {}
extension GBTRegressor: ClusterEstimator {}

extension CrossValidator where Candidate: ClusterEstimator, Candidate.Model: Sendable {
    /// Cross-validates on `cluster`: each fold's training rows are persisted there once,
    /// and up to `parallelism` fits (a candidate on a fold) run at a time, each on the
    /// workers; scoring runs here. The choice, the scores and the model are those of
    /// `fit(_:)`, bit for bit, since every cluster fit is its in-process fit.
    /// - Throws: as `fit(_:)`, `MLError.invalidParameter` for a parallelism below 1, and the
    ///   runtime's errors when tasks fail after their retries.
    public func fit(_ frame: DataFrame, on cluster: Cluster, parallelism: Int = 2) async throws
        -> ModelSelection<Candidate.Model>
    {
        try Parameter.atLeast("numFolds", numFolds, 2)
        let (splits, all) = try ModelSelection<Candidate.Model>.folds(of: frame, into: numFolds, seed: seed)
        return try await ModelSelection.choose(
            candidates, on: splits, all: all, evaluator: evaluator, cluster: cluster, parallelism: parallelism)
    }
}

extension TrainValidationSplit where Candidate: ClusterEstimator, Candidate.Model: Sendable {
    /// `fit(_:)` on `cluster`, fits running up to `parallelism` at a time on the workers
    /// (as `CrossValidator.fit(_:on:parallelism:)`); the same result, bit for bit.
    /// - Throws: as `fit(_:)`, and the runtime's errors.
    public func fit(_ frame: DataFrame, on cluster: Cluster, parallelism: Int = 2) async throws
        -> ModelSelection<Candidate.Model>
    {
        let (split, all) = try self.split(frame)
        return try await ModelSelection.choose(
            candidates, on: [split], all: all, evaluator: evaluator, cluster: cluster, parallelism: parallelism)
    }
}

extension ModelSelection where Model: Sendable {
    /// `choose` with every fit on `cluster`, at most `parallelism` at once.
    static func choose<Candidate: ClusterEstimator>(
        _ candidates: [Candidate], on splits: [(train: DataFrame, validation: DataFrame)], all: DataFrame,
        evaluator: any Evaluator, cluster: Cluster, parallelism: Int
    ) async throws -> ModelSelection<Candidate.Model> where Candidate.Model == Model {
        guard !candidates.isEmpty else {
            throw MLError.invalidParameter(name: "candidates", value: "[]", allowed: "at least one estimator")
        }
        try Parameter.atLeast("parallelism", parallelism, 1)
        var persisted: [DataFrame] = []
        for split in splits { persisted.append(try await split.train.persist(on: cluster, name: "fold")) }
        let trials = candidates.indices.flatMap { c in splits.indices.map { (c, $0) } }
        let models = try await withThrowingTaskGroup(of: (Int, Model).self) { group in
            var models = [Model?](repeating: nil, count: trials.count)
            for (t, (c, s)) in trials.enumerated() {
                if t >= parallelism, let (done, model) = try await group.next() { models[done] = model }
                let (candidate, train) = (candidates[c], persisted[s])
                group.addTask { (t, try await candidate.fit(train, on: cluster, partitions: nil)) }
            }
            for try await (done, model) in group { models[done] = model }
            // Invariant: every trial's model arrived above.
            return models.map { $0! }
        }
        var metrics: [Double] = []
        for c in candidates.indices {
            var sum = 0.0
            for s in splits.indices {
                sum += try evaluator.evaluate(try models[c * splits.count + s].transform(splits[s].validation))
            }
            metrics.append(sum / Double(splits.count))
        }
        let best = bestIndex(metrics, evaluator)
        let model = try await candidates[best].fit(
            try await all.persist(on: cluster, name: "all"), on: cluster, partitions: nil)
        return ModelSelection(bestModel: model, bestIndex: best, averageMetrics: metrics)
    }
}
