import Foundation

/// Writes batches as CSV (a header, then one line per row, comma-separated; text quoted
/// when it holds a comma, quote or line break, with quotes doubled; null as an empty
/// field), to a temporary file renamed into place, so a reader never sees half a file.
public enum CSVWriter {
    /// `batches` (same columns) written to `path`.
    /// - Throws: the file system's error; nothing is left at `path` then.
    public static func write(_ batches: [RecordBatch], to path: String) throws {
        guard let first = batches.first else { throw DataError.malformedBatch("nothing to write to \(path)") }
        try AtomicFile.write(to: path) { handle in
            try handle.write(contentsOf: Array((first.names.map(field).joined(separator: ",") + "\n").utf8))
            for batch in batches {
                var bytes: [UInt8] = []
                bytes.reserveCapacity(batch.rowCount * 16 * batch.columns.count)
                for i in 0..<batch.rowCount {
                    for (j, column) in batch.columns.enumerated() {
                        if j > 0 { bytes.append(UInt8(ascii: ",")) }
                        if !column.isNull(i) {
                            bytes += (column.type.isText ? field(column.text(i)) : column.text(orDescriptionOf: i)).utf8
                        }
                    }
                    bytes.append(UInt8(ascii: "\n"))
                }
                try handle.write(contentsOf: bytes)
            }
        }
    }

    /// `text` as one CSV field, quoted when needed.
    private static func field(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
