import FlockData

/// Columns of a frame as the stages read them: numeric (or bool: 0 and 1) columns as one
/// float64 array per column, nulls and NaN read as missing (NaN), what the tree estimators
/// fit on, since a tree sends missing values down a branch of their own instead of
/// refusing them; and columns read as text (`StringIndexer`, `Tokenizer`).
enum FeatureColumns {
    /// Columns `names` of `batch`.
    /// - Throws: `MLError.invalidData` for a missing or non-numeric column.
    static func read(_ batch: RecordBatch, _ names: [String]) throws -> [[Double]] {
        try names.map { name in
            let column: Column
            do {
                column = try batch.column(name)
            } catch {
                throw MLError.invalidData("no column \"\(name)\" in the frame (columns: \(batch.names))")
            }
            guard column.type.isNumeric || column.type == .bool else {
                throw MLError.invalidData("column \"\(name)\" is \(column.type); the estimator takes numeric columns")
            }
            var values = column.withDoubles { Array($0) }
            if column.nullCount > 0 {
                for i in values.indices where column.isNull(i) { values[i] = .nan }
            }
            return values
        }
    }

    /// Column `name` of `batch` as text (nil for nulls), when `accepts` takes its type.
    /// - Throws: `MLError.invalidData` for a missing column, or one of a type `accepts`
    ///   refuses (`takes` ends the message: what the stage takes).
    static func texts(_ batch: RecordBatch, _ name: String, accepts: (DataType) -> Bool, takes: String) throws
        -> [String?]
    {
        let column: Column
        do {
            column = try batch.column(name)
        } catch {
            throw MLError.invalidData("\(error)")
        }
        guard accepts(column.type) else { throw MLError.invalidData("column \"\(name)\" is \(column.type); \(takes)") }
        return (0..<column.count).map { column[$0].map(\.description) }
    }
}
