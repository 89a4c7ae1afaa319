/// Splits a SQL query into tokens. Keywords are not told apart from names here (the
/// parser asks `isKeyword`); `--` comments and whitespace are skipped.
enum SQLLexer {
    /// The tokens of `query`, ending with one `.end`.
    /// - Throws: `DataError.invalidSQL` at an unterminated string or quoted name, or a
    ///   character SQL has no use for.
    static func tokens(of query: String) throws -> [SQLToken] {
        let bytes = Array(query.utf8)
        var tokens: [SQLToken] = []
        var at = 0
        func text(_ range: Range<Int>) -> String { String(decoding: bytes[range], as: UTF8.self) }
        while at < bytes.count {
            let byte = bytes[at]
            if byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D {
                at += 1
            } else if byte == UInt8(ascii: "-"), at + 1 < bytes.count, bytes[at + 1] == UInt8(ascii: "-") {
                while at < bytes.count && bytes[at] != 0x0A { at += 1 }
            } else if isNameStart(byte) {
                let start = at
                while at < bytes.count && (isNameStart(bytes[at]) || isDigit(bytes[at])) { at += 1 }
                tokens.append(SQLToken(kind: .word, text: text(start..<at), offset: start))
            } else if isDigit(byte) || (byte == UInt8(ascii: ".") && at + 1 < bytes.count && isDigit(bytes[at + 1])) {
                let start = at
                at = numberEnd(bytes, from: at)
                tokens.append(SQLToken(kind: .number, text: text(start..<at), offset: start))
            } else if byte == UInt8(ascii: "'") || byte == UInt8(ascii: "\"") {
                let (value, end) = try quoted(bytes, from: at, query: query)
                tokens.append(
                    SQLToken(kind: byte == UInt8(ascii: "'") ? .string : .quotedName, text: value, offset: at))
                at = end
            } else if let symbol = symbol(bytes, at) {
                tokens.append(SQLToken(kind: .symbol, text: symbol, offset: at))
                at += symbol.utf8.count
            } else {
                let scalar = String(decoding: bytes[at..<min(bytes.count, at + 4)], as: UTF8.self).prefix(1)
                throw DataError.invalidSQL(query: query, offset: at, "unexpected character \"\(scalar)\"")
            }
        }
        tokens.append(SQLToken(kind: .end, text: "", offset: bytes.count))
        return tokens
    }

    private static func isNameStart(_ byte: UInt8) -> Bool {
        (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || byte == UInt8(ascii: "_") || byte >= 0x80
    }

    private static func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }

    /// The end of the number starting at `start`: digits, one fraction, one exponent.
    private static func numberEnd(_ bytes: [UInt8], from start: Int) -> Int {
        var at = start
        while at < bytes.count && isDigit(bytes[at]) { at += 1 }
        if at < bytes.count && bytes[at] == UInt8(ascii: ".") {
            at += 1
            while at < bytes.count && isDigit(bytes[at]) { at += 1 }
        }
        if at < bytes.count && (bytes[at] == UInt8(ascii: "e") || bytes[at] == UInt8(ascii: "E")) {
            var exponent = at + 1
            if exponent < bytes.count && (bytes[exponent] == UInt8(ascii: "+") || bytes[exponent] == UInt8(ascii: "-"))
            {
                exponent += 1
            }
            if exponent < bytes.count && isDigit(bytes[exponent]) {
                at = exponent
                while at < bytes.count && isDigit(bytes[at]) { at += 1 }
            }
        }
        return at
    }

    /// The value of the quoted string or name at `start` (a doubled quote stands for one)
    /// and the offset after its closing quote.
    private static func quoted(_ bytes: [UInt8], from start: Int, query: String) throws -> (String, Int) {
        let quote = bytes[start]
        var value: [UInt8] = []
        var at = start + 1
        while at < bytes.count {
            if bytes[at] == quote {
                if at + 1 < bytes.count && bytes[at + 1] == quote {
                    value.append(quote)
                    at += 2
                    continue
                }
                return (String(decoding: value, as: UTF8.self), at + 1)
            }
            value.append(bytes[at])
            at += 1
        }
        let what = quote == UInt8(ascii: "'") ? "string" : "quoted name"
        throw DataError.invalidSQL(query: query, offset: start, "this \(what) has no closing quote")
    }

    private static let symbols = [
        "<=", ">=", "<>", "!=", "||", "(", ")", ",", ".", "*", "+", "-", "/", "%", "=", "<", ">", ";",
    ]

    private static func symbol(_ bytes: [UInt8], _ at: Int) -> String? {
        symbols.first { symbol in
            let utf8 = Array(symbol.utf8)
            return at + utf8.count <= bytes.count && Array(bytes[at..<at + utf8.count]) == utf8
        }
    }
}
