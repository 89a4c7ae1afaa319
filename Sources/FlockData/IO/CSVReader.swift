import Foundation

/// Reads CSV (RFC 4180: a header line, comma-separated fields, double quotes around fields
/// that hold commas, quotes or line breaks, `""` for a quote inside one; LF or CRLF) into
/// record batches, inferring each column's type from its values: int64 when every value
/// is an integer, else float64 when every one is a number, else bool for true/false, else
/// utf8. An empty unquoted field is null; a quoted empty field is an empty string.
///
/// Underneath: the file is memory-mapped and cut into chunks at record boundaries (the
/// parity of the quotes before a cut tells whether it falls inside a quoted field); chunks
/// parse in parallel straight into typed columns, speculating on each column's type and
/// widening it (a chunk that meets text in a numeric column parses again with that column
/// as text). Errors are found by offset and reported with the line and column; when chunks
/// ran in parallel, the file is parsed again in order so the error is the first one.
public enum CSVReader {
    /// The file at `path` as one batch.
    /// - Throws: `DataError.malformedCSV` naming the file, line and column of the problem,
    ///   or `DataError.unreadableFile`.
    public static func read(path: String) throws -> RecordBatch {
        let batches = try readBatches(path: path)
        return try RecordBatch.concatenate(batches, schema: Schema(of: batches[0]))
    }

    /// The file at `path` as batches of consecutive rows (one per chunk, parsed in parallel).
    public static func readBatches(path: String) throws -> [RecordBatch] {
        try TableFiles.mapped(path).withUnsafeBytes { try batches(of: $0.bindMemory(to: UInt8.self), source: path) }
    }

    /// CSV text in `bytes` as one batch; `source` names it in errors.
    /// - Throws: `DataError.malformedCSV` naming the source, line and column of the problem.
    public static func read(_ bytes: [UInt8], source: String = "CSV") throws -> RecordBatch {
        let batches = try bytes.withUnsafeBufferPointer { try Self.batches(of: $0, source: source) }
        return try RecordBatch.concatenate(batches, schema: Schema(of: batches[0]))
    }

    /// The batches of `bytes`: the header, then chunks in parallel.
    static func batches(of bytes: UnsafeBufferPointer<UInt8>, source: String, chunkBytes: Int = 4 << 20) throws
        -> [RecordBatch]
    {
        func failure(_ offset: Int, _ message: String) -> DataError {
            let (line, column) = position(of: offset, in: bytes)
            return .malformedCSV(source: source, line: line, column: column, message)
        }
        let (names, bodyStart) = try header(bytes, failure: failure)
        var chunks = chunkRanges(bytes, from: bodyStart, size: chunkBytes)
        // A file of only a header is one batch of no rows.
        if chunks.isEmpty { chunks = [bodyStart..<bodyStart] }
        let parser = CSVChunkParser(bytes: bytes, columnCount: names.count, forcedText: [])
        var sinks: [[CSVColumnSink]] = []
        var firstProblem: CSVChunkParser.Problem?
        let outcomes = try Parallel.map(chunks.count) { parser.parse(chunks[$0]) }
        for outcome in outcomes {
            switch outcome {
            case .success(let chunkSinks): sinks.append(chunkSinks)
            case .failure(let problem): firstProblem = firstProblem ?? problem
            }
        }
        if var problem = firstProblem {
            // In order, the first problem of the file (chunks may have met later ones first).
            if chunks.count > 1, case .failure(let first) = parser.parse(bodyStart..<bytes.count) { problem = first }
            throw failure(problem.offset, problem.message)
        }
        let types = settledTypes(sinks, columnCount: names.count)
        // Chunks that met text only after other values parse again with those columns as text.
        let redo = sinks.indices.filter { c in
            sinks[c].indices.contains {
                types[$0] == .utf8 && sinks[c][$0].kind != .text && sinks[c][$0].kind != .undecided
            }
        }
        let textColumns = Set(types.indices.filter { types[$0] == .utf8 })
        let redone = try Parallel.map(redo.count) { i in
            try CSVChunkParser(bytes: bytes, columnCount: names.count, forcedText: textColumns).parse(chunks[redo[i]])
                .get()
        }
        for (i, c) in redo.enumerated() { sinks[c] = redone[i] }
        return try sinks.map { chunk in
            let columns = zip(chunk, types).map { $0.column(as: $1) }
            do {
                return try RecordBatch(names: names, columns: columns)
            } catch DataError.malformedBatch(let reason) {
                throw failure(0, "the header is invalid: \(reason)")
            }
        }
    }

