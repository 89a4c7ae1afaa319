/// What FlockData reports when data or a request cannot be handled; each description reads
/// as a sentence that names the problem.
public enum DataError: Error, Equatable, CustomStringConvertible {
    /// Buffers that do not form a valid column (lengths, offsets, UTF-8).
    case malformedColumn(String)
    /// A value of the wrong type for the column or operation.
    case typeMismatch(column: String, expected: DataType, actual: DataType)
    /// Values read as a Swift type the column does not store.
    case valueType(requested: String, column: DataType)
    /// CSV that cannot be read, with where: the source (a file's path), line and column.
    case malformedCSV(source: String, line: Int, column: Int, String)
    /// A column that has no form of the kind asked for (a tensor of a text column).
    case notConvertible(String)
    /// Columns of different lengths in one batch, or duplicate names.
    case malformedBatch(String)
    /// A column name the batch does not have.
    case unknownColumn(String, available: [String])

    public var description: String {
        switch self {
        case .malformedColumn(let reason): "malformed column: \(reason)"
        case .typeMismatch(let column, let expected, let actual):
            "column \"\(column)\" holds \(actual), not \(expected)"
        case .valueType(let requested, let column): "a \(column) column does not store \(requested) values"
        case .malformedCSV(let source, let line, let column, let reason): "\(source):\(line):\(column): \(reason)"
        case .notConvertible(let reason): reason
        case .malformedBatch(let reason): "malformed batch: \(reason)"
        case .unknownColumn(let name, let available):
            "no column \"\(name)\"; the columns are \(available.map { "\"\($0)\"" }.joined(separator: ", "))"
        }
    }
}
