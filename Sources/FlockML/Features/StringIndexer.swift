import FlockData

/// Learns an index for each distinct value of a text, categorical, integer or boolean
/// column (Spark ML's `StringIndexer`): the most frequent value gets 0, then the next;
/// ties go in ascending order of the value's text. The fitted model writes each row's index
/// (float64, as Spark does) to `outputColumn`, so a classifier can take the column as its
/// label.
public struct StringIndexer: Estimator {
    /// What the model does with a value it did not see when fitting (or a null).
    public enum InvalidValues: String, Sendable, Codable {
        /// Fail, naming the value and the row (Spark's default).
        case error
        /// Drop the row.
        case skip
        /// Give it the index after the last one.
        case keep
    }

    public var inputColumn: String
    public var outputColumn: String
    public var handleInvalid: InvalidValues

    /// An indexer of `inputColumn` into `outputColumn`.
    public init(inputColumn: String, outputColumn: String, handleInvalid: InvalidValues = .error) {
        self.inputColumn = inputColumn
        self.outputColumn = outputColumn
        self.handleInvalid = handleInvalid
    }

    /// Counts the values and orders them.
    /// - Throws: `MLError.invalidData` for a missing column or one of another type.
    public func fit(_ frame: DataFrame) throws -> StringIndexerModel {
        let values = try Self.texts(try frame.collect(), inputColumn)
        var counts: [String: Int] = [:]
        for value in values { if let value { counts[value, default: 0] += 1 } }
        let labels = counts.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.map(\.key)
        return StringIndexerModel(
            inputColumn: inputColumn, outputColumn: outputColumn, labels: labels, handleInvalid: handleInvalid)
    }

    /// The column's values as text (nil for nulls).
    static func texts(_ batch: RecordBatch, _ name: String) throws -> [String?] {
        try FeatureColumns.texts(
            batch, name, accepts: { [.utf8, .categorical, .bool].contains($0) || $0.storageType.isInteger },
            takes: "StringIndexer takes text, categorical, integer or bool columns")
    }
}

/// A fitted `StringIndexer`: `labels[i]` has index i.
public struct StringIndexerModel: Transformer, Codable, Equatable {
    public let inputColumn: String
    public let outputColumn: String
    /// The values in index order.
    public let labels: [String]
    public let handleInvalid: StringIndexer.InvalidValues

    /// The frame with each row's index added (rows with an unseen value or a null dropped,
    /// given the last index plus one, or an error, as `handleInvalid` says).
    /// - Throws: `MLError.invalidData` for an unseen value or a null under `.error`, or a
    ///   column of another type.
    public func transform(_ frame: DataFrame) throws -> DataFrame {
        let batch = try frame.collect()
        let index = Dictionary(uniqueKeysWithValues: labels.enumerated().map { ($1, Double($0)) })
        var indices: [Double?] = []
        var kept: [Int] = []
        for (row, value) in try StringIndexer.texts(batch, inputColumn).enumerated() {
            if let value, let found = index[value] {
                indices.append(found)
                kept.append(row)
                continue
            }
            switch handleInvalid {
            case .error:
                throw MLError.invalidData(
                    "column \"\(inputColumn)\" holds \(value.map { "\"\($0)\"" } ?? "null") at row \(row), which the indexer did not see when fitted; set handleInvalid to skip or keep"
                )
            case .skip: continue
            case .keep:
                indices.append(Double(labels.count))
                kept.append(row)
            }
        }
        return DataFrame(try batch.keeping(rows: kept).adding(outputColumn, Column(indices)))
    }
}

extension StringIndexerModel: SavableModel { public static let modelType = "StringIndexerModel" }
