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
    /// NDJSON that cannot be read, with where: the source, line and column (in bytes).
    case malformedJSON(source: String, line: Int, column: Int, String)
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
    /// A SQL query that cannot be parsed or planned; `offset` is the UTF-8 offset of the
    /// offending token, which the description points at.
    case invalidSQL(query: String, offset: Int, String)
    /// A Parquet file that cannot be read, with what is wrong (and where, when known).
    case malformedParquet(String)
    /// A file or pattern that names nothing readable, with why.
    case unreadableFile(path: String, String)
    /// Spilling to disk failed (no space, no such folder, a bad memory limit), with why.
    case spillFailed(String)

    public var description: String {
        switch self {
        case .malformedColumn(let reason): "malformed column: \(reason)"
        case .typeMismatch(let column, let expected, let actual):
            "column \"\(column)\" holds \(actual), not \(expected)"
        case .valueType(let requested, let column): "a \(column) column does not store \(requested) values"
        case .malformedCSV(let source, let line, let column, let reason): "\(source):\(line):\(column): \(reason)"
        case .malformedJSON(let source, let line, let column, let reason): "\(source):\(line):\(column): \(reason)"
        case .notConvertible(let reason): reason
        case .malformedBatch(let reason): "malformed batch: \(reason)"
        case .unknownColumn(let name, let available):
            "no column \"\(name)\"\(Self.nearest(to: name, in: available).map { " (did you mean \"\($0)\"?)" } ?? ""); "
                + "the columns are \(available.map { "\"\($0)\"" }.joined(separator: ", "))"
        case .invalidOperation(let reason): reason
        case .invalidPlan(let reason): "invalid plan: \(reason)"
        case .invalidSQL(let query, let offset, let reason): Self.pointing(at: offset, in: query, reason)
        case .malformedParquet(let reason): "malformed Parquet: \(reason)"
        case .unreadableFile(let path, let reason): "cannot read \(path): \(reason)"
        case .spillFailed(let reason): "cannot spill to disk: \(reason)"
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

    /// `reason` with the line and column of `offset` in `query`, then that line with a
    /// caret under the offset.
    static func pointing(at offset: Int, in query: String, _ reason: String) -> String {
        let bytes = Array(query.utf8)
        let offset = min(max(0, offset), bytes.count)
        let lineStart = bytes[..<offset].lastIndex(of: 0x0A).map { $0 + 1 } ?? 0
        let lineEnd = bytes[offset...].firstIndex(of: 0x0A) ?? bytes.count
        let lineNumber = bytes[..<offset].filter { $0 == 0x0A }.count + 1
        let before = String(decoding: bytes[lineStart..<offset], as: UTF8.self)
        let line = String(decoding: bytes[lineStart..<lineEnd], as: UTF8.self)
        return "SQL error at line \(lineNumber), column \(before.count + 1): \(reason)\n  \(line)\n  "
            + String(repeating: " ", count: before.count) + "^"
    }
}
