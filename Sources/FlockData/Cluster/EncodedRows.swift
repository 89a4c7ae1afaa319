import FlockRuntime

/// A stage task's rows as its result object: encoded by `BatchCoding` straight into the
/// object store's memory when the worker stores it (no buffer of the bytes first), and
/// read back in place as those bytes (`ObjectRef.asBytes`).
public struct EncodedRows: WritableObject {
    /// What the object holds.
    enum Content: Sendable {
        /// One batch (`BatchCoding.encode(_:)`), written from its parts.
        case batch(BatchParts)
        /// One piece per reducer (`BatchCoding.encode(pieces:)`), each from its parts.
        case pieces([BatchParts])
        /// The bytes themselves, as read back from the store.
        case stored([UInt8])
    }

    let content: Content

    /// Rows to encode when stored.
    init(_ content: Content) { self.content = content }

    /// The bytes read back from the store.
    public init(storedBytes stored: [UInt8]) { content = .stored(stored) }

    /// Decodes the bytes (as a `[UInt8]`).
    public init(from decoder: Decoder) throws { content = .stored(try [UInt8](from: decoder)) }

    /// Encodes the bytes (as a `[UInt8]`).
    public func encode(to encoder: Encoder) throws { try bytes.encode(to: encoder) }

    /// How many bytes the encoding takes.
    public var byteCount: Int {
        switch content {
        case .batch(let batch): batch.byteCount
        case .pieces(let pieces): BatchCoding.size(of: pieces)
        case .stored(let bytes): bytes.count
        }
    }

    /// Writes the encoding into `target`.
    public func write(into target: UnsafeMutableRawBufferPointer) {
        var sink = ByteSink(target)
        switch content {
        case .batch(let batch): BatchCoding.write(batch, into: &sink)
        case .pieces(let pieces): BatchCoding.write(pieces: pieces, into: &sink)
        case .stored(let bytes): sink.append(bytes)
        }
        _ = sink.finished()
    }

    /// The encoded bytes.
    public var bytes: [UInt8] {
        if case .stored(let bytes) = content { return bytes }
        return [UInt8](unsafeUninitializedCapacity: byteCount) { buffer, initialized in
            write(into: UnsafeMutableRawBufferPointer(buffer))
            initialized = buffer.count
        }
    }
}
