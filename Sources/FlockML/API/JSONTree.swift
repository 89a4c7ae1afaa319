/// JSON as a tree that keeps each number's and string's text as written, so a model's
/// float64s pass through unchanged (Foundation's `JSONSerialization` re-rounds some of
/// them in the last digit). `ModelArrays` uses it to move a model's numeric arrays into
/// tensors and back; it reads files, so it refuses what is not JSON with the byte where
/// it stopped, and nesting deeper than `maxDepth`.
indirect enum JSONTree {
    /// Members in order, each key as its raw text between the quotes.
    case object([(key: String, value: JSONTree)])
    case array([JSONTree])
    /// The raw text between the quotes (escapes kept).
    case string(String)
    /// The number's text.
    case number(String)
    /// `true`, `false` or `null`.
    case literal(String)

    static let maxDepth = 64

    /// The tree of the JSON `bytes`.
    /// - Throws: `MLError.invalidData` naming the byte where `bytes` stop being JSON.
    static func parse(_ bytes: [UInt8]) throws -> JSONTree {
        var reader = Reader(bytes: bytes)
        let tree = try reader.value(depth: 0)
        reader.skipSpace()
        guard reader.position == bytes.count else { throw reader.error("text after the value") }
        return tree
    }

    /// The tree as compact JSON.
    var text: String {
        switch self {
        case .object(let members): "{" + members.map { "\"\($0.key)\":\($0.value.text)" }.joined(separator: ",") + "}"
        case .array(let elements): "[" + elements.map(\.text).joined(separator: ",") + "]"
        case .string(let raw): "\"\(raw)\""
        case .number(let text), .literal(let text): text
        }
    }

    private struct Reader {
        let bytes: [UInt8]
        var position = 0

        func error(_ problem: String) -> MLError {
            MLError.invalidData("its JSON is malformed at byte \(position): \(problem)")
        }

        mutating func skipSpace() {
            while position < bytes.count, [0x20, 0x0A, 0x0D, 0x09].contains(bytes[position]) { position += 1 }
        }

        mutating func value(depth: Int) throws -> JSONTree {
            guard depth < JSONTree.maxDepth else { throw error("nested deeper than \(JSONTree.maxDepth)") }
            skipSpace()
            guard position < bytes.count else { throw error("it ends where a value should be") }
            switch bytes[position] {
            case UInt8(ascii: "{"): return try object(depth: depth)
            case UInt8(ascii: "["):
                position += 1
                var elements: [JSONTree] = []
                skipSpace()
                if position < bytes.count, bytes[position] == UInt8(ascii: "]") {
                    position += 1
                    return .array([])
                }
                while true {
                    elements.append(try value(depth: depth + 1))
                    if try separator(closing: "]") { return .array(elements) }
                }
            case UInt8(ascii: "\""): return .string(try string())
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try number())
            default:
                for word in ["true", "false", "null"] where bytes[position...].starts(with: word.utf8) {
                    position += word.utf8.count
                    return .literal(word)
                }
                throw error("no JSON value starts with byte \(bytes[position])")
            }
        }

        private mutating func object(depth: Int) throws -> JSONTree {
            position += 1
            var members: [(key: String, value: JSONTree)] = []
            skipSpace()
            if position < bytes.count, bytes[position] == UInt8(ascii: "}") {
                position += 1
                return .object([])
            }
            while true {
                skipSpace()
                guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") else {
                    throw error("a key must be a string")
                }
                let key = try string()
                skipSpace()
                guard position < bytes.count, bytes[position] == UInt8(ascii: ":") else {
                    throw error("a colon must follow a key")
                }
                position += 1
                members.append((key, try value(depth: depth + 1)))
                if try separator(closing: "}") { return .object(members) }
            }
        }

        /// Past a comma (false) or the closing bracket (true).
        private mutating func separator(closing: Unicode.Scalar) throws -> Bool {
            skipSpace()
            guard position < bytes.count else { throw error("it ends inside a list or an object") }
            let byte = bytes[position]
            position += 1
            if byte == UInt8(ascii: ",") { return false }
            if byte == UInt8(ascii: closing) { return true }
            throw error("a comma or \"\(closing)\" must follow a value")
        }

        /// The raw text of the string at `position` (which moves past its closing quote).
        private mutating func string() throws -> String {
            let start = position + 1
            position = start
            while position < bytes.count {
                switch bytes[position] {
                case UInt8(ascii: "\""):
                    defer { position += 1 }
                    return String(decoding: bytes[start..<position], as: UTF8.self)
                case UInt8(ascii: "\\"): position += 2
                case 0..<0x20: throw error("a control character inside a string")
                default: position += 1
                }
            }
            throw error("it ends inside a string")
        }

        private mutating func number() throws -> String {
            let start = position
            while position < bytes.count, "+-.eE0123456789".utf8.contains(bytes[position]) { position += 1 }
            let text = String(decoding: bytes[start..<position], as: UTF8.self)
            guard Double(text) != nil, text.last.map(\.isNumber) == true else { throw error("\(text) is not a number") }
            return text
        }
    }
}
