import FlockData
import FlockRuntime
import Foundation

/// Gradient-boosted trees for two classes (Spark ML's `GBTClassifier`, grown the LightGBM
/// way): each round fits a histogram tree to the logistic loss's gradients and hessians
/// (`GradientBoosting`). Features are numeric columns; nulls and NaN are missing values,
/// which every split sends the way that helps most. Labels are 0 and 1.
///
///     let model = try GBTClassifier(featureColumns: names, labelColumn: "label").fit(train)
///     let scored = try model.transform(test)   // prediction, probability_0, probability_1
public struct GBTClassifier: Estimator {
    public var featureColumns: [String]
    public var labelColumn: String
    public var predictionColumn: String
    /// Prefix of the per-class probability columns (`probability_0`, `probability_1`).
    public var probabilityColumn: String
    /// A column whose true (non-zero) rows are held out to stop early; nil: no early stop.
    public var validationIndicatorColumn: String?
    public var parameters: GBTParameters
    /// Gets a line per boosting round (round, leaves, validation loss, time).
    public var progress: (@Sendable (String) -> Void)?

    /// A classifier of `labelColumn` by `featureColumns`.
    public init(
        featureColumns: [String], labelColumn: String = "label", predictionColumn: String = "prediction",
        probabilityColumn: String = "probability", validationIndicatorColumn: String? = nil,
        parameters: GBTParameters = GBTParameters(), progress: (@Sendable (String) -> Void)? = nil
    ) {
        self.featureColumns = featureColumns
        self.labelColumn = labelColumn
        self.predictionColumn = predictionColumn
        self.probabilityColumn = probabilityColumn
        self.validationIndicatorColumn = validationIndicatorColumn
        self.parameters = parameters
        self.progress = progress
    }

    /// Fits the trees.
    /// - Throws: `MLError.invalidParameter` for a bad parameter; `.invalidData` for bad
    ///   columns, labels other than 0 and 1, a single class, or no rows.
    public func fit(_ frame: DataFrame) throws -> GBTClassificationModel {
        try Parameter.columns("featureColumns", featureColumns)
        try parameters.validate()
        let inputs = try GradientBoosting.Inputs(
            try frame.collect(), features: featureColumns, label: labelColumn, indicator: validationIndicatorColumn,
            estimator: "GBTClassifier"
        ) { try BoostingLoss.logistic.labels($0, column: labelColumn, estimator: "GBTClassifier") }
        guard Set(inputs.labels).count == 2 else {
            throw MLError.invalidData(
                "column \"\(labelColumn)\" holds a single class in the training rows; a classifier needs two")
        }
        let fit = GradientBoosting(loss: .logistic, parameters: parameters)
            .fit(columns: inputs.columns, labels: inputs.labels, validation: inputs.validation, progress: progress)
        return GBTClassificationModel(
            featureColumns: featureColumns, predictionColumn: predictionColumn, probabilityColumn: probabilityColumn,
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
    public func fit(_ frame: DataFrame, on cluster: Cluster, partitions: Int? = nil) async throws
        -> GBTClassificationModel
    {
        let fit = try await ClusterBoosting(loss: .logistic, parameters: parameters, estimator: "GBTClassifier")
            .fit(
                frame, featureColumns: featureColumns, labelColumn: labelColumn,
                validationIndicatorColumn: validationIndicatorColumn, on: cluster, partitions: partitions,
                progress: progress)
        return GBTClassificationModel(
            featureColumns: featureColumns, predictionColumn: predictionColumn, probabilityColumn: probabilityColumn,
            ensemble: fit.ensemble, validationLosses: fit.validationLosses)
    }
}

/// A fitted `GBTClassifier`: P(class 1) = σ(the ensemble's score), the prediction 1 when
/// that is above one half.
public struct GBTClassificationModel: Transformer, Codable, Equatable, Sendable {
    public let featureColumns: [String]
    public let predictionColumn: String
    public let probabilityColumn: String
    public let ensemble: BoostedTrees
    /// The validation loss (mean log loss) after each round, when the fit had validation rows.
    public let validationLosses: [Double]

    /// Each feature's share of the gain of all splits (in `featureColumns` order).
    public var featureImportances: [Double] { ensemble.featureImportances(features: featureColumns.count) }

    /// The frame with `probability_0`, `probability_1` and the prediction (0 or 1) added.
    /// - Throws: `MLError.invalidData` for a missing or non-numeric feature column.
    public func transform(_ frame: DataFrame) throws -> DataFrame {
        var batch = try frame.collect()
        let positive = try positiveScores(batch)
        batch = try batch.adding("\(probabilityColumn)_0", Column(positive.map { Optional(1 - $0) }))
        batch = try batch.adding("\(probabilityColumn)_1", Column(positive.map { Optional($0) }))
        return DataFrame(try batch.adding(predictionColumn, Column(positive.map { Optional($0 > 0.5 ? 1.0 : 0.0) })))
    }
}
