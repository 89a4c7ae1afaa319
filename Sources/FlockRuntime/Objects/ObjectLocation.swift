import FlockComm

/// Where an object's bytes are: small objects travel inline in messages; large ones are
/// files of one node's object store (in shared memory, or spilled to disk), which every
/// process of that node maps instead of copying, and processes of other nodes pull first
/// (`ObjectPeers`).
enum ObjectLocation: Equatable, Sendable, Codable {
    /// The object bytes themselves (header included).
    case inline([UInt8])
    /// A file of `size` bytes in the store of node `node` (0: the head's), named by the
    /// object's id.
    case stored(size: Int, node: Int)

    /// The node whose store holds the object (nil: inline).
    var node: Int? {
        if case .stored(_, let node) = self { return node }
        return nil
    }

    /// Objects at most this large travel inline.
    static let inlineLimit = 64 << 10

    /// Appends the location to a message.
    func write(to writer: inout PayloadWriter) {
        switch self {
        case .inline(let bytes):
            writer.integer(UInt8(0))
            writer.data(bytes)
        case .stored(let size, let node):
            writer.integer(UInt8(1))
            writer.integer(UInt64(size))
            writer.integer(UInt32(node))
        }
    }

    /// Reads a location written by `write(to:)`.
    init(from reader: inout PayloadReader, peer: String) throws {
        switch try reader.integer(UInt8.self) {
        case 0: self = .inline(try reader.data())
        case 1:
            let raw = try reader.integer(UInt64.self)
            guard let size = Int(exactly: raw) else {
                throw CommError.badFrame(peer: peer, reason: "object size \(raw) is out of range")
            }
            self = .stored(size: size, node: Int(try reader.integer(UInt32.self)))
        case let tag: throw CommError.badFrame(peer: peer, reason: "unknown object location tag \(tag)")
        }
    }
}
