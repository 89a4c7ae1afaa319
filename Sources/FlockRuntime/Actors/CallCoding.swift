import Foundation

/// How a distributed call's arguments and return value become bytes: an array of plain
/// numbers (`[Double]`, `[Int64]`, `[UInt8]`, ...) as an object of its raw elements, the way
/// the object store keeps it (a copy, where JSON cost a formatted number per element);
/// anything else as JSON (actor handles as their ids). Both ends know the type, so the
/// bytes carry no tag beyond the object header.
enum CallCoding {
    static func encode<Value: Encodable>(_ value: Value) throws -> [UInt8] {
        guard value is any RawArray else { return Array(try JSONEncoder().encode(value)) }
        return try ObjectCoding.withEncoded(value) { header, payload in header + [UInt8](payload) }
    }

    /// - Throws: `RuntimeError.malformedObject` for a raw array that is not one; JSON's
    ///   errors otherwise.
    static func decode<Value: Decodable>(_: Value.Type, from bytes: [UInt8], using decoder: JSONDecoder) throws
        -> Value
    {
        guard Value.self is any RawArray.Type else { return try decoder.decode(Value.self, from: Data(bytes)) }
        return try bytes.withUnsafeBytes { try ObjectCoding.decode(Value.self, from: $0) }
    }
}
