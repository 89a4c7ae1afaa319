import FlockComm
import Foundation

/// A task as the head hands it to a worker: its id (also the id of its result object),
/// registered name, encoded value, where each of its existing input objects is, and the
/// inputs it awaits that tasks on the same worker are making (`HeldTasks`).
struct TaskAssignment: Equatable, Sendable {
    let id: UInt64
    let name: String
    let bytes: [UInt8]
    let arguments: [UInt64: ObjectLocation]
    var awaiting: [UInt64] = []
}

/// How a task ended, as a worker reports it.
enum TaskOutcome: Equatable, Sendable {
    /// Its result object, inline or written to the node's store.
    case value(ObjectLocation)
    /// It threw; the text is its error's description.
    case failed(String)
    /// It stopped because the head cancelled it.
    case cancelled
    /// It did not run: an input it awaited on this worker failed.
    case inputFailed
    /// The worker could not hold it: an input it was to await here had already finished
    /// (the head takes it back and places it again).
    case notHeld
    /// It did not run: an input could not be pulled from the node holding it (the node
    /// died); the head tries again once the input is rebuilt or found.
    case inputUnreachable(String)
    /// It had not started when the head asked for it back (work stealing): the head
    /// places it again, on an idle worker.
    case returned

    /// Whether the head places the task again (it did not run, through no fault of its own).
    var placesAgain: Bool {
        switch self {
        case .notHeld, .inputUnreachable, .returned: true
        case .value, .failed, .cancelled, .inputFailed: false
        }
    }
}

/// The runtime's task messages between head and workers, as frames of kind `.runtime`
/// whose opcode says which message it is. Batches carry many tasks or results in one
/// frame: per-task frames would cap throughput at the frame rate.
enum TaskMessage: Equatable {
    /// worker -> head: ready to run tasks on node `node`, offering these resources.
    case workerReady(index: Int, node: Int, resources: Resources)
    /// head -> worker: tasks to run.
    case tasks([TaskAssignment])
    /// worker -> head: outcomes of tasks, by id.
    case results([(id: UInt64, outcome: TaskOutcome)])
    /// head -> worker: stop these tasks.
    case cancel([UInt64])
    /// worker -> head, twice a second: still alive (the head drops a worker that goes silent).
    case heartbeat
    /// head -> worker: where each node's object server listens ("host:port").
    case nodes([Int: String])
    /// head -> worker: hand back those of these tasks that have not started (work
    /// stealing: another worker is idle).
    case steal([UInt64])

    private enum Opcode: UInt8 {
        case workerReady = 1
        case tasks
        case results
        case cancel
        case heartbeat
        case nodes
        case steal
    }

    /// The frame carrying this message.
    var frame: Frame {
        var writer = PayloadWriter()
        let opcode: Opcode
        switch self {
        case .workerReady(let index, let node, let resources):
            opcode = .workerReady
            writer.integer(UInt32(index))
            writer.integer(UInt32(node))
            writer.string(resources.json)
        case .tasks(let tasks):
            opcode = .tasks
            writer.integer(UInt32(tasks.count))
            for task in tasks {
                writer.integer(task.id)
                writer.string(task.name)
                writer.data(task.bytes)
                writer.integer(UInt32(task.arguments.count))
                for (id, location) in task.arguments.sorted(by: { $0.key < $1.key }) {
                    writer.integer(id)
                    location.write(to: &writer)
                }
                writer.ids(task.awaiting)
            }
        case .results(let results):
            opcode = .results
            writer.integer(UInt32(results.count))
            for result in results {
                writer.integer(result.id)
                switch result.outcome {
                case .value(let location):
                    writer.integer(UInt8(0))
                    location.write(to: &writer)
                case .failed(let reason):
                    writer.integer(UInt8(1))
                    writer.string(reason)
                case .cancelled:
                    writer.integer(UInt8(2))
                case .inputFailed:
                    writer.integer(UInt8(3))
                case .notHeld:
                    writer.integer(UInt8(4))
                case .inputUnreachable(let reason):
                    writer.integer(UInt8(5))
                    writer.string(reason)
                case .returned:
                    writer.integer(UInt8(6))
                }
            }
        case .cancel(let ids):
            opcode = .cancel
            writer.ids(ids)
        case .heartbeat:
            opcode = .heartbeat
        case .nodes(let table):
            opcode = .nodes
            writer.integer(UInt32(table.count))
            for (node, address) in table.sorted(by: { $0.key < $1.key }) {
                writer.integer(UInt32(node))
                writer.string(address)
            }
        case .steal(let ids):
            opcode = .steal
            writer.ids(ids)
        }
        return Frame(runtime: opcode.rawValue, payload: writer.bytes)
    }

