import FlockData
import Foundation

/// Inverse document frequency (Spark ML's `IDF`): learns, per term-frequency column, in
/// how many rows (documents) it is not zero, df, and scales it by
/// idf = ln((m + 1) / (df + 1)) for m rows, so that words every document has weigh
/// nothing and rare ones much (TF-IDF). A term seen in fewer than `minDocFreq` documents
/// gets idf 0.
///
///     let idf = try IDF(inputColumns: hashing.outputColumns).fit(counted)   // tf_0_idf, ...
public struct IDF: Estimator {
    public var inputColumns: [String]
    /// Where the weighted values go; default: each input name with `_idf` appended.
    public var outputColumns: [String]
    /// Documents a term must be in to keep a weight (at least 0; default 0).
    public var minDocFreq: Int

    /// Weights for `inputColumns`.
    public init(inputColumns: [String], outputColumns: [String]? = nil, minDocFreq: Int = 0) {
        self.inputColumns = inputColumns
        self.outputColumns = outputColumns ?? inputColumns.map { $0 + "_idf" }
        self.minDocFreq = minDocFreq
    }

    /// Counts each column's documents.
    /// - Throws: `MLError.invalidParameter` for mismatched columns or a negative
    ///   `minDocFreq`; `.invalidData` for missing, non-numeric or missing values, or no rows.
    public func fit(_ frame: DataFrame) throws -> IDFModel {
        try Parameter.columnPairs(inputColumns, outputColumns)
        try Parameter.atLeast("minDocFreq", Double(minDocFreq), 0)
        let matrix = try FeatureMatrix(try frame.collect(), columns: inputColumns)
        guard matrix.rows > 0 else { throw MLError.invalidData("no rows to fit an IDF on") }
        var documents = [Int](repeating: 0, count: matrix.width)
        for row in 0..<matrix.rows {
            for j in 0..<matrix.width where matrix.values[row * matrix.width + j] != 0 { documents[j] += 1 }
        }
        let m = Double(matrix.rows)
        let weights = documents.map { $0 >= minDocFreq ? log((m + 1) / (Double($0) + 1)) : 0 }
        return IDFModel(
            inputColumns: inputColumns, outputColumns: outputColumns, idf: weights, docFreq: documents,
            numDocs: matrix.rows)
    }
}

/// A fitted `IDF`: each input column times its weight.
public struct IDFModel: Transformer, Codable, Equatable {
    public let inputColumns: [String]
    public let outputColumns: [String]
    /// The weight of each input column.
    public let idf: [Double]
    /// In how many training rows each input column was not zero.
    public let docFreq: [Int]
    /// The training rows.
    public let numDocs: Int

    /// The frame with the weighted columns added.
    /// - Throws: `MLError.invalidData` for missing, non-numeric or missing values.
    public func transform(_ frame: DataFrame) throws -> DataFrame {
        var batch = try frame.collect()
        let columns = try FeatureColumns.read(batch, inputColumns)
        do {
            for (j, column) in columns.enumerated() {
                batch = try batch.adding(outputColumns[j], Column(column.map { Optional($0 * idf[j]) }))
            }
        } catch let error as DataError {
            throw MLError.invalidData("\(error)")
        }
        return DataFrame(batch)
    }
}

extension IDFModel: SavableModel {
    public static let modelType = "IDFModel"

    /// A weight and a count per input and output column.
    public func validate() throws {
        guard outputColumns.count == inputColumns.count, idf.count == inputColumns.count,
            docFreq.count == inputColumns.count
        else { throw MLError.invalidData("the weights do not fit \(inputColumns.count) columns") }
    }
}
