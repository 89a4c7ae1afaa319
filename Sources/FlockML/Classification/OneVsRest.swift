import FlockData
import FlockRuntime
import Foundation

/// A two-class classifier that `OneVsRest` can fit once per class: its label column can be
/// pointed at a derived 0/1 column, and its model scores rows.
public protocol BinaryClassifier: Estimator where Model: BinaryClassificationModel {
    /// The column of 0/1 labels the classifier fits.
    var labelColumn: String { get set }
}

/// A fitted two-class classifier's confidence in class 1, which `OneVsRestModel` compares
/// across classes.
public protocol BinaryClassificationModel: Transformer, Codable, Equatable, Sendable {
    /// Per row of `batch`, a score that grows with the model's confidence that the row is
    /// class 1 (a probability or a signed margin, as the model's `transform` reports it).
    /// - Throws: `MLError.invalidData` for missing or non-numeric feature columns.
    func positiveScores(_ batch: RecordBatch) throws -> [Double]
}

/// Many classes from a two-class classifier (Spark ML's `OneVsRest`, scikit-learn's
/// `OneVsRestClassifier`): class k's model is fitted on "is the label k?" for every k, and a
/// row is predicted the class whose model is most confident (`BinaryClassificationModel`).
/// Labels are the class indices 0, 1, ..., K - 1 (what `StringIndexer` makes), each present
/// in the training rows.
///
///     let classifier = OneVsRest(classifier: GBTClassifier(featureColumns: names), labelColumn: "species")
///     let model = try classifier.fit(train)
///     let scored = try model.transform(test)   // rawPrediction_0 ... rawPrediction_{K-1}, prediction
///
/// The K fits run one after another, each as the classifier runs alone (on all cores, or
/// on the cluster's workers with `fit(_:on:partitions:)`); each sees every row, so K fits
/// cost K times one.
public struct OneVsRest<Classifier: BinaryClassifier>: Estimator {
    /// The two-class classifier fitted once per class (its own label column is replaced).
    public var classifier: Classifier
    public var labelColumn: String
    public var predictionColumn: String
    /// Prefix of the per-class score columns (`rawPrediction_0`, ...).
    public var rawPredictionColumn: String

    /// Classes of `labelColumn`, one `classifier` per class.
    public init(
        classifier: Classifier, labelColumn: String = "label", predictionColumn: String = "prediction",
        rawPredictionColumn: String = "rawPrediction"
    ) {
        self.classifier = classifier
        self.labelColumn = labelColumn
        self.predictionColumn = predictionColumn
        self.rawPredictionColumn = rawPredictionColumn
    }

    /// Fits one model per class.
    /// - Throws: `MLError.invalidData` for a label that is not a class index (null, NaN,
    ///   negative or fractional), a class index without rows, or fewer than two classes;
    ///   the classifier's errors.
    public func fit(_ frame: DataFrame) throws -> OneVsRestModel<Classifier.Model> {
        let classes = try classCount(try labels(of: frame).collect())
        return model(
            try (0..<classes).map { k in
                let (classifier, labeled) = try problem(class: k, of: frame)
                return try classifier.fit(labeled)
            })
    }

    /// `frame`'s label column alone.
    /// - Throws: `MLError.invalidData` when it has none.
    private func labels(of frame: DataFrame) throws -> DataFrame {
        guard frame.schema.fields.contains(where: { $0.name == labelColumn }) else {
            throw MLError.invalidData(
                "no column \"\(labelColumn)\" in the frame (columns: \(frame.schema.fields.map(\.name)))")
        }
        return try frame.select([col(labelColumn)])
    }

    /// The number of classes the labels in `batch` hold (the largest index plus one).
    private func classCount(_ batch: RecordBatch) throws -> Int {
        let labels = try FeatureMatrix(batch, columns: [labelColumn]).values
        var counts: [Int] = []
        for (row, label) in labels.enumerated() {
            guard label >= 0, label.rounded() == label, label < 1e6 else {
                throw MLError.invalidData(
                    "OneVsRest needs class indices 0, 1, ... in column \"\(labelColumn)\" (as StringIndexer "
                        + "makes); row \(row) holds \(label)")
            }
            let k = Int(label)
            if k >= counts.count { counts += [Int](repeating: 0, count: k + 1 - counts.count) }
            counts[k] += 1
        }
        guard counts.count >= 2 else {
            throw MLError.invalidData(
                "column \"\(labelColumn)\" holds \(counts.count) class; OneVsRest needs two or more")
        }
        if let empty = counts.firstIndex(of: 0) {
            throw MLError.invalidData(
                "class \(empty) of column \"\(labelColumn)\" has no rows (the largest class is \(counts.count - 1)); "
                    + "OneVsRest needs every class from 0 to the largest")
        }
        return counts.count
    }

