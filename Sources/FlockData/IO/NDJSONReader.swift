import Foundation

/// Reads newline-delimited JSON (one object per line; blank lines skipped) into a batch:
/// a column per key in order of first appearance, null where a line lacks the key. Types
/// are inferred as for CSV from the JSON values: int64, float64 (ints and floats mixed),
/// bool, or utf8 for strings, and for a key whose values mix strings with numbers or
/// bools (their JSON text). Nested objects and arrays are refused (not supported yet).
/// One pass in order (no chunking yet); a second pass only when a column turns to text.
public enum NDJSONReader {
    /// The file at `path`.
    /// - Throws: `DataError.malformedJSON` naming the file, line and column of the problem,
    ///   or `DataError.unreadableFile`.
    public static func read(path: String) throws -> RecordBatch {
        try TableFiles.mapped(path).withUnsafeBytes { try read(buffer: $0.bindMemory(to: UInt8.self), source: path) }
    }

    /// NDJSON text in `bytes`; `source` names it in errors.
    public static func read(_ bytes: [UInt8], source: String = "NDJSON") throws -> RecordBatch {
        try bytes.withUnsafeBufferPointer { try read(buffer: $0, source: source) }
    }

    private static func read(buffer: UnsafeBufferPointer<UInt8>, source: String) throws -> RecordBatch {
        var parser = NDJSONParser(bytes: buffer, forcedText: [])
        do {
            try parser.parse()
            let abandoned = Set(parser.names.indices.filter { parser.sinks[$0].kind == .abandoned })
            if !abandoned.isEmpty {
                parser = NDJSONParser(bytes: buffer, forcedText: Set(abandoned.map { parser.names[$0] }))
                try parser.parse()
            }
        } catch let problem as NDJSONParser.Problem {
            let (line, column) = CSVReader.position(of: problem.offset, in: buffer)
            throw DataError.malformedJSON(source: source, line: line, column: column, problem.message)
        }
        let columns = parser.sinks.map { sink -> Column in
            switch sink.kind {
            case .int, .undecided: sink.column(as: .int64)
            case .double: sink.column(as: .float64)
            case .bool: sink.column(as: .bool)
            case .text, .abandoned: sink.column(as: .utf8)
            }
        }
        return try RecordBatch(names: parser.names, columns: columns)
    }
}

/// The line-by-line JSON object parser behind `NDJSONReader`.
struct NDJSONParser {
    /// A problem at a byte offset.
    struct Problem: Error {
        let offset: Int
        let message: String
    }

    let bytes: UnsafeBufferPointer<UInt8>
    /// Keys whose values are kept as text from the start.
    let forcedText: Set<String>
    private(set) var names: [String] = []
    private(set) var sinks: [CSVColumnSink] = []
    private var columnOf: [String: Int] = [:]
    private var rows = 0
    private var at = 0
    private static let maximumColumns = 10_000

    init(bytes: UnsafeBufferPointer<UInt8>, forcedText: Set<String>) {
        self.bytes = bytes
        self.forcedText = forcedText
    }

    mutating func parse() throws {
        var scratch: [UInt8] = []
        while true {
            skipWhitespace()
            guard at < bytes.count else { return }
            try expect(UInt8(ascii: "{"), "a line must be a JSON object")
            var seen = Set<Int>()
            skipSpaces()
            if peek() == UInt8(ascii: "}") {
                at += 1
            } else {
                while true {
                    skipSpaces()
                    let keyStart = at
                    guard peek() == UInt8(ascii: "\"") else {
                        throw Problem(offset: at, message: "expected a key in quotes")
                    }
                    try readString(into: &scratch)
                    let key = String(decoding: scratch, as: UTF8.self)
                    let column = try self.column(key, at: keyStart)
                    guard seen.insert(column).inserted else {
                        throw Problem(offset: keyStart, message: "key \"\(key)\" appears twice in one object")
                    }
                    skipSpaces()
                    try expect(UInt8(ascii: ":"), "expected ':' after a key")
                    skipSpaces()
                    try readValue(into: column, scratch: &scratch)
                    skipSpaces()
                    if peek() == UInt8(ascii: ",") {
                        at += 1
                        continue
                    }
                    try expect(UInt8(ascii: "}"), "expected ',' or '}'")
                    break
                }
            }
            for column in sinks.indices where !seen.contains(column) { sinks[column].appendNull() }
            rows += 1
            skipSpaces()
            guard at == bytes.count || bytes[at] == UInt8(ascii: "\n") || bytes[at] == UInt8(ascii: "\r") else {
                throw Problem(offset: at, message: "one JSON object per line: unexpected text after the object")
            }
        }
    }

    /// The column of `key`, made (with nulls for the rows before) when new.
    private mutating func column(_ key: String, at offset: Int) throws -> Int {
        if let column = columnOf[key] { return column }
        guard names.count < Self.maximumColumns else {
            throw Problem(offset: offset, message: "more than \(Self.maximumColumns) distinct keys")
        }
        var sink = CSVColumnSink(forcedText: forcedText.contains(key))
        for _ in 0..<rows { sink.appendNull() }
        columnOf[key] = names.count
        names.append(key)
        sinks.append(sink)
        return names.count - 1
    }

