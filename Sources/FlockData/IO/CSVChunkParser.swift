/// Parses the records of one byte range of a CSV file (it starts at a record) into one
/// `CSVColumnSink` per column. It stops at the first problem and reports its byte offset;
/// `CSVReader` turns offsets into lines and columns only when there is an error.
struct CSVChunkParser {
    /// A problem at a byte offset.
    struct Problem: Error {
        let offset: Int
        let message: String
    }

    let bytes: UnsafeBufferPointer<UInt8>
    let columnCount: Int
    /// Columns to keep as text from the start (after a first pass found text in them).
    let forcedText: Set<Int>

    private static let comma = UInt8(ascii: ","), quote = UInt8(ascii: "\""), newline = UInt8(ascii: "\n")
    private static let carriageReturn = UInt8(ascii: "\r")
    /// Records parsed before the sinks reserve room for the whole chunk.
    private static let sampleRecords = 1_000

    /// The sinks of the records in `range`, or the first problem.
    func parse(_ range: Range<Int>) -> Result<[CSVColumnSink], Problem> {
        var sinks = (0..<columnCount).map { CSVColumnSink(forcedText: forcedText.contains($0)) }
        // Fields past the header's count (a bad record, reported once it ends).
        var surplus = CSVColumnSink(forcedText: false)
        var scratch: [UInt8] = []
        var at = range.lowerBound
        var records = 0
        do {
            try sinks.withUnsafeMutableBufferPointer { sinks in
                while at < range.upperBound {
                    if records == Self.sampleRecords {
                        // Room for the rest of the chunk at the sample's bytes per record.
                        let expected = range.count * Self.sampleRecords / Swift.max(1, at - range.lowerBound)
                        for c in sinks.indices { sinks[c].reserve(rows: expected + expected / 8) }
                    }
                    records += 1
                    let recordStart = at
                    // A blank line is no record.
                    if bytes[at] == Self.newline
                        || (bytes[at] == Self.carriageReturn && at + 1 < bytes.count && bytes[at + 1] == Self.newline)
                    {
                        at += bytes[at] == Self.newline ? 1 : 2
                        continue
                    }
                    var field = 0
                    var ended = false
                    while !ended {
                        if field < columnCount {
                            (at, ended) = try parseField(from: at, into: &sinks[field], scratch: &scratch)
                        } else {
                            (at, ended) = try parseField(from: at, into: &surplus, scratch: &scratch)
                        }
                        field += 1
                    }
                    guard field == columnCount else {
                        throw Problem(
                            offset: recordStart, message: "\(field) fields where the header has \(columnCount)")
                    }
                }
            }
        } catch let problem as Problem {
            return .failure(problem)
        } catch {
            return .failure(Problem(offset: at, message: "\(error)"))
        }
        return .success(sinks)
    }

    /// The fields of the record at `start` as text (the header), and where the next record starts.
    func headerFields(from start: Int) -> Result<([String], Int), Problem> {
        var sink = CSVColumnSink(forcedText: true)
        var scratch: [UInt8] = []
        var at = start
        var ended = false
        do {
            while !ended { (at, ended) = try parseField(from: at, into: &sink, scratch: &scratch) }
        } catch let problem as Problem {
            return .failure(problem)
        } catch {
            return .failure(Problem(offset: at, message: "\(error)"))
        }
        let names = (0..<sink.count).map { i in
            String(decoding: sink.textBytes[Int(sink.offsets[i])..<Int(sink.offsets[i + 1])], as: UTF8.self)
        }
        return .success((names, Swift.min(at, bytes.count)))
    }

    /// Parses the field at `start` into `sink`; returns where the next field starts and
    /// whether this one ended its record.
    private func parseField(from start: Int, into sink: inout CSVColumnSink, scratch: inout [UInt8]) throws -> (
        Int, Bool
    ) {
        var at = start
        let end = bytes.count
        if at < end && bytes[at] == Self.quote {
            scratch.removeAll(keepingCapacity: true)
            at += 1
            var runStart = at
            while true {
                guard at < end else { throw Problem(offset: start, message: "a quoted field is never closed") }
                if bytes[at] == Self.quote {
                    scratch.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<at]))
                    if at + 1 < end && bytes[at + 1] == Self.quote {
                        scratch.append(Self.quote)
                        at += 2
                        runStart = at
                        continue
                    }
                    at += 1
                    break
                }
                at += 1
            }
            try appendText(scratch, at: start, to: &sink)
            if at < end && bytes[at] == Self.carriageReturn { at += 1 }
            guard at == end || bytes[at] == Self.comma || bytes[at] == Self.newline else {
                throw Problem(
                    offset: at, message: "a closing quote must end its field (use \"\" for a quote inside one)")
            }
            let ended = at == end || bytes[at] == Self.newline
            return (at + 1, ended)
        }
        // Bytes ORed together: UTF-8 needs checking only when one has its high bit set.
        var high: UInt8 = 0
        while at < end {
            let byte = bytes[at]
            if byte == Self.comma || byte == Self.newline { break }
            if byte == Self.quote {
                throw Problem(offset: at, message: "a quote inside an unquoted field (quote the whole field)")
            }
            high |= byte
            at += 1
        }
        var fieldEnd = at
        let ended = at == end || bytes[at] == Self.newline
        if ended && fieldEnd > start && bytes[fieldEnd - 1] == Self.carriageReturn { fieldEnd -= 1 }
        if fieldEnd == start {
            sink.appendNull()
        } else {
            let field = UnsafeBufferPointer(rebasing: bytes[start..<fieldEnd])
            if high >= 0x80 { try checkUTF8(field, at: start) }
            guard sink.append(field) else {
                throw Problem(offset: start, message: "a column holds more than 2 GiB of text")
            }
        }
        return (at + 1, ended)
    }

    private func appendText(_ text: [UInt8], at offset: Int, to sink: inout CSVColumnSink) throws {
        try text.withUnsafeBufferPointer { field in
            try checkUTF8(field, at: offset)
            guard sink.append(field) else {
                throw Problem(offset: offset, message: "a column holds more than 2 GiB of text")
            }
        }
    }

    /// Throws unless `field` is UTF-8 (ASCII is checked first, cheaply).
    private func checkUTF8(_ field: UnsafeBufferPointer<UInt8>, at offset: Int) throws {
        var high: UInt8 = 0
        for byte in field { high |= byte }
        guard high >= 0x80 else { return }
        guard String(validating: field, as: UTF8.self) != nil else {
            throw Problem(offset: offset, message: "the text is not UTF-8")
        }
    }
}
