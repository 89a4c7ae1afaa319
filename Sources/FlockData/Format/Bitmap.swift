/// Bits in Arrow's order: bit i is bit (i % 8) of byte i / 8, least significant first.
/// Validity bitmaps (1: the value is present) and boolean values use it.
public struct Bitmap: Sendable, Equatable {
    /// The packed bytes (the bits past `count` are zero).
    public internal(set) var bytes: [UInt8]
    /// How many bits it holds.
    public let count: Int

    /// `count` bits, all `value`.
    public init(count: Int, value: Bool) {
        self.count = count
        bytes = [UInt8](repeating: value ? 0xFF : 0, count: (count + 7) / 8)
        if value, count % 8 != 0 { bytes[bytes.count - 1] = UInt8((1 << (count % 8)) - 1) }
    }

    /// The bits of `values`.
    public init(_ values: [Bool]) {
        self.init(count: values.count, value: false)
        for (index, value) in values.enumerated() where value { bytes[index >> 3] |= 1 << UInt8(index & 7) }
    }

    /// Bits read from `bytes` (Arrow buffers may be longer than needed).
    /// - Throws: `DataError.malformedColumn` when `bytes` holds fewer than `count` bits.
    public init(bytes: [UInt8], count: Int) throws {
        guard count >= 0, bytes.count >= (count + 7) / 8 else {
            throw DataError.malformedColumn(
                "a bitmap of \(count) bits needs \((count + 7) / 8) bytes, got \(bytes.count)")
        }
        self.count = count
        self.bytes = Array(bytes.prefix((count + 7) / 8))
        if count % 8 != 0 { self.bytes[self.bytes.count - 1] &= UInt8((1 << (count % 8)) - 1) }
    }

    /// Bit `index`.
    public subscript(index: Int) -> Bool { bytes[index >> 3] & (1 << UInt8(index & 7)) != 0 }

    /// How many bits are set.
    public var setCount: Int { bytes.reduce(0) { $0 + $1.nonzeroBitCount } }
}
