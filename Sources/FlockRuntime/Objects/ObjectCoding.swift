import Foundation

/// How values become the bytes of an object and back. Every object starts with an 8-byte
/// header (so that the elements of a mapped object are 8-byte aligned): a format byte, an
/// element kind, six reserved bytes. Arrays of plain numbers (`[Float]`, `[Double]`,
/// `[Int32]`, `[Int64]`, `[Int]`, `[UInt8]`) are stored as their raw elements: one memcpy
/// to store, none to read in place (`ObjectRef.withUnsafeElements`); a `WritableObject` is
/// stored as the `[UInt8]` of the bytes it writes. Anything else is JSON.
enum ObjectCoding {
    static let headerSize = 8
    private static let json: UInt8 = 0x4A  // "J"
    private static let raw: UInt8 = 0x52  // "R"

    /// Calls `body` with the object form of `value` in two parts, its header and its
    /// payload, so that a large array goes to its destination without an extra copy.
    static func withEncoded<Value: Encodable, Result>(
        _ value: Value, _ body: (_ header: [UInt8], _ payload: UnsafeRawBufferPointer) throws -> Result
    ) throws -> Result {
        if let writable = value as? any WritableObject {
            let bytes = [UInt8](unsafeUninitializedCapacity: writable.byteCount) { buffer, initialized in
                writable.write(into: UnsafeMutableRawBufferPointer(buffer))
                initialized = buffer.count
            }
            return try bytes.withUnsafeBytes { try body(bytesHeader, $0) }
        }
        if let array = value as? any RawArray {
            return try array.withPayload { kind, payload in try body([raw, kind, 0, 0, 0, 0, 0, 0], payload) }
        }
        let json = try JSONEncoder().encode(value)
        return try json.withUnsafeBytes { try body([self.json, 0, 0, 0, 0, 0, 0, 0], $0) }
    }

    /// The header of a `[UInt8]` object.
    static let bytesHeader: [UInt8] = [raw, UInt8.kind, 0, 0, 0, 0, 0, 0]

    /// The value stored in `bytes`.
    /// - Throws: `RuntimeError.malformedObject` when the bytes are not an object of `Value`.
    static func decode<Value: Decodable>(_: Value.Type, from bytes: UnsafeRawBufferPointer) throws -> Value {
        guard bytes.count >= headerSize else {
            throw RuntimeError.malformedObject("\(bytes.count) bytes are too few for an object header")
        }
        if let type = Value.self as? any WritableObject.Type {
            // Invariant: `type` is `Value.self`.
            return try type.init(storedBytes: try [UInt8](objectBytes: bytes)) as! Value
        }
        if let type = Value.self as? any RawArray.Type {
            // Invariant: `type` is `Value.self`.
            return try type.init(objectBytes: bytes) as! Value
        }
        guard bytes[0] == json else {
            throw RuntimeError.malformedObject("a \(describe(bytes)) object cannot be read as \(Value.self)")
        }
        do {
            return try JSONDecoder().decode(Value.self, from: Data(bytes[headerSize...]))
        } catch {
            throw RuntimeError.malformedObject("the object does not decode as \(Value.self): \(error)")
        }
    }

    /// The elements of a raw-array object in place, checked against `Element`.
    static func elements<Element: BitwiseCopyable>(_: Element.Type, in bytes: UnsafeRawBufferPointer) throws
        -> UnsafeBufferPointer<Element>
    {
        guard let kind = (Element.self as? any RawElement.Type)?.kind else {
            throw RuntimeError.malformedObject("\(Element.self) is not a raw element type")
        }
        guard bytes.count >= headerSize, bytes[0] == raw, bytes[1] == kind,
            (bytes.count - headerSize) % MemoryLayout<Element>.stride == 0
        else {
            throw RuntimeError.malformedObject("a \(describe(bytes)) object is not an array of \(Element.self)")
        }
        let start = bytes.baseAddress!.advanced(by: headerSize)  // Invariant: count >= headerSize > 0.
        return UnsafeBufferPointer(
            start: start.assumingMemoryBound(to: Element.self),
            count: (bytes.count - headerSize) / MemoryLayout<Element>.stride)
    }

    private static func describe(_ bytes: UnsafeRawBufferPointer) -> String {
        switch bytes.first {
        case json: "JSON"
        case raw: "raw array (element kind \(bytes[1]))"
        default: "unknown-format"
        }
    }
}

/// A number type stored raw inside objects; `kind` names it in the header.
protocol RawElement: BitwiseCopyable {
    static var kind: UInt8 { get }
}

extension Float: RawElement { static var kind: UInt8 { 1 } }
extension Double: RawElement { static var kind: UInt8 { 2 } }
extension Int32: RawElement { static var kind: UInt8 { 3 } }
extension Int64: RawElement { static var kind: UInt8 { 4 } }
extension Int: RawElement { static var kind: UInt8 { 5 } }
extension UInt8: RawElement { static var kind: UInt8 { 6 } }

/// An array stored as its raw elements.
protocol RawArray {
    /// Calls `body` with the element kind and the elements' bytes.
    func withPayload<Result>(_ body: (UInt8, UnsafeRawBufferPointer) throws -> Result) rethrows -> Result
    init(objectBytes: UnsafeRawBufferPointer) throws
}

extension Array: RawArray where Element: RawElement {
    func withPayload<Result>(_ body: (UInt8, UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        try withUnsafeBytes { try body(Element.kind, $0) }
    }

    init(objectBytes bytes: UnsafeRawBufferPointer) throws {
        self.init(try ObjectCoding.elements(Element.self, in: bytes))
    }
}
