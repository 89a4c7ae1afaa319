/// Named columns of equal length: the unit that operators, files and the object store move
/// (Arrow's record batch).
public struct RecordBatch: Sendable, Equatable {
    /// The column names, in order.
    public let names: [String]
    /// The columns, in the order of `names`.
    public let columns: [Column]

    /// A batch of `columns` named by their keys, in the given order.
    /// - Throws: `DataError.malformedBatch` for duplicate names or columns of different
    ///   lengths.
    public init(_ columns: KeyValuePairs<String, Column>) throws {
        try self.init(names: columns.map(\.key), columns: columns.map(\.value))
    }

    /// A batch of `columns` named `names`.
    /// - Throws: `DataError.malformedBatch` for duplicate names, a count mismatch or columns
    ///   of different lengths.
    public init(names: [String], columns: [Column]) throws {
        guard names.count == columns.count else {
            throw DataError.malformedBatch("\(names.count) names for \(columns.count) columns")
        }
        if let duplicate = Dictionary(grouping: names, by: { $0 }).first(where: { $0.value.count > 1 })?.key {
            throw DataError.malformedBatch("the column name \"\(duplicate)\" appears twice")
        }
        if let first = columns.first, let other = zip(names, columns).first(where: { $0.1.count != first.count }) {
            throw DataError.malformedBatch(
                "column \"\(other.0)\" has \(other.1.count) rows, column \"\(names[0])\" \(first.count)")
        }
        self.names = names
        self.columns = columns
    }

    /// How many rows.
    public var rowCount: Int { columns.first?.count ?? 0 }

    /// The column named `name`.
    /// - Throws: `DataError.unknownColumn` listing the names there are.
    public func column(_ name: String) throws -> Column {
        guard let index = names.firstIndex(of: name) else { throw DataError.unknownColumn(name, available: names) }
        return columns[index]
    }

    /// Rows `range` as a batch of their own.
    public func slice(_ range: Range<Int>) -> RecordBatch {
        // Invariant: slices of equal-length columns are of equal length, names unchanged.
        try! RecordBatch(names: names, columns: columns.map { $0.slice(range) })
    }
}
