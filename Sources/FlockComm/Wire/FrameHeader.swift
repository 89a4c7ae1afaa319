/// The fixed 40-byte header in front of every message Flock sends: handshakes, store
/// requests and collective data alike. Little-endian fields:
///
///     magic u32 ("FLK1") | kind u8 | opcode u8 | dtype u8 | reduce u8 |
///     sequence u64 | count u64 | root i64 | length u64 (payload bytes that follow)
///
/// Collective messages carry the whole operation's description (opcode, dtype, reduce op,
/// element count, root, sequence number), so a receiver checks every message against
/// the call it is running and reports a mismatch instead of mixing data.
package struct FrameHeader: Equatable, Sendable {
    package static let size = 40
    package static let magic: UInt32 = 0x314B_4C46  // "FLK1" read little-endian

    /// What a frame is.
    package enum Kind: UInt8, Sendable {
        case hello = 1
        case authenticate, accept, reject
        case storeRequest = 10
        case storeResponse
        case collective = 20
        case runtime = 30
    }

    package var kind: Kind
    package var opcode: UInt8
    package var dtype: UInt8
    package var reduce: UInt8
    package var sequence: UInt64
    package var count: UInt64
    package var root: Int64
    package var length: UInt64

    /// A header of `kind`; the other fields default to 0.
    package init(
        kind: Kind, opcode: UInt8 = 0, dtype: UInt8 = 0, reduce: UInt8 = 0, sequence: UInt64 = 0, count: UInt64 = 0,
        root: Int64 = 0, length: UInt64 = 0
    ) {
        self.kind = kind
        self.opcode = opcode
        self.dtype = dtype
        self.reduce = reduce
        self.sequence = sequence
        self.count = count
        self.root = root
        self.length = length
    }

    /// The 40 bytes on the wire.
    package func encoded() -> [UInt8] {
        var bytes = [UInt8]()
        bytes.reserveCapacity(Self.size)
        func put<T: FixedWidthInteger>(_ value: T) {
            withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
        }
        put(Self.magic)
        bytes += [kind.rawValue, opcode, dtype, reduce]
        put(sequence)
        put(count)
        put(root)
        put(length)
        return bytes
    }

    /// Parses 40 bytes, checking the magic, the kind and that the payload is at most
    /// `maxLength` bytes (so a bad length never makes us allocate gigabytes).
    package static func decode(_ bytes: UnsafeRawBufferPointer, maxLength: UInt64, peer: String) throws -> FrameHeader {
        precondition(bytes.count >= size)  // Invariant: callers read exactly `size` bytes.
        func get<T: FixedWidthInteger>(_: T.Type, _ offset: Int) -> T {
            T(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: T.self))
        }
        let magic = get(UInt32.self, 0)
        guard magic == Self.magic else {
            throw CommError.badFrame(
                peer: peer, reason: "bad magic 0x\(String(magic, radix: 16)) (not a Flock peer, or a corrupted stream)")
        }
        guard let kind = Kind(rawValue: bytes[4]) else {
            throw CommError.badFrame(peer: peer, reason: "unknown frame kind \(bytes[4])")
        }
        let header = FrameHeader(
            kind: kind, opcode: bytes[5], dtype: bytes[6], reduce: bytes[7], sequence: get(UInt64.self, 8),
            count: get(UInt64.self, 16), root: get(Int64.self, 24), length: get(UInt64.self, 32))
        guard header.length <= maxLength else {
            throw CommError.badFrame(
                peer: peer,
                reason: "a frame of kind \(kind) announces \(header.length) bytes, over the limit of \(maxLength)")
        }
        return header
    }
}
