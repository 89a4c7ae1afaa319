import FlockComm

/// The runtime's task messages between head and workers, as frames of kind `.runtime`
/// whose opcode says which message it is. Batches carry many tasks or results in one
/// frame: per-task frames would cap throughput at the frame rate.
enum TaskMessage: Equatable {
    /// worker -> head: ready to run tasks.
    case workerReady(index: Int)
    /// head -> worker: tasks to run (id, registered name, encoded task).
    case tasks([(id: UInt64, name: String, bytes: [UInt8])])
    /// worker -> head: outcomes (id, success, encoded output or error text).
    case results([(id: UInt64, succeeded: Bool, bytes: [UInt8])])

    private enum Opcode: UInt8 {
        case workerReady = 1
        case tasks
        case results
    }

    /// The frame carrying this message.
    var frame: Frame {
        var writer = PayloadWriter()
        let opcode: Opcode
        switch self {
        case .workerReady(let index):
            opcode = .workerReady
            writer.integer(UInt32(index))
        case .tasks(let tasks):
            opcode = .tasks
            writer.integer(UInt32(tasks.count))
            for task in tasks {
                writer.integer(task.id)
                writer.string(task.name)
                writer.data(task.bytes)
            }
        case .results(let results):
            opcode = .results
            writer.integer(UInt32(results.count))
            for result in results {
                writer.integer(result.id)
                writer.integer(UInt8(result.succeeded ? 1 : 0))
                writer.data(result.bytes)
            }
        }
        return Frame(FrameHeader(kind: .runtime, opcode: opcode.rawValue), payload: writer.bytes)
    }

    /// Parses a frame.
    /// - Throws: `CommError.badFrame` for another kind, an unknown opcode or a malformed payload.
    init(_ frame: Frame, peer: String) throws {
        guard frame.header.kind == .runtime, let opcode = Opcode(rawValue: frame.header.opcode) else {
            throw CommError.badFrame(
                peer: peer, reason: "not a runtime message: \(frame.header.kind) opcode \(frame.header.opcode)")
        }
        var reader = PayloadReader(frame.payload, peer: peer)
        switch opcode {
        case .workerReady:
            self = .workerReady(index: Int(try reader.integer(UInt32.self)))
        case .tasks:
            let count = try Self.count(&reader, entryBytes: 16, frame: frame, peer: peer)
            self = .tasks(
                try (0..<count).map { _ in
                    (try reader.integer(UInt64.self), try reader.string(), try reader.data())
                })
        case .results:
            let count = try Self.count(&reader, entryBytes: 13, frame: frame, peer: peer)
            self = .results(
                try (0..<count).map { _ in
                    (try reader.integer(UInt64.self), try reader.integer(UInt8.self) != 0, try reader.data())
                })
        }
        try reader.finish()
    }

    /// A batch's entry count, refused when the payload could not hold that many entries
    /// of at least `entryBytes` (so a bad count never makes us reserve memory for it).
    private static func count(_ reader: inout PayloadReader, entryBytes: Int, frame: Frame, peer: String) throws -> Int
    {
        let count = Int(try reader.integer(UInt32.self))
        guard count <= frame.payload.count / entryBytes else {
            throw CommError.badFrame(
                peer: peer, reason: "a batch announces \(count) entries in \(frame.payload.count) bytes")
        }
        return count
    }

    static func == (lhs: TaskMessage, rhs: TaskMessage) -> Bool { lhs.frame == rhs.frame }
}
