/// Thrift's compact protocol, which Parquet uses for its footer and page headers: a
/// decoder to a generic value tree (footers are small; the tree keeps the struct mapping
/// in one place per struct) and an encoder for the structs Flock writes.
///
/// Untrusted input: every length is checked against the bytes that remain, and nesting is
/// bounded, so a corrupt footer is an error, never a huge allocation or a stack overflow.
indirect enum ThriftValue: Sendable {
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case binary([UInt8])
    case list([ThriftValue])
    case map([(ThriftValue, ThriftValue)])
    case structure(ThriftStruct)
}

/// The fields of a decoded Thrift struct by id, with typed accessors that name a missing
/// or mistyped field.
struct ThriftStruct: Sendable {
    var fields: [Int16: ThriftValue] = [:]
    /// The struct's name in errors (`FileMetaData`).
    var name = "struct"

    func int(_ id: Int16) -> Int64? {
        if case .int(let value)? = fields[id] { return value }
        return nil
    }

    func requiredInt(_ id: Int16, _ field: String) throws -> Int64 {
        guard let value = int(id) else { throw missing(id, field) }
        return value
    }

    func bool(_ id: Int16) -> Bool? {
        if case .bool(let value)? = fields[id] { return value }
        return nil
    }

    func binary(_ id: Int16) -> [UInt8]? {
        if case .binary(let value)? = fields[id] { return value }
        return nil
    }

    func string(_ id: Int16) -> String? { binary(id).map { String(decoding: $0, as: UTF8.self) } }

    func structure(_ id: Int16, _ name: String) -> ThriftStruct? {
        guard case .structure(var value)? = fields[id] else { return nil }
        value.name = name
        return value
    }

    func list(_ id: Int16) -> [ThriftValue]? {
        if case .list(let value)? = fields[id] { return value }
        return nil
    }

    /// The structs of list field `id` (empty when absent).
    func structs(_ id: Int16, _ name: String) -> [ThriftStruct] {
        (list(id) ?? []).compactMap {
            guard case .structure(var value) = $0 else { return nil }
            value.name = name
            return value
        }
    }

    func missing(_ id: Int16, _ field: String) -> DataError {
        .malformedParquet("\(name) lacks its required field \(field) (\(id)) or has it with the wrong type")
    }
}

/// Reads compact-protocol values from bytes.
struct ThriftReader {
    private let bytes: [UInt8]
    private(set) var position: Int
    private var depth = 0
    private static let maximumDepth = 32

    init(_ bytes: [UInt8], at position: Int = 0) {
        self.bytes = bytes
        self.position = position
    }

    /// One struct, from its first field header to its stop byte.
    mutating func readStruct(_ name: String) throws -> ThriftStruct {
        depth += 1
        defer { depth -= 1 }
        guard depth <= Self.maximumDepth else { throw DataError.malformedParquet("Thrift structs nest too deeply") }
        var result = ThriftStruct(name: name)
        var lastID: Int16 = 0
        while true {
            let header = try byte()
            if header == 0 { return result }
            let type = header & 0x0F
            let delta = Int16(header >> 4)
            let id = delta == 0 ? Int16(truncatingIfNeeded: try zigzag()) : lastID &+ delta
            lastID = id
            result.fields[id] = try value(type: type)
        }
    }

    private mutating func value(type: UInt8) throws -> ThriftValue {
        switch type {
        case 1: return .bool(true)
        case 2: return .bool(false)
        case 3: return .int(Int64(Int8(bitPattern: try byte())))
        case 4, 5, 6: return .int(try zigzag())
        case 7:
            let raw = try take(8)
            return .double(
                Double(bitPattern: raw.enumerated().reduce(0) { $0 | UInt64($1.element) << (8 * $1.offset) }))
        case 8: return .binary(try take(try length()))
        case 9, 10:
            let header = try byte()
            let count = header >> 4 == 15 ? try length() : Int(header >> 4)
            let elementType = header & 0x0F
            guard count <= bytes.count - position else {
                throw DataError.malformedParquet("a Thrift list claims \(count) elements")
            }
            var elements: [ThriftValue] = []
            elements.reserveCapacity(count)
            for _ in 0..<count {
                if elementType == 1 || elementType == 2 {
                    elements.append(.bool(try byte() == 1))
                } else {
                    elements.append(try value(type: elementType))
                }
            }
            return .list(elements)
        case 11:
            let count = try length()
            guard count > 0 else { return .map([]) }
            guard count <= bytes.count - position else {
                throw DataError.malformedParquet("a Thrift map claims \(count) entries")
            }
            let types = try byte()
            var entries: [(ThriftValue, ThriftValue)] = []
            for _ in 0..<count { entries.append((try value(type: types >> 4), try value(type: types & 0x0F))) }
            return .map(entries)
        case 12:
            return .structure(try readStruct("struct"))
        default:
            throw DataError.malformedParquet("unknown Thrift type \(type) at byte \(position - 1)")
        }
    }