    /// Parses a frame.
    /// - Throws: `CommError.badFrame` for another kind, an unknown opcode or a malformed payload.
    init(_ frame: Frame, peer: String) throws {
        let opcode = try frame.runtimeOpcode(Opcode.self, expected: "a runtime message", peer: peer)
        var reader = PayloadReader(frame.payload, peer: peer)
        switch opcode {
        case .workerReady:
            let index = Int(try reader.integer(UInt32.self))
            let node = Int(try reader.integer(UInt32.self))
            let bytes = try reader.data()
            guard let resources = try? JSONDecoder().decode(Resources.self, from: Data(bytes)) else {
                throw CommError.badFrame(peer: peer, reason: "a worker offered resources that do not decode")
            }
            self = .workerReady(index: index, node: node, resources: resources)
        case .tasks:
            let count = try reader.listCount(entryBytes: 24, in: frame, peer: peer)
            self = .tasks(
                try (0..<count).map { _ in
                    let (id, name, bytes) = (try reader.integer(UInt64.self), try reader.string(), try reader.data())
                    let arguments = try reader.listCount(entryBytes: 9, in: frame, peer: peer)
                    var locations: [UInt64: ObjectLocation] = [:]
                    for _ in 0..<arguments {
                        let argument = try reader.integer(UInt64.self)
                        locations[argument] = try ObjectLocation(from: &reader, peer: peer)
                    }
                    let awaiting = try reader.ids(in: frame, peer: peer)
                    return TaskAssignment(
                        id: id, name: name, bytes: bytes, arguments: locations, awaiting: awaiting)
                })
        case .results:
            let count = try reader.listCount(entryBytes: 9, in: frame, peer: peer)
            self = .results(
                try (0..<count).map { _ in
                    let id = try reader.integer(UInt64.self)
                    switch try reader.integer(UInt8.self) {
                    case 0: return (id, .value(try ObjectLocation(from: &reader, peer: peer)))
                    case 1: return (id, .failed(try reader.string()))
                    case 2: return (id, .cancelled)
                    case 3: return (id, .inputFailed)
                    case 4: return (id, .notHeld)
                    case 5: return (id, .inputUnreachable(try reader.string()))
                    case 6: return (id, .returned)
                    case let tag: throw CommError.badFrame(peer: peer, reason: "unknown task outcome tag \(tag)")
                    }
                })
        case .cancel:
            self = .cancel(try reader.ids(in: frame, peer: peer))
        case .heartbeat:
            self = .heartbeat
        case .nodes:
            var table: [Int: String] = [:]
            for _ in 0..<(try reader.listCount(entryBytes: 8, in: frame, peer: peer)) {
                table[Int(try reader.integer(UInt32.self))] = try reader.string()
            }
            self = .nodes(table)
        case .steal:
            self = .steal(try reader.ids(in: frame, peer: peer))
        }
        try reader.finish()
    }

    static func == (lhs: TaskMessage, rhs: TaskMessage) -> Bool { lhs.frame == rhs.frame }
}

extension PayloadWriter {
    /// Appends a list of ids (object or task), count first.
    mutating func ids(_ ids: [UInt64]) {
        integer(UInt32(ids.count))
        for id in ids { integer(id) }
    }
}

extension PayloadReader {
    /// Reads a list written by `PayloadWriter.ids`.
    mutating func ids(in frame: Frame, peer: String) throws -> [UInt64] {
        try (0..<listCount(entryBytes: 8, in: frame, peer: peer)).map { _ in try integer(UInt64.self) }
    }

    /// A list's entry count, refused when the frame's payload could not hold that many
    /// entries of at least `entryBytes` (so a bad count never makes us reserve memory).
    mutating func listCount(entryBytes: Int, in frame: Frame, peer: String) throws -> Int {
        let count = Int(try integer(UInt32.self))
        guard count <= frame.payload.count / entryBytes else {
            throw CommError.badFrame(
                peer: peer, reason: "a list announces \(count) entries in \(frame.payload.count) bytes")
        }
        return count
    }
}
