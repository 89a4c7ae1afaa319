/// Snappy's block format, written by Flock (no library needed): a varint of the
/// uncompressed length, then literals and back-references. The decoder checks every
/// length and offset against what it has, so corrupt input is an error, never a crash.
enum Snappy {
    /// The bytes `compressed` stands for; `expected` (from the page header) bounds the output.
    static func decompress(_ compressed: ArraySlice<UInt8>, expected: Int) throws -> [UInt8] {
        var header = ParquetEncodings.Cursor(Array(compressed.prefix(10)))
        let length = try header.varint()
        guard length == UInt64(expected) else {
            throw DataError.malformedParquet("Snappy data of \(length) bytes where the page header says \(expected)")
        }
        return try [UInt8](unsafeUninitializedCapacity: expected) { out, initialized in
            let written = try compressed.withUnsafeBufferPointer { input in
                try decode(input, from: header.position, into: out)
            }
            guard written == expected else {
                throw DataError.malformedParquet("Snappy data decodes to \(written) bytes, not \(expected)")
            }
            initialized = written
        }
    }

    /// Decodes the elements of `input` after the length varint into `out`; returns the
    /// bytes written. Every length and offset is checked before a byte moves.
    private static func decode(
        _ input: UnsafeBufferPointer<UInt8>, from start: Int, into out: UnsafeMutableBufferPointer<UInt8>
    ) throws -> Int {
        var at = start
        var written = 0
        func take(_ count: Int) throws -> Int {
            guard count <= input.count - at else { throw DataError.malformedParquet("Snappy data ends early") }
            var value = 0
            for k in 0..<count { value |= Int(input[at + k]) << (8 * k) }
            at += count
            return value
        }
        while at < input.count {
            let tag = input[at]
            at += 1
            var length: Int
            let offset: Int
            switch tag & 3 {
            case 0:
                length = Int(tag >> 2)
                if length >= 60 { length = try take(length - 59) }
                length += 1
                guard length <= input.count - at, length <= out.count - written else {
                    throw DataError.malformedParquet("a Snappy literal of \(length) bytes overflows")
                }
                if length <= 16 && input.count - at >= 16 && out.count - written >= 16 {
                    // Short literals (most of them): 16 bytes moved as two words; the bytes
                    // past `length` are overwritten by what follows.
                    let source = UnsafeRawPointer(input.baseAddress! + at)
                    let target = UnsafeMutableRawPointer(out.baseAddress! + written)
                    target.storeBytes(of: source.loadUnaligned(as: UInt64.self), as: UInt64.self)
                    (target + 8).storeBytes(of: (source + 8).loadUnaligned(as: UInt64.self), as: UInt64.self)
                } else {
                    (out.baseAddress! + written).update(from: input.baseAddress! + at, count: length)
                }
                at += length
                written += length
                continue
            case 1:
                length = 4 + Int((tag >> 2) & 7)
                guard at < input.count else { throw DataError.malformedParquet("Snappy data ends early") }
                offset = Int(tag >> 5) << 8 | Int(input[at])
                at += 1
            case 2:
                length = Int(tag >> 2) + 1
                guard at + 1 < input.count else { throw DataError.malformedParquet("Snappy data ends early") }
                offset = Int(input[at]) | Int(input[at + 1]) << 8
                at += 2
            default:
                length = Int(tag >> 2) + 1
                offset = try take(4)
            }
            guard offset > 0, offset <= written, length <= out.count - written else {
                throw DataError.malformedParquet("a Snappy copy of \(length) bytes from \(offset) back is out of range")
            }
            let base = out.baseAddress!
            if offset >= 8 && out.count - written >= (length + 7) & ~7 {
                // Eight bytes at a time: each word's source lies at least 8 bytes back, so
                // it is already final even where source and target overlap.
                let raw = UnsafeMutableRawPointer(base)
                var k = 0
                while k < length {
                    let word = raw.loadUnaligned(fromByteOffset: written - offset + k, as: UInt64.self)
                    raw.storeBytes(of: word, toByteOffset: written + k, as: UInt64.self)
                    k += 8
                }
            } else if offset >= length {
                (base + written).update(from: base + written - offset, count: length)
            } else {
                for k in 0..<length { base[written + k] = base[written - offset + k] }
            }
            written += length
        }
        return written
    }

    /// `input` compressed: greedy matching of 4-byte sequences through a hash table.
    static func compress(_ input: [UInt8]) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(input.count / 2 + 16)
        var length = UInt64(input.count)
        while length >= 0x80 {
            output.append(UInt8(length & 0x7F) | 0x80)
            length >>= 7
        }
        output.append(UInt8(length))
        func emitLiteral(_ range: Range<Int>) {
            var start = range.lowerBound
            while start < range.upperBound {
                let count = Swift.min(range.upperBound - start, 65536)
                let n = count - 1
                if n < 60 {
                    output.append(UInt8(n << 2))
                } else if n < 256 {
                    output += [60 << 2, UInt8(n)]
                } else {
                    output += [61 << 2, UInt8(n & 0xFF), UInt8(n >> 8)]
                }
                output.append(contentsOf: input[start..<start + count])
                start += count
            }
        }
        func emitCopy(offset: Int, length: Int) {
            var remaining = length
            while remaining > 0 {
                // Never leave a piece under 4 bytes (the shortest copy is 1 byte, but keep it simple).
                let piece = remaining > 64 ? (remaining - 64 >= 4 ? 64 : 60) : remaining
                output += [UInt8((piece - 1) << 2 | 2), UInt8(offset & 0xFF), UInt8(offset >> 8)]
                remaining -= piece
            }
        }
        guard input.count >= 8 else {
            emitLiteral(0..<input.count)
            return output
        }
        var table = [Int32](repeating: -1, count: 1 << 14)
        func key(_ at: Int) -> Int {
            let word =
                UInt32(input[at]) | UInt32(input[at + 1]) << 8 | UInt32(input[at + 2]) << 16 | UInt32(input[at + 3])
                << 24
            return Int((word &* 0x1E35_A7BD) >> 18)
        }
        var literalStart = 0
        var at = 0
        while at + 4 <= input.count {
            let slot = key(at)
            let candidate = Int(table[slot])
            table[slot] = Int32(at)
            if candidate >= 0, at - candidate <= 65535, input[candidate..<candidate + 4] == input[at..<at + 4] {
                var matched = 4
                while at + matched < input.count && input[candidate + matched] == input[at + matched] { matched += 1 }
                emitLiteral(literalStart..<at)
                emitCopy(offset: at - candidate, length: matched)
                at += matched
                literalStart = at
            } else {
                at += 1
            }
        }
        emitLiteral(literalStart..<input.count)
        return output
    }
}
