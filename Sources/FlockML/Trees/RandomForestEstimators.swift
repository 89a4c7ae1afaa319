import FlockData
import Foundation

/// A random forest for two classes (Spark ML's `RandomForestClassifier`; for more,
/// `OneVsRest` fits a forest per class): bootstrapped histogram trees on the 0/1 labels
/// (`RandomForest`), each leaf the share of class 1 among its rows; P(class 1) is the
/// trees' mean.
///
///     let forest = try RandomForestClassifier(featureColumns: names, labelColumn: "label").fit(train)
public struct RandomForestClassifier: Estimator {
    public var featureColumns: [String]
    public var labelColumn: String
    public var predictionColumn: String
    /// Prefix of the per-class probability columns (`probability_0`, `probability_1`).
    public var probabilityColumn: String
    public var parameters: RandomForestParameters
    /// Gets a line per tree (tree, leaves, time).
    public var progress: (@Sendable (String) -> Void)?

    /// A forest classifying `labelColumn` (0 or 1) by `featureColumns`.
    public init(
        featureColumns: [String], labelColumn: String = "label", predictionColumn: String = "prediction",
        probabilityColumn: String = "probability", parameters: RandomForestParameters = RandomForestParameters(),
        progress: (@Sendable (String) -> Void)? = nil
    ) {
        self.featureColumns = featureColumns
        self.labelColumn = labelColumn
        self.predictionColumn = predictionColumn
        self.probabilityColumn = probabilityColumn
        self.parameters = parameters
        self.progress = progress
    }

    /// Fits the trees.
    /// - Throws: `MLError.invalidParameter` for a bad parameter; `.invalidData` for bad
    ///   columns, labels other than 0 and 1, a single class, or no rows.
    public func fit(_ frame: DataFrame) throws -> RandomForestClassificationModel {
        try Parameter.columns("featureColumns", featureColumns)
        try parameters.validate()
        let estimator = parameters.numTrees == 1 ? "DecisionTreeClassifier" : "RandomForestClassifier"
        let inputs = try GradientBoosting.Inputs(
            try frame.collect(), features: featureColumns, label: labelColumn, indicator: nil, estimator: estimator
        ) { labels in try Self.binaryLabels(labels, column: labelColumn, estimator: estimator) }
        let ensemble = RandomForest.fit(
            columns: inputs.columns, labels: inputs.labels, parameters: parameters, classification: true,
            progress: progress)
        return RandomForestClassificationModel(
            featureColumns: featureColumns, predictionColumn: predictionColumn, probabilityColumn: probabilityColumn,
            ensemble: ensemble)
    }

    /// Labels 0 and 1, both present.
    static func binaryLabels(_ labels: FeatureMatrix, column: String, estimator: String) throws -> [Double] {
        let classes = try BoostingLoss.logistic.labels(labels, column: column, estimator: estimator)
        guard Set(classes).count == 2 else {
            throw MLError.invalidData("column \"\(column)\" holds a single class; a classifier needs two")
        }
        return classes
    }
}

/// A random forest for a numeric label (Spark ML's `RandomForestRegressor`): bootstrapped
/// histogram trees on the squared loss (variance impurity); the prediction is the trees'
/// mean.
public struct RandomForestRegressor: Estimator {
    public var featureColumns: [String]
    public var labelColumn: String
    public var predictionColumn: String
    public var parameters: RandomForestParameters
    /// Gets a line per tree (tree, leaves, time).
    public var progress: (@Sendable (String) -> Void)?

    /// A forest predicting `labelColumn` from `featureColumns`.
    public init(
        featureColumns: [String], labelColumn: String = "label", predictionColumn: String = "prediction",
        parameters: RandomForestParameters = RandomForestParameters(), progress: (@Sendable (String) -> Void)? = nil
    ) {
        self.featureColumns = featureColumns
        self.labelColumn = labelColumn
        self.predictionColumn = predictionColumn
        self.parameters = parameters
        self.progress = progress
    }

    /// Fits the trees.
    /// - Throws: `MLError.invalidParameter` for a bad parameter; `.invalidData` for bad
    ///   columns, a non-finite label, or no rows.
    public func fit(_ frame: DataFrame) throws -> RandomForestRegressionModel {
        try Parameter.columns("featureColumns", featureColumns)
        try parameters.validate()
        let inputs = try GradientBoosting.Inputs(
            try frame.collect(), features: featureColumns, label: labelColumn, indicator: nil,
            estimator: parameters.numTrees == 1 ? "DecisionTreeRegressor" : "RandomForestRegressor", labels: \.values)
        let ensemble = RandomForest.fit(
            columns: inputs.columns, labels: inputs.labels, parameters: parameters, classification: false,
            progress: progress)
        return RandomForestRegressionModel(
            featureColumns: featureColumns, predictionColumn: predictionColumn, ensemble: ensemble)
    }
}

