import FlockData

/// Turns category indices into indicator columns (Spark ML's `OneHotEncoder`): a column of
/// indices 0..<n (from `StringIndexer`, or whole numbers) becomes n columns `output_0` ...
/// `output_(n-1)` of 0 and 1, one of them 1 per row. FlockData has no vector column, so
/// Spark's one vector is the list of columns (`outputNames`). With `dropLast` (the default,
/// as Spark) the last category's column is left out (all zeros mean it), so the columns are
/// not collinear with an intercept. Fitting learns n from the largest index.
public struct OneHotEncoder: Estimator {
    public var inputColumns: [String]
    /// Prefixes of the output columns; default: each input name with `_vec` appended.
    public var outputColumns: [String]
    public var dropLast: Bool
    /// An index the fit did not see (above its largest), a null or NaN: an error (the
    /// default) or, with `.keep`, one more column for all of them (`.skip` drops the row).
    public var handleInvalid: StringIndexer.InvalidValues

    /// An encoder of `inputColumns`.
    public init(
        inputColumns: [String], outputColumns: [String]? = nil, dropLast: Bool = true,
        handleInvalid: StringIndexer.InvalidValues = .error
    ) {
        self.inputColumns = inputColumns
        self.outputColumns = outputColumns ?? inputColumns.map { $0 + "_vec" }
        self.dropLast = dropLast
        self.handleInvalid = handleInvalid
    }

    /// Learns each column's number of categories.
    /// - Throws: `MLError.invalidParameter` for mismatched column lists; `.invalidData` for
    ///   a missing or non-numeric column or a value that is not an index.
    public func fit(_ frame: DataFrame) throws -> OneHotEncoderModel {
        try Parameter.columnPairs(inputColumns, outputColumns)
        let columns = try FeatureColumns.read(try frame.collect(), inputColumns)
        let sizes = try zip(inputColumns, columns).map { name, values -> Int in
            var largest = -1
            for (row, value) in values.enumerated() where !value.isNaN {
                guard value >= 0, value < Double(1 << 24), value == value.rounded() else {
                    throw MLError.invalidData(
                        "column \"\(name)\" holds \(value) at row \(row); OneHotEncoder takes indices 0, 1, 2, ...")
                }
                largest = Swift.max(largest, Int(value))
            }
            return largest + 1
        }
        return OneHotEncoderModel(
            inputColumns: inputColumns, outputColumns: outputColumns, categorySizes: sizes, dropLast: dropLast,
            handleInvalid: handleInvalid)
    }
}

/// A fitted `OneHotEncoder`: each input's number of categories.
public struct OneHotEncoderModel: Transformer, Codable, Equatable {
    public let inputColumns: [String]
    public let outputColumns: [String]
    public let categorySizes: [Int]
    public let dropLast: Bool
    public let handleInvalid: StringIndexer.InvalidValues

    /// The indicator columns input `i` becomes, in order.
    public func outputNames(_ i: Int) -> [String] {
        let kept = categorySizes[i] + (handleInvalid == .keep ? 1 : 0) - (dropLast ? 1 : 0)
        return (0..<Swift.max(kept, 0)).map { "\(outputColumns[i])_\($0)" }
    }

    /// The frame with every input's indicator columns added.
    /// - Throws: `MLError.invalidData` for a missing or non-numeric column, or (under
    ///   `.error`) an index the fit did not see, a null or NaN, naming the row.
    public func transform(_ frame: DataFrame) throws -> DataFrame {
        var batch = try frame.collect()
        let columns = try FeatureColumns.read(batch, inputColumns)
        var dropped = Set<Int>()
        var slots: [[Int?]] = []  // Per input, each row's category (nil: none of the kept columns).
        for (i, values) in columns.enumerated() {
            let size = categorySizes[i]
            slots.append(
                try values.enumerated().map { row, value -> Int? in
                    if value >= 0, value < Double(size), value == value.rounded() { return Int(value) }
                    switch handleInvalid {
                    case .error:
                        throw MLError.invalidData(
                            "column \"\(inputColumns[i])\" holds \(value) at row \(row); the encoder knows indices 0..<\(size)"
                        )
                    case .skip:
                        dropped.insert(row)
                        return nil
                    case .keep: return size
                    }
                })
        }
        for i in inputColumns.indices {
            for (c, name) in outputNames(i).enumerated() {
                batch = try batch.adding(name, Column(slots[i].map { Optional($0 == c ? 1.0 : 0.0) }))
            }
        }
        guard !dropped.isEmpty else { return DataFrame(batch) }
        return DataFrame(try batch.keeping(rows: (0..<batch.rowCount).filter { !dropped.contains($0) }))
    }
}

extension OneHotEncoderModel: SavableModel {
    public static let modelType = "OneHotEncoderModel"

    /// One size (0 or more) per input, as many outputs as inputs.
    public func validate() throws {
        guard categorySizes.count == inputColumns.count, outputColumns.count == inputColumns.count,
            categorySizes.allSatisfy({ (0..<(1 << 24)).contains($0) })
        else { throw MLError.invalidData("the encoder's columns and category sizes do not fit together") }
    }
}
