extension RecordBatch: CustomStringConvertible {
    /// The first `limit` rows as a text table: a header of names and types, values padded
    /// to their column's width (numbers to the right), `null` for nulls, and a last line
    /// counting the rows left out.
    public func show(limit: Int = 20) -> String {
        let shown = min(limit, rowCount)
        let header = zip(names, columns).map { [$0.0, "\($0.1.type)"] }
        let cells = columns.map { column in
            (0..<shown).map { column[$0].map { "\($0)" } ?? "null" }
        }
        let widths = columns.indices.map { j in ([header[j][0], header[j][1]] + cells[j]).map(\.count).max() ?? 0 }
        func line(_ values: [String], numeric: [Bool]) -> String {
            values.indices.map { j in
                let padding = String(repeating: " ", count: widths[j] - values[j].count)
                return numeric[j] ? padding + values[j] : values[j] + padding
            }.joined(separator: " | ")
        }
        let numeric = columns.map { $0.type.isNumeric }
        let left = [Bool](repeating: false, count: columns.count)
        var lines = [
            line(header.map { $0[0] }, numeric: left), line(header.map { $0[1] }, numeric: left),
            widths.map { String(repeating: "-", count: $0) }.joined(separator: "-+-"),
        ]
        for i in 0..<shown { lines.append(line(cells.map { $0[i] }, numeric: numeric)) }
        if rowCount > shown { lines.append("(\(rowCount - shown) more rows, \(rowCount) in all)") }
        return lines.joined(separator: "\n")
    }

    public var description: String { show() }
}
