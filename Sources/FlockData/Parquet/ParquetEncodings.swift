/// Parquet's value and level encodings, decoded from untrusted bytes (every read is bounds
/// checked; counts come from headers and are checked against the bytes there are) and
/// encoded for the writer.
enum ParquetEncodings {
    /// A cursor over one page's bytes.
    struct Cursor {
        let bytes: [UInt8]
        var position: Int
        let end: Int

        init(_ bytes: [UInt8], from start: Int = 0, to end: Int? = nil) {
            self.bytes = bytes
            position = start
            self.end = Swift.min(end ?? bytes.count, bytes.count)
        }

        var remaining: Int { end - position }

        mutating func byte() throws -> UInt8 {
            guard position < end else { throw DataError.malformedParquet("a page ends early") }
            defer { position += 1 }
            return bytes[position]
        }

        mutating func take(_ count: Int) throws -> ArraySlice<UInt8> {
            guard count >= 0, count <= remaining else {
                throw DataError.malformedParquet("a page needs \(count) more bytes, has \(remaining)")
            }
            defer { position += count }
            return bytes[position..<position + count]
        }

        mutating func littleEndian32() throws -> UInt32 {
            let raw = try take(4)
            return raw.enumerated().reduce(0) { $0 | UInt32($1.element) << (8 * UInt32($1.offset)) }
        }

        mutating func varint() throws -> UInt64 {
            var result: UInt64 = 0
            for shift in stride(from: 0, to: 64, by: 7) {
                let next = try byte()
                result |= UInt64(next & 0x7F) << UInt64(shift)
                if next & 0x80 == 0 { return result }
            }
            throw DataError.malformedParquet("a varint is longer than 10 bytes")
        }

        mutating func zigzag() throws -> Int64 {
            let raw = try varint()
            return Int64(bitPattern: (raw >> 1) ^ (0 &- (raw & 1)))
        }
    }

