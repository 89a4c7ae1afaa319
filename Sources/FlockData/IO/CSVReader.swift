import Foundation

/// Reads CSV (RFC 4180: a header line, comma-separated fields, double quotes around fields
/// that hold commas, quotes or line breaks, `""` for a quote inside one; LF or CRLF) into a
/// record batch, inferring each column's type from its values: int64 when every value is
/// an integer, else float64 when every one is a number, else bool for true/false, else
/// utf8. An empty unquoted field is null; a quoted empty field is an empty string.
public enum CSVReader {
    /// The file at `path`.
    /// - Throws: `DataError.malformedCSV` naming the file, line and column of the problem,
    ///   or the file system's error.
    public static func read(path: String) throws -> RecordBatch {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        return try read(Array(data), source: path)
    }

    /// CSV text in `bytes`; `source` names it in errors.
    /// - Throws: `DataError.malformedCSV` naming the source, line and column of the problem.
    public static func read(_ bytes: [UInt8], source: String = "CSV") throws -> RecordBatch {
        var rows = try CSVTokenizer(bytes: bytes, source: source).rows()
        guard !rows.isEmpty else { throw DataError.malformedCSV(source: source, line: 1, column: 1, "no header line") }
        let header = rows.removeFirst()
        let names = header.fields.map { $0.text ?? "" }
        for row in rows where row.fields.count != names.count {
            throw DataError.malformedCSV(
                source: source, line: row.line, column: 1,
                "\(row.fields.count) fields where the header has \(names.count)")
        }
        let columns = names.indices.map { j in column(rows.map { $0.fields[j] }) }
        do {
            return try RecordBatch(names: names, columns: columns)
        } catch DataError.malformedBatch(let reason) {
            throw DataError.malformedCSV(
                source: source, line: header.line, column: 1, "the header is invalid: \(reason)")
        }
    }

    /// The column of `fields`, typed by what all of them parse as.
    private static func column(_ fields: [CSVTokenizer.Field]) -> Column {
        let texts = fields.map(\.text)
        let present = texts.compactMap { $0 }
        if present.allSatisfy({ Int64($0) != nil }) { return Column(texts.map { $0.flatMap { Int64($0) } }) }
        if present.allSatisfy({ Double($0) != nil }) { return Column(texts.map { $0.flatMap { Double($0) } }) }
        if !present.isEmpty, present.allSatisfy({ $0 == "true" || $0 == "false" }) {
            return Column(texts.map { $0.map { $0 == "true" } })
        }
        return Column(texts)
    }
}

/// Splits CSV bytes into rows of fields, tracking line numbers for errors.
struct CSVTokenizer {
    /// One field: its text, nil for an empty unquoted field (a null).
    struct Field {
        let text: String?
    }

    /// One record and the line it starts on.
    struct Row {
        let line: Int
        var fields: [Field]
    }

    let bytes: [UInt8]
    let source: String

    func rows() throws -> [Row] {
        var rows: [Row] = []
        var index = 0
        var line = 1
        while index < bytes.count {
            var row = Row(line: line, fields: [])
            var endOfRow = false
            while !endOfRow {
                let (field, next, lines, ended) = try self.field(from: index, line: line)
                row.fields.append(field)
                (index, line, endOfRow) = (next, line + lines, ended)
            }
            // A blank line (one empty field) is no record.
            if !(row.fields.count == 1 && row.fields[0].text == nil) { rows.append(row) }
        }
        return rows
    }

    /// The field starting at `start`: the field, where the next one starts, how many line
    /// breaks it spanned (inside quotes and the one ending the row), and whether it ended
    /// its row.
    private func field(from start: Int, line: Int) throws -> (Field, Int, Int, Bool) {
        let comma = UInt8(ascii: ",")
        let quote = UInt8(ascii: "\"")
        let newline = UInt8(ascii: "\n")
        let carriageReturn = UInt8(ascii: "\r")
        var index = start
        if index < bytes.count, bytes[index] == quote {
            var text: [UInt8] = []
            var lines = 0
            index += 1
            while true {
                guard index < bytes.count else {
                    throw DataError.malformedCSV(
                        source: source, line: line, column: column(of: start), "a quoted field is never closed")
                }
                let byte = bytes[index]
                if byte == quote {
                    if index + 1 < bytes.count, bytes[index + 1] == quote {
                        text.append(quote)
                        index += 2
                        continue
                    }
                    index += 1
                    break
                }
                if byte == newline { lines += 1 }
                text.append(byte)
                index += 1
            }
            guard let string = String(validating: text, as: UTF8.self) else {
                throw DataError.malformedCSV(
                    source: source, line: line, column: column(of: start), "the text is not UTF-8")
            }
            if index < bytes.count, bytes[index] == carriageReturn { index += 1 }
            guard index == bytes.count || bytes[index] == comma || bytes[index] == newline else {
                throw DataError.malformedCSV(
                    source: source, line: line + lines, column: column(of: index),
                    "a closing quote must end its field (use \"\" for a quote inside one)")
            }
            let ended = index == bytes.count || bytes[index] == newline
            return (Field(text: string), index + 1, lines + (ended ? 1 : 0), ended)
        }
        var end = index
        while end < bytes.count, bytes[end] != comma, bytes[end] != newline { end += 1 }
        var slice = bytes[index..<end]
        if slice.last == carriageReturn { slice = slice.dropLast() }
        if slice.contains(quote) {
            throw DataError.malformedCSV(
                source: source, line: line, column: column(of: slice.firstIndex(of: quote) ?? index),
                "a quote inside an unquoted field (quote the whole field)")
        }
        guard let string = String(validating: slice, as: UTF8.self) else {
            throw DataError.malformedCSV(source: source, line: line, column: column(of: index), "the text is not UTF-8")
        }
        let ended = end == bytes.count || bytes[end] == newline
        return (Field(text: string.isEmpty ? nil : string), end + 1, ended ? 1 : 0, ended)
    }

    /// The 1-based column (in bytes) of offset `index` on its line.
    private func column(of index: Int) -> Int {
        var start = min(index, bytes.count)
        while start > 0, bytes[start - 1] != UInt8(ascii: "\n") { start -= 1 }
        return index - start + 1
    }
}
