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

    /// Bits `range` as a bitmap of their own: whole bytes copied when the range starts on
    /// a byte, else each byte assembled from two.
    func slice(_ range: Range<Int>) -> Bitmap {
        var result = Bitmap(count: range.count, value: false)
        let (shift, first) = (range.lowerBound & 7, range.lowerBound >> 3)
        bytes.withUnsafeBufferPointer { source in
            result.bytes.withUnsafeMutableBufferPointer { target in
                for b in target.indices {
                    let low = source[first + b] >> UInt8(shift)
                    let high = shift > 0 && first + b + 1 < source.count ? source[first + b + 1] << UInt8(8 - shift) : 0
                    target[b] = low | high
                }
                if range.count % 8 != 0 { target[target.count - 1] &= UInt8((1 << (range.count % 8)) - 1) }
            }
        }
        return result
    }

    /// The indices of the set bits, in order, as row numbers.
    func setIndices() -> [Int32] {
        var indices: [Int32] = []
        indices.reserveCapacity(setCount)
        bytes.withUnsafeBufferPointer { bytes in
            for (b, byte) in bytes.enumerated() {
                var rest = byte
                while rest != 0 {
                    indices.append(Int32(b << 3 + rest.trailingZeroBitCount))
                    rest &= rest - 1
                }
            }
        }
        return indices
    }
}
