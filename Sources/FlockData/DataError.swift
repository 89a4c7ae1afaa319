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
    /// An operation the types of its operands do not allow; the text names the operation,
    /// the expressions and their types.
    case invalidOperation(String)
    /// A plan that cannot be built or run as asked (a bad limit, an aggregate outside an
    /// aggregation), with the reason.
    case invalidPlan(String)

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
            "no column \"\(name)\"\(Self.nearest(to: name, in: available).map { " (did you mean \"\($0)\"?)" } ?? ""); "
                + "the columns are \(available.map { "\"\($0)\"" }.joined(separator: ", "))"
        case .invalidOperation(let reason): reason
        case .invalidPlan(let reason): "invalid plan: \(reason)"
        }
    }

    /// The name in `names` closest to `name` by edit distance (ignoring case), when it is
    /// close enough to be a likely typo: one edit for short names, else two or a third of
    /// the length.
    static func nearest(to name: String, in names: [String]) -> String? {
        let target = Array(name.lowercased())
        func distance(_ other: String) -> Int {
            let other = Array(other.lowercased())
            var previous = Array(0...other.count)
            for (i, a) in target.enumerated() {
                var current = [i + 1]
                for (j, b) in other.enumerated() {
                    current.append(min(previous[j + 1] + 1, current[j] + 1, previous[j] + (a == b ? 0 : 1)))
                }
                previous = current
            }
            return previous[other.count]
        }
        guard let best = names.min(by: { distance($0) < distance($1) }) else { return nil }
        return distance(best) <= (target.count >= 4 ? max(2, target.count / 3) : 1) ? best : nil
    }
}
