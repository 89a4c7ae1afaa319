import FlockData
import FlockRuntime

/// Gradient-boosted trees for a numeric target (Spark ML's `GBTRegressor`, grown the
/// LightGBM way): each round fits a histogram tree to the residuals of the squared loss
/// (`GradientBoosting`). Features as in `GBTClassifier`; the label must be finite.
public struct GBTRegressor: Estimator {
    public var featureColumns: [String]
    public var labelColumn: String
    public var predictionColumn: String
    /// A column whose true (non-zero) rows are held out to stop early; nil: no early stop.
    public var validationIndicatorColumn: String?
    public var parameters: GBTParameters
    /// Gets a line per boosting round (round, leaves, validation loss, time).
    public var progress: (@Sendable (String) -> Void)?

    /// A regressor of `labelColumn` by `featureColumns`.
    public init(
        featureColumns: [String], labelColumn: String = "label", predictionColumn: String = "prediction",
        validationIndicatorColumn: String? = nil, parameters: GBTParameters = GBTParameters(),
        progress: (@Sendable (String) -> Void)? = nil
    ) {
        self.featureColumns = featureColumns
        self.labelColumn = labelColumn
        self.predictionColumn = predictionColumn
        self.validationIndicatorColumn = validationIndicatorColumn
        self.parameters = parameters
        self.progress = progress
    }

    /// Fits the trees.
    /// - Throws: `MLError.invalidParameter` for a bad parameter; `.invalidData` for bad
    ///   columns, a non-finite label, or no rows.
    public func fit(_ frame: DataFrame) throws -> GBTRegressionModel {
        try Parameter.columns("featureColumns", featureColumns)
        try parameters.validate()
        let inputs = try GradientBoosting.Inputs(
            try frame.collect(), features: featureColumns, label: labelColumn, indicator: validationIndicatorColumn,
            estimator: "GBTRegressor", labels: \.values)
        let fit = GradientBoosting(loss: .squared, parameters: parameters)
            .fit(columns: inputs.columns, labels: inputs.labels, validation: inputs.validation, progress: progress)
        return GBTRegressionModel(
            featureColumns: featureColumns, predictionColumn: predictionColumn,
            ensemble: fit.ensemble,
            validationLosses: fit.validationLosses)
    }

    /// Fits the trees on `cluster`'s workers: the same trees, bit for bit, as `fit(_:)` of
    /// the same rows in the same order, whatever the workers and `partitions` (default
    /// twice the workers; a persisted frame keeps its own). The rows stay in the workers
    /// (`ClusterBoosting`); the validation rows, if any, are read into this process and
    /// scored here, as `fit(_:)` scores them. A worker lost mid-fit costs its shard's
    /// reload and the tree being grown. The workers register `MLTasks.all` and `MLTasks.actors`.
    /// - Throws: as `fit(_:)`; the runtime's errors after repeated losses.
    public func fit(_ frame: DataFrame, on cluster: Cluster, partitions: Int? = nil) async throws -> GBTRegressionModel
    {
        let fit = try await ClusterBoosting(loss: .squared, parameters: parameters, estimator: "GBTRegressor")
            .fit(
                frame, featureColumns: featureColumns, labelColumn: labelColumn,
                validationIndicatorColumn: validationIndicatorColumn, on: cluster, partitions: partitions,
                progress: progress)
        return GBTRegressionModel(
            featureColumns: featureColumns, predictionColumn: predictionColumn, ensemble: fit.ensemble,
            validationLosses: fit.validationLosses)
    }
}

/// A fitted `GBTRegressor`: the prediction is the ensemble's score.
public struct GBTRegressionModel: Transformer, Codable, Equatable, Sendable {
    public let featureColumns: [String]
    public let predictionColumn: String
    public let ensemble: BoostedTrees
    /// The validation loss (half the mean squared error) after each round, when the fit had
    /// validation rows.
    public let validationLosses: [Double]

    /// Each feature's share of the gain of all splits (in `featureColumns` order).
    public var featureImportances: [Double] { ensemble.featureImportances(features: featureColumns.count) }

    /// The frame with the prediction added.
    /// - Throws: `MLError.invalidData` for a missing or non-numeric feature column.
    public func transform(_ frame: DataFrame) throws -> DataFrame {
        let batch = try frame.collect()
        let scores = ensemble.scores(try FeatureColumns.read(batch, featureColumns))
        return DataFrame(try batch.adding(predictionColumn, Column(scores.map { Optional($0) })))
    }
}
