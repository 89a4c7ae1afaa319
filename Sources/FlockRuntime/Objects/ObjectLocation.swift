import FlockComm

/// Where an object's bytes are: small objects travel inline in messages; large ones are
/// files of the node's object store (in shared memory, or spilled to disk), which every
/// process of the node maps instead of copying.
enum ObjectLocation: Equatable, Sendable, Codable {
    /// The object bytes themselves (header included).
    case inline([UInt8])
    /// A file of `size` bytes in the store, named by the object's id.
    case stored(size: Int)

    /// Objects at most this large travel inline.
    static let inlineLimit = 64 << 10

    /// Appends the location to a message.
    func write(to writer: inout PayloadWriter) {
        switch self {
        case .inline(let bytes):
            writer.integer(UInt8(0))
            writer.data(bytes)
        case .stored(let size):
            writer.integer(UInt8(1))
            writer.integer(UInt64(size))
        }
    }

    /// Reads a location written by `write(to:)`.
    init(from reader: inout PayloadReader, peer: String) throws {
        switch try reader.integer(UInt8.self) {
        case 0: self = .inline(try reader.data())
        case 1: self = .stored(size: Int(try reader.integer(UInt64.self)))
        case let tag: throw CommError.badFrame(peer: peer, reason: "unknown object location tag \(tag)")
        }
    }
}