    /// Class `k`'s problem: the classifier pointed at a new 0/1 column "is the label `k`?",
    /// and `frame` with that column (named after the label, unlike any column of `frame`).
    private func problem(class k: Int, of frame: DataFrame) throws -> (classifier: Classifier, frame: DataFrame) {
        let names = Set(frame.schema.fields.map(\.name))
        var name = "\(labelColumn)_one_vs_rest"
        while names.contains(name) { name += "_" }
        var classifier = classifier
        classifier.labelColumn = name
        do {
            return (
                classifier,
                try frame.withColumn(name, (col(labelColumn).cast(.float64) == lit(Double(k))).cast(.float64))
            )
        } catch let error as DataError {
            throw MLError.invalidData("\(error)")
        }
    }

    private func model(_ models: [Classifier.Model]) -> OneVsRestModel<Classifier.Model> {
        OneVsRestModel(models: models, predictionColumn: predictionColumn, rawPredictionColumn: rawPredictionColumn)
    }
}

extension OneVsRest: ClusterEstimator where Classifier: ClusterEstimator {
    /// Fits one model per class on `cluster`, each as the classifier's own cluster fit
    /// (the same models as `fit(_:)` wherever the classifier's are).
    /// - Throws: as `fit(_:)`; the runtime's errors.
    public func fit(_ frame: DataFrame, on cluster: Cluster, partitions: Int?) async throws
        -> OneVsRestModel<Classifier.Model>
    {
        // The frame may live in the cluster's object store: its labels are read there.
        let classes = try classCount(try await labels(of: frame).collect(on: cluster, partitions: partitions))
        var models: [Classifier.Model] = []
        for k in 0..<classes {
            let (classifier, labeled) = try problem(class: k, of: frame)
            models.append(try await classifier.fit(labeled, on: cluster, partitions: partitions))
        }
        return model(models)
    }
}

/// A fitted `OneVsRest`: one two-class model per class; a row's prediction is the class
/// whose model scores it highest (the lowest such class on a tie).
public struct OneVsRestModel<Model: BinaryClassificationModel>: Transformer, Codable, Equatable, Sendable {
    /// Class k's model, at index k.
    public let models: [Model]
    public let predictionColumn: String
    public let rawPredictionColumn: String

    /// The frame with each class's score (`rawPrediction_k`) and the prediction added.
    /// - Throws: the models' errors for missing or non-numeric feature columns.
    public func transform(_ frame: DataFrame) throws -> DataFrame {
        var batch = try frame.collect()
        let scores = try models.map { try $0.positiveScores(batch) }
        for (k, column) in scores.enumerated() {
            batch = try batch.adding("\(rawPredictionColumn)_\(k)", Column(column.map { Optional($0) }))
        }
        let predictions = (0..<batch.rowCount).map { row -> Double? in
            var best = 0
            for k in scores.indices.dropFirst() where scores[k][row] > scores[best][row] { best = k }
            return Double(best)
        }
        return DataFrame(try batch.adding(predictionColumn, Column(predictions)))
    }
}

extension OneVsRestModel: SavableModel where Model: SavableModel {
    /// `OneVsRestModel<` and the class models' type `>`.
    public static var modelType: String { "OneVsRestModel<\(Model.modelType)>" }

    /// At least two class models, each sound.
    public func validate() throws {
        guard models.count >= 2 else {
            throw MLError.invalidData("a one-vs-rest model holds \(models.count) class models; it needs two or more")
        }
        for model in models { try model.validate() }
    }
}

extension GBTClassifier: BinaryClassifier {}
extension RandomForestClassifier: BinaryClassifier {}
extension LinearSVC: BinaryClassifier {}

extension GBTClassificationModel: BinaryClassificationModel {
    /// P(class 1).
    public func positiveScores(_ batch: RecordBatch) throws -> [Double] {
        ensemble.scores(try FeatureColumns.read(batch, featureColumns)).map { 1 / (1 + exp(-$0)) }
    }
}

extension RandomForestClassificationModel: BinaryClassificationModel {
    /// P(class 1): the trees' mean share of class 1.
    public func positiveScores(_ batch: RecordBatch) throws -> [Double] {
        ensemble.scores(try FeatureColumns.read(batch, featureColumns))
    }
}

extension LinearSVCModel: BinaryClassificationModel {
    /// The signed margin (the raw prediction).
    public func positiveScores(_ batch: RecordBatch) throws -> [Double] {
        let x = try FeatureMatrix(batch, columns: featureColumns)
        return (0..<x.rows).map { intercept + dot(coefficients, x.values[$0 * x.width..<($0 + 1) * x.width]) }
    }
}