    private mutating func byte() throws -> UInt8 {
        guard position < bytes.count else { throw DataError.malformedParquet("Thrift data ends early") }
        defer { position += 1 }
        return bytes[position]
    }

    private mutating func take(_ count: Int) throws -> [UInt8] {
        guard count >= 0, count <= bytes.count - position else {
            throw DataError.malformedParquet("a Thrift value of \(count) bytes runs past the end")
        }
        defer { position += count }
        return Array(bytes[position..<position + count])
    }

    private mutating func varint() throws -> UInt64 {
        var result: UInt64 = 0
        for shift in stride(from: 0, to: 70, by: 7) {
            let next = try byte()
            guard shift < 64 else { break }
            result |= UInt64(next & 0x7F) << UInt64(shift)
            if next & 0x80 == 0 { return result }
        }
        throw DataError.malformedParquet("a Thrift varint is longer than 10 bytes")
    }

    private mutating func zigzag() throws -> Int64 {
        let raw = try varint()
        return Int64(bitPattern: (raw >> 1) ^ (0 &- (raw & 1)))
    }

    private mutating func length() throws -> Int {
        let raw = try varint()
        guard raw <= UInt64(Int32.max) else {
            throw DataError.malformedParquet("a Thrift length of \(raw) is too large")
        }
        return Int(raw)
    }
}

/// Writes compact-protocol structs; fields must be written in increasing id order.
struct ThriftWriter {
    var bytes: [UInt8] = []
    private var lastIDs: [Int16] = [0]

    enum FieldType: UInt8 {
        case boolTrue = 1
        case boolFalse = 2
        case byte = 3
        case i16 = 4
        case i32 = 5
        case i64 = 6
        case double = 7
        case binary = 8
        case list = 9
        case structure = 12
    }

    mutating func field(_ id: Int16, _ type: FieldType) {
        let delta = id - lastIDs[lastIDs.count - 1]
        if delta > 0 && delta <= 15 {
            bytes.append(UInt8(delta) << 4 | type.rawValue)
        } else {
            bytes.append(type.rawValue)
            zigzag(Int64(id))
        }
        lastIDs[lastIDs.count - 1] = id
    }

    mutating func int(_ id: Int16, _ value: Int64, _ type: FieldType = .i64) {
        field(id, type)
        zigzag(value)
    }

    mutating func bool(_ id: Int16, _ value: Bool) { field(id, value ? .boolTrue : .boolFalse) }

    mutating func binary(_ id: Int16, _ value: [UInt8]) {
        field(id, .binary)
        rawBinary(value)
    }

    mutating func string(_ id: Int16, _ value: String) { binary(id, Array(value.utf8)) }

    /// A list field header for `count` elements of `type`; the elements follow.
    mutating func list(_ id: Int16, of type: FieldType, count: Int) {
        field(id, .list)
        listHeader(of: type, count: count)
    }

    mutating func listHeader(of type: FieldType, count: Int) {
        if count < 15 {
            bytes.append(UInt8(count) << 4 | type.rawValue)
        } else {
            bytes.append(0xF0 | type.rawValue)
            varint(UInt64(count))
        }
    }

    /// Opens a struct-typed field (id given) or a list element (id nil); close it with `end`.
    mutating func begin(_ id: Int16? = nil) {
        if let id { field(id, .structure) }
        lastIDs.append(0)
    }

    mutating func end() {
        bytes.append(0)
        lastIDs.removeLast()
    }

    mutating func rawZigzag(_ value: Int64) { zigzag(value) }

    mutating func rawBinary(_ value: [UInt8]) {
        varint(UInt64(value.count))
        bytes += value
    }

    private mutating func zigzag(_ value: Int64) { varint(UInt64(bitPattern: (value << 1) ^ (value >> 63))) }

    private mutating func varint(_ value: UInt64) {
        var value = value
        while value >= 0x80 {
            bytes.append(UInt8(value & 0x7F) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(value))
    }
}