    /// `value`'s bytes, least significant first (Parquet's byte order everywhere).
    static func littleEndian<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
        (0..<(T.bitWidth / 8)).map { UInt8(truncatingIfNeeded: value >> T(8 * $0)) }
    }

    // MARK: - RLE / bit-packed hybrid

    /// `count` values of `bitWidth` bits from RLE/bit-packed hybrid runs at the cursor.
    static func decodeHybrid(_ cursor: inout Cursor, bitWidth: Int, count: Int) throws -> [UInt32] {
        guard (0...32).contains(bitWidth) else { throw DataError.malformedParquet("a bit width of \(bitWidth)") }
        var values: [UInt32] = []
        values.reserveCapacity(count)
        let byteWidth = (bitWidth + 7) / 8
        while values.count < count {
            let header = try cursor.varint()
            if header & 1 == 0 {
                let run = Int(clamping: header >> 1)
                guard run > 0 else { throw DataError.malformedParquet("an empty RLE run") }
                let raw = try cursor.take(byteWidth)
                let value = raw.enumerated().reduce(UInt32(0)) { $0 | UInt32($1.element) << (8 * UInt32($1.offset)) }
                values.append(contentsOf: repeatElement(value, count: Swift.min(run, count - values.count)))
            } else {
                let groups = Int(clamping: header >> 1)
                guard groups > 0, groups <= cursor.remaining + 1 else {
                    throw DataError.malformedParquet("a bit-packed run of \(groups) groups")
                }
                let packed = try cursor.take(Swift.min(groups * bitWidth, cursor.remaining))
                let wanted = Swift.min(groups * 8, count - values.count)
                values.append(contentsOf: unpack(packed, bitWidth: bitWidth, count: wanted))
            }
        }
        return values
    }

    /// `count` little-endian bit-packed values (LSB first) from `bytes` (missing bits read 0).
    static func unpack(_ bytes: ArraySlice<UInt8>, bitWidth: Int, count: Int) -> [UInt32] {
        guard bitWidth > 0 else { return [UInt32](repeating: 0, count: count) }
        let mask: UInt64 = bitWidth == 32 ? 0xFFFF_FFFF : (1 << UInt64(bitWidth)) - 1
        return [UInt32](unsafeUninitializedCapacity: count) { out, initialized in
            bytes.withUnsafeBufferPointer { input in
                let n = input.count
                // Value i starts at bit i * bitWidth; while 8 bytes remain from its first
                // byte, one unaligned word holds all of it (bitWidth + 7 <= 39 bits).
                let fast = n >= 8 ? Swift.min(count, (n - 8) * 8 / bitWidth + 1) : 0
                if let base = input.baseAddress {
                    let raw = UnsafeRawPointer(base)
                    for i in 0..<fast {
                        let bit = i * bitWidth
                        let word = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: bit >> 3, as: UInt64.self))
                        out[i] = UInt32(truncatingIfNeeded: (word >> UInt64(bit & 7)) & mask)
                    }
                }
                // The tail, a byte at a time (missing bytes read 0).
                for i in fast..<count {
                    let bit = i * bitWidth
                    var word: UInt64 = 0
                    for k in 0..<8 where (bit >> 3) + k < n { word |= UInt64(input[(bit >> 3) + k]) << UInt64(8 * k) }
                    out[i] = UInt32(truncatingIfNeeded: (word >> UInt64(bit & 7)) & mask)
                }
            }
            initialized = count
        }
    }

    /// Whether the hybrid runs at the cursor start with one RLE run of `value` covering
    /// `count` values (levels of a column with no nulls): then nothing needs decoding.
    static func isSingleRun(_ cursor: Cursor, of value: UInt32, count: Int, bitWidth: Int) -> Bool {
        var probe = cursor
        guard let header = try? probe.varint(), header & 1 == 0, header >> 1 >= UInt64(count),
            let raw = try? probe.take((bitWidth + 7) / 8)
        else { return false }
        return raw.enumerated().reduce(UInt32(0)) { $0 | UInt32($1.element) << (8 * UInt32($1.offset)) } == value
    }

    /// `values` as RLE/bit-packed hybrid runs: runs of 8 or more equal values as RLE, the
    /// rest bit-packed in groups of 8 (the last padded with zeros).
    static func encodeHybrid(_ values: [UInt32], bitWidth: Int) -> [UInt8] {
        var out: [UInt8] = []
        func varint(_ value: Int) {
            var value = UInt64(value)
            while value >= 0x80 {
                out.append(UInt8(value & 0x7F) | 0x80)
                value >>= 7
            }
            out.append(UInt8(value))
        }
        let byteWidth = (bitWidth + 7) / 8
        func runLength(at start: Int) -> Int {
            var end = start + 1
            while end < values.count && values[end] == values[start] { end += 1 }
            return end - start
        }
        var i = 0
        while i < values.count {
            let run = runLength(at: i)
            if run >= 8 {
                varint(run << 1)
                for k in 0..<byteWidth { out.append(UInt8(truncatingIfNeeded: values[i] >> UInt32(8 * k))) }
                i += run
                continue
            }
            // Bit-pack groups of 8 until the input ends or a long run starts.
            var end = i + 8
            while end < values.count && runLength(at: end) < 8 { end += 8 }
            let groups = (end - i) / 8
            varint(groups << 1 | 1)
            var packed = [UInt8](repeating: 0, count: groups * bitWidth)
            for j in 0..<(groups * 8) where i + j < values.count {
                let value = UInt64(values[i + j])
                let bit = j * bitWidth
                for k in 0..<((bit % 8 + bitWidth + 7) / 8) {
                    packed[bit / 8 + k] |= UInt8(truncatingIfNeeded: (value << UInt64(bit % 8)) >> UInt64(8 * k))
                }
            }
            out += packed
            i = Swift.min(end, values.count)
        }
        return out
    }

    // MARK: - Delta encodings

    /// The integers of a DELTA_BINARY_PACKED block sequence at the cursor.
    static func decodeDeltaBinaryPacked(_ cursor: inout Cursor) throws -> [Int64] {
        let blockSize = Int(clamping: try cursor.varint())
        let miniblocks = Int(clamping: try cursor.varint())
        let total = Int(clamping: try cursor.varint())
        var previous = try cursor.zigzag()
        guard blockSize > 0, blockSize % 128 == 0, miniblocks > 0, blockSize % miniblocks == 0,
            (blockSize / miniblocks) % 32 == 0, total <= cursor.remaining * 64 + 1
        else {
            throw DataError.malformedParquet(
                "a delta header with block \(blockSize), miniblocks \(miniblocks), \(total) values")
        }
        let perMiniblock = blockSize / miniblocks
        var values: [Int64] = []
        values.reserveCapacity(total)
        if total > 0 { values.append(previous) }
        while values.count < total {
            let minimumDelta = try cursor.zigzag()
            let widths = try cursor.take(miniblocks)
            for width in widths where values.count < total {
                guard width <= 64 else { throw DataError.malformedParquet("a miniblock bit width of \(width)") }
                let packed = try cursor.take(Swift.min(perMiniblock * Int(width) / 8, cursor.remaining))
                for delta in unpack64(
                    packed, bitWidth: Int(width), count: Swift.min(perMiniblock, total - values.count))
                {
                    previous = previous &+ minimumDelta &+ Int64(bitPattern: delta)
                    values.append(previous)
                }
            }
        }
        return values
    }

    private static func unpack64(_ bytes: ArraySlice<UInt8>, bitWidth: Int, count: Int) -> [UInt64] {
        guard bitWidth > 0 else { return [UInt64](repeating: 0, count: count) }
        let base = bytes.startIndex
        return (0..<count).map { i in
            var value: UInt64 = 0
            for b in 0..<bitWidth {
                let bit = i * bitWidth + b
                guard bit / 8 < bytes.count else { break }
                value |= UInt64((bytes[base + bit / 8] >> UInt8(bit % 8)) & 1) << UInt64(b)
            }
            return value
        }
    }

    /// Byte strings as offsets and bytes: the dense form of BYTE_ARRAY values.
    struct Strings {
        var offsets: [Int32] = [0]
        var bytes: [UInt8] = []
        var count: Int { offsets.count - 1 }

        mutating func append<C: Collection>(_ value: C) throws where C.Element == UInt8 {
            guard bytes.count + value.count <= Int(Int32.max) else {
                throw DataError.malformedParquet("a column chunk holds more than 2 GiB of text")
            }
            bytes.append(contentsOf: value)
            offsets.append(Int32(bytes.count))
        }

        subscript(i: Int) -> ArraySlice<UInt8> { bytes[Int(offsets[i])..<Int(offsets[i + 1])] }
    }

    /// `count` PLAIN byte arrays (4-byte length, then bytes) at the cursor.
    static func decodePlainStrings(_ cursor: inout Cursor, count: Int, into strings: inout Strings) throws {
        for _ in 0..<count { try strings.append(try cursor.take(Int(try cursor.littleEndian32()))) }
    }

    /// DELTA_LENGTH_BYTE_ARRAY: delta-packed lengths, then the bytes.
    static func decodeDeltaLengthStrings(_ cursor: inout Cursor, count: Int, into strings: inout Strings) throws {
        let lengths = try decodeDeltaBinaryPacked(&cursor)
        guard lengths.count >= count else {
            throw DataError.malformedParquet("\(lengths.count) lengths for \(count) strings")
        }
        for length in lengths.prefix(count) {
            guard length >= 0 else { throw DataError.malformedParquet("a negative string length") }
            try strings.append(try cursor.take(Int(length)))
        }
    }

    /// DELTA_BYTE_ARRAY: delta-packed prefix lengths, then suffixes as DELTA_LENGTH_BYTE_ARRAY.
    static func decodeDeltaStrings(_ cursor: inout Cursor, count: Int, into strings: inout Strings) throws {
        let prefixes = try decodeDeltaBinaryPacked(&cursor)
        var suffixes = Strings()
        try decodeDeltaLengthStrings(&cursor, count: count, into: &suffixes)
        guard prefixes.count >= count else {
            throw DataError.malformedParquet("\(prefixes.count) prefixes for \(count) strings")
        }
        var previous: [UInt8] = []
        for i in 0..<count {
            guard prefixes[i] >= 0, prefixes[i] <= previous.count else {
                throw DataError.malformedParquet(
                    "a prefix of \(prefixes[i]) bytes after a \(previous.count)-byte string")
            }
            let value = Array(previous.prefix(Int(prefixes[i]))) + suffixes[i]
            try strings.append(value)
            previous = value
        }
    }
}
