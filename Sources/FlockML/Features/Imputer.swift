import FlockData

/// Fills missing values of numeric columns (Spark ML's `Imputer`): nulls, NaN, and
/// `missingValue` when set, replaced by each column's mean, median or most frequent value
/// over the rows that have one.
///
///     let filled = try Imputer(inputColumns: ["age", "income"], strategy: .median).fit(people)
///     let complete = try filled.transform(people)     // age_imputed, income_imputed
public struct Imputer: Estimator {
    /// What fills a column's gaps.
    public enum Strategy: String, Sendable, Codable {
        case mean
        /// The lower middle value (a value the column holds, as Spark's is).
        case median
        /// The most frequent value, the smallest of ties.
        case mode
    }

    public var inputColumns: [String]
    /// Where the filled columns go; default: each input name with `_imputed` appended.
    public var outputColumns: [String]
    public var strategy: Strategy
    /// A number that also counts as missing (nil: only nulls and NaN).
    public var missingValue: Double?

    /// An imputer of `inputColumns`.
    public init(
        inputColumns: [String], outputColumns: [String]? = nil, strategy: Strategy = .mean, missingValue: Double? = nil
    ) {
        self.inputColumns = inputColumns
        self.outputColumns = outputColumns ?? inputColumns.map { $0 + "_imputed" }
        self.strategy = strategy
        self.missingValue = missingValue
    }

    /// Learns each column's surrogate.
    /// - Throws: `MLError.invalidParameter` for bad columns; `.invalidData` for a missing
    ///   or non-numeric column, or one with no value to learn from.
    public func fit(_ frame: DataFrame) throws -> ImputerModel {
        try Parameter.columnPairs(inputColumns, outputColumns)
        let columns = try FeatureColumns.read(try frame.collect(), inputColumns)
        let surrogates = try zip(inputColumns, columns).map { name, column in
            let present = column.filter { !ImputerModel.isMissing($0, missingValue) }
            guard !present.isEmpty else {
                throw MLError.invalidData("column \"\(name)\" has no values to impute from (all missing)")
            }
            return Self.surrogate(present, strategy)
        }
        return ImputerModel(
            inputColumns: inputColumns, outputColumns: outputColumns, surrogates: surrogates,
            missingValue: missingValue)
    }

    /// The `strategy` value of `values` (not empty, none missing).
    static func surrogate(_ values: [Double], _ strategy: Strategy) -> Double {
        switch strategy {
        case .mean:
            return Moments.of(values, width: 1, pairs: false).means[0]
        case .median:
            return values.sorted()[(values.count - 1) / 2]
        case .mode:
            var counts: [Double: Int] = [:]
            for value in values { counts[value, default: 0] += 1 }
            // Invariant: values is not empty.
            return counts.max { $0.value < $1.value || ($0.value == $1.value && $0.key > $1.key) }!.key
        }
    }
}

/// A fitted `Imputer`: each column's surrogate.
public struct ImputerModel: Transformer, Codable, Equatable {
    public let inputColumns: [String]
    public let outputColumns: [String]
    public let surrogates: [Double]
    public let missingValue: Double?

    /// Whether `value` counts as missing.
    static func isMissing(_ value: Double, _ missingValue: Double?) -> Bool {
        value.isNaN || value == missingValue
    }

    /// The frame with each filled column added (float64).
    /// - Throws: `MLError.invalidData` for a missing or non-numeric column.
    public func transform(_ frame: DataFrame) throws -> DataFrame {
        var batch = try frame.collect()
        let columns = try FeatureColumns.read(batch, inputColumns)
        for (j, name) in outputColumns.enumerated() {
            let filled = columns[j].map { Optional(Self.isMissing($0, missingValue) ? surrogates[j] : $0) }
            batch = try batch.adding(name, Column(filled))
        }
        return DataFrame(batch)
    }
}

extension ImputerModel: SavableModel { public static let modelType = "ImputerModel" }