    /// The header's names and where the body starts (blank lines before it are skipped).
    private static func header(_ bytes: UnsafeBufferPointer<UInt8>, failure: (Int, String) -> DataError) throws
        -> ([String], Int)
    {
        var start = 0
        while start < bytes.count && (bytes[start] == UInt8(ascii: "\n") || bytes[start] == UInt8(ascii: "\r")) {
            start += 1
        }
        guard start < bytes.count else { throw failure(0, "no header line") }
        let probe = CSVChunkParser(bytes: bytes, columnCount: 0, forcedText: [])
        let (names, end) = try probe.headerFields(from: start).mapError { failure($0.offset, $0.message) }.get()
        let unique = Set(names)
        if unique.count != names.count {
            let repeated = names.first { name in names.filter { $0 == name }.count > 1 } ?? ""
            throw failure(start, "the header is invalid: the column name \"\(repeated)\" appears twice")
        }
        return (names, end)
    }

    /// Ranges of about `size` bytes that start at records: each cut moves to just after
    /// the first line break outside quotes, known from the parity of the quotes before it.
    static func chunkRanges(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int, size: Int) -> [Range<Int>] {
        let length = bytes.count - start
        guard length > size else { return length > 0 ? [start..<bytes.count] : [] }
        let pieces = (length + size - 1) / size
        let nominal = (0...pieces).map { start + length * $0 / pieces }
        let quotes =
            (try? Parallel.map(pieces) { p in
                quoteCount(UnsafeBufferPointer(rebasing: bytes[nominal[p]..<nominal[p + 1]]))
            }) ?? []
        var cuts = [start]
        var quotesBefore = 0
        for p in 1..<pieces {
            quotesBefore += quotes[p - 1]
            var at = nominal[p]
            var inQuotes = quotesBefore % 2 == 1
            while at < bytes.count {
                let byte = bytes[at]
                at += 1
                if byte == UInt8(ascii: "\"") {
                    inQuotes.toggle()
                } else if byte == UInt8(ascii: "\n") && !inQuotes {
                    break
                }
            }
            if at > cuts[cuts.count - 1] && at < bytes.count { cuts.append(at) }
        }
        cuts.append(bytes.count)
        return zip(cuts, cuts.dropFirst()).compactMap { $0 < $1 ? $0..<$1 : nil }
    }

    /// How many `"` bytes `bytes` holds, eight bytes at a time: a byte equal to the quote
    /// becomes zero after XOR, and zero bytes are found with carries that cannot cross bytes.
    static func quoteCount(_ bytes: UnsafeBufferPointer<UInt8>) -> Int {
        let quotes: UInt64 = 0x2222_2222_2222_2222
        let low7: UInt64 = 0x7F7F_7F7F_7F7F_7F7F
        let words = bytes.count / 8
        var count = 0
        if let base = bytes.baseAddress, words > 0 {
            let raw = UnsafeRawPointer(base)
            for w in 0..<words {
                let x = raw.loadUnaligned(fromByteOffset: w * 8, as: UInt64.self) ^ quotes
                // High bit set exactly in the bytes that are zero.
                let zero = ~(((x & low7) &+ low7) | x | low7)
                count += zero.nonzeroBitCount
            }
        }
        for i in words * 8..<bytes.count where bytes[i] == UInt8(ascii: "\"") { count += 1 }
        return count
    }

    /// The type each column settles on over all chunks: any text makes text; bools with
    /// numbers make text; ints with floats make float64; only nulls make int64.
    private static func settledTypes(_ sinks: [[CSVColumnSink]], columnCount: Int) -> [DataType] {
        (0..<columnCount).map { j in
            let kinds = Set(sinks.map { $0[j].kind }).subtracting([.undecided])
            if kinds.isEmpty { return .int64 }
            if kinds.contains(.text) || kinds.contains(.abandoned) { return .utf8 }
            if kinds == [.bool] { return .bool }
            if kinds.contains(.bool) { return .utf8 }
            return kinds.contains(.double) ? .float64 : .int64
        }
    }

    /// The 1-based line and byte column of `offset`.
    static func position(of offset: Int, in bytes: UnsafeBufferPointer<UInt8>) -> (Int, Int) {
        let offset = Swift.min(Swift.max(0, offset), bytes.count)
        var line = 1
        var lineStart = 0
        for i in 0..<offset where bytes[i] == UInt8(ascii: "\n") {
            line += 1
            lineStart = i + 1
        }
        return (line, offset - lineStart + 1)
    }
}