    private mutating func readValue(into column: Int, scratch: inout [UInt8]) throws {
        let start = at
        switch peek() {
        case UInt8(ascii: "\""):
            try readString(into: &scratch)
            let fits = scratch.withUnsafeBufferPointer { sinks[column].appendText($0) }
            guard fits else { throw Problem(offset: start, message: "a column holds more than 2 GiB of text") }
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            throw Problem(
                offset: start, message: "nested objects and arrays are not supported yet (key \"\(names[column])\")")
        case UInt8(ascii: "t"), UInt8(ascii: "f"), UInt8(ascii: "n"):
            for word in ["true", "false", "null"] where matches(word) {
                at += word.utf8.count
                if word == "null" {
                    sinks[column].appendNull()
                } else {
                    _ = sinks[column].append(UnsafeBufferPointer(rebasing: bytes[start..<at]))
                }
                return
            }
            throw Problem(offset: start, message: "expected a value")
        default:
            try readNumber()
            _ = sinks[column].append(UnsafeBufferPointer(rebasing: bytes[start..<at]))
        }
    }

    /// A JSON number: -?(0|[1-9]digits)(.digits)?([eE][+-]?digits)?
    private mutating func readNumber() throws {
        let start = at
        func digits() -> Int {
            let from = at
            while at < bytes.count && bytes[at] &- UInt8(ascii: "0") < 10 { at += 1 }
            return at - from
        }
        if peek() == UInt8(ascii: "-") { at += 1 }
        let integer = digits()
        guard integer > 0, !(integer > 1 && bytes[at - integer] == UInt8(ascii: "0")) else {
            throw Problem(offset: start, message: "expected a value")
        }
        if peek() == UInt8(ascii: ".") {
            at += 1
            guard digits() > 0 else { throw Problem(offset: at, message: "a number needs digits after '.'") }
        }
        if peek() == UInt8(ascii: "e") || peek() == UInt8(ascii: "E") {
            at += 1
            if peek() == UInt8(ascii: "+") || peek() == UInt8(ascii: "-") { at += 1 }
            guard digits() > 0 else { throw Problem(offset: at, message: "a number needs digits in its exponent") }
        }
    }

    /// A JSON string at `at`, unescaped into `scratch` (UTF-8 checked).
    private mutating func readString(into scratch: inout [UInt8]) throws {
        let start = at
        scratch.removeAll(keepingCapacity: true)
        at += 1
        while true {
            guard at < bytes.count, bytes[at] != UInt8(ascii: "\n") else {
                throw Problem(offset: start, message: "a string is never closed")
            }
            let byte = bytes[at]
            at += 1
            if byte == UInt8(ascii: "\"") { break }
            guard byte >= 0x20 else { throw Problem(offset: at - 1, message: "a control character inside a string") }
            guard byte == UInt8(ascii: "\\") else {
                scratch.append(byte)
                continue
            }
            guard at < bytes.count else { throw Problem(offset: start, message: "a string is never closed") }
            let escape = bytes[at]
            at += 1
            switch escape {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): scratch.append(escape)
            case UInt8(ascii: "b"): scratch.append(0x08)
            case UInt8(ascii: "f"): scratch.append(0x0C)
            case UInt8(ascii: "n"): scratch.append(0x0A)
            case UInt8(ascii: "r"): scratch.append(0x0D)
            case UInt8(ascii: "t"): scratch.append(0x09)
            case UInt8(ascii: "u"): try readUnicodeEscape(into: &scratch)
            default: throw Problem(offset: at - 2, message: "an unknown escape in a string")
            }
        }
        guard String(validating: scratch, as: UTF8.self) != nil else {
            throw Problem(offset: start, message: "the text is not UTF-8")
        }
    }

    /// `\uXXXX` (after the `u`), with a following `\uXXXX` for a surrogate pair.
    private mutating func readUnicodeEscape(into scratch: inout [UInt8]) throws {
        func hex4() throws -> UInt32 {
            guard at + 4 <= bytes.count,
                let value = UInt32(String(decoding: bytes[at..<at + 4], as: UTF8.self), radix: 16)
            else { throw Problem(offset: at, message: "\\u needs four hex digits") }
            at += 4
            return value
        }
        var scalar = try hex4()
        if (0xD800..<0xDC00).contains(scalar) {
            guard matches("\\u") else { throw Problem(offset: at, message: "a lone surrogate in \\u escapes") }
            at += 2
            let low = try hex4()
            guard (0xDC00..<0xE000).contains(low) else {
                throw Problem(offset: at, message: "a lone surrogate in \\u escapes")
            }
            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
        }
        guard let value = Unicode.Scalar(scalar) else {
            throw Problem(offset: at, message: "a lone surrogate in \\u escapes")
        }
        scratch.append(contentsOf: String(Character(value)).utf8)
    }

    private func peek() -> UInt8? { at < bytes.count ? bytes[at] : nil }

    private func matches(_ word: String) -> Bool {
        let utf8 = Array(word.utf8)
        return at + utf8.count <= bytes.count && bytes[at..<at + utf8.count].elementsEqual(utf8)
    }

    private mutating func expect(_ byte: UInt8, _ message: String) throws {
        guard peek() == byte else { throw Problem(offset: at, message: message) }
        at += 1
    }

    /// Spaces and tabs (inside a line).
    private mutating func skipSpaces() {
        while at < bytes.count && (bytes[at] == 0x20 || bytes[at] == 0x09) { at += 1 }
    }

    /// Any whitespace, line breaks included (between lines).
    private mutating func skipWhitespace() {
        while at < bytes.count && (bytes[at] == 0x20 || bytes[at] == 0x09 || bytes[at] == 0x0A || bytes[at] == 0x0D) {
            at += 1
        }
    }
}