/// The limits of one decision tree (`DecisionTreeClassifier`, `DecisionTreeRegressor`),
/// named and defaulted as in Spark ML.
public struct DecisionTreeSettings: Codable, Equatable, Sendable {
    /// Depth at most (1...30; default 5).
    public var maxDepth = 5
    /// Value bins per feature at most (2...255; default 32).
    public var maxBins = 32
    /// Rows per leaf at least (default 1).
    public var minInstancesPerNode = 1

    /// The defaults.
    public init() {}

    /// A forest of this one tree, on every row and every feature.
    var forest: RandomForestParameters {
        var parameters = RandomForestParameters()
        (parameters.numTrees, parameters.bootstrap, parameters.featureSubsetStrategy) = (1, false, .all)
        (parameters.maxDepth, parameters.maxBins, parameters.minInstancesPerNode) = (
            maxDepth, maxBins, minInstancesPerNode
        )
        return parameters
    }
}

/// One decision tree for two classes (Spark ML's `DecisionTreeClassifier`): a random
/// forest of one tree on every row and every feature.
public struct DecisionTreeClassifier: Estimator {
    public var featureColumns: [String]
    public var labelColumn: String
    public var settings: DecisionTreeSettings

    /// A tree classifying `labelColumn` (0 or 1) by `featureColumns`.
    public init(featureColumns: [String], labelColumn: String = "label", settings: DecisionTreeSettings = .init()) {
        (self.featureColumns, self.labelColumn, self.settings) = (featureColumns, labelColumn, settings)
    }

    /// Fits the tree (a one-tree `RandomForestClassificationModel`).
    /// - Throws: as `RandomForestClassifier.fit`.
    public func fit(_ frame: DataFrame) throws -> RandomForestClassificationModel {
        try RandomForestClassifier(
            featureColumns: featureColumns, labelColumn: labelColumn, parameters: settings.forest
        )
        .fit(frame)
    }
}

/// One regression tree (Spark ML's `DecisionTreeRegressor`): a random forest of one tree on
/// every row and every feature.
public struct DecisionTreeRegressor: Estimator {
    public var featureColumns: [String]
    public var labelColumn: String
    public var settings: DecisionTreeSettings

    /// A tree predicting `labelColumn` from `featureColumns`.
    public init(featureColumns: [String], labelColumn: String = "label", settings: DecisionTreeSettings = .init()) {
        (self.featureColumns, self.labelColumn, self.settings) = (featureColumns, labelColumn, settings)
    }

    /// Fits the tree (a one-tree `RandomForestRegressionModel`).
    /// - Throws: as `RandomForestRegressor.fit`.
    public func fit(_ frame: DataFrame) throws -> RandomForestRegressionModel {
        try RandomForestRegressor(featureColumns: featureColumns, labelColumn: labelColumn, parameters: settings.forest)
            .fit(frame)
    }
}

/// A fitted forest (or single tree) for two classes: P(class 1) is the trees' mean, the
/// prediction 1 when that is above one half.
public struct RandomForestClassificationModel: Transformer, Codable, Equatable, Sendable {
    public let featureColumns: [String]
    public let predictionColumn: String
    public let probabilityColumn: String
    /// The trees, each leaf's value already divided by the number of trees.
    public let ensemble: BoostedTrees

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

/// A fitted forest (or single tree) for a numeric label: the prediction is the trees' mean.
public struct RandomForestRegressionModel: Transformer, Codable, Equatable, Sendable {
    public let featureColumns: [String]
    public let predictionColumn: String
    /// The trees, each leaf's value already divided by the number of trees.
    public let ensemble: BoostedTrees

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

extension RandomForestClassificationModel: SavableModel {
    public static let modelType = "RandomForestClassificationModel"
    /// Every tree well formed over the model's features.
    public func validate() throws { try ensemble.validate(features: featureColumns.count) }
}

extension RandomForestRegressionModel: SavableModel {
    public static let modelType = "RandomForestRegressionModel"
    /// Every tree well formed over the model's features.
    public func validate() throws { try ensemble.validate(features: featureColumns.count) }
}
