import FlockComm

/// The runtime's actor messages, frames of kind `.runtime` with opcodes 16-20 (task
/// messages use 1-5, driver messages 32). Calls and replies flow driver <-> head <-> worker; the
/// head routes them by actor id and renumbers calls it forwards.
enum ActorMessage: Equatable {
    /// head -> worker: create an actor of the registered type `type` under id `actor`.
    case spawn(actor: UInt64, type: String)
    /// worker -> head: the actor exists (or could not be made: `error`).
    case spawned(actor: UInt64, error: String?)
    /// A call of `target` (the compiler's name of a distributed method) on `actor`, with
    /// its generic substitutions (mangled type names) and encoded arguments.
    case call(id: UInt64, actor: UInt64, target: String, generics: [String], arguments: [[UInt8]])
    /// The outcome of call `id`: the encoded return value, or the error's description.
    case reply(id: UInt64, succeeded: Bool, bytes: [UInt8])
    /// head -> worker: end `actor` (killed: it is not made again).
    case stop(actor: UInt64)

    private enum Opcode: UInt8 {
        case spawn = 16
        case spawned
        case call
        case reply
        case stop
    }

    /// Whether `frame` carries an actor message (rather than a task message).
    static func carries(_ frame: Frame) -> Bool {
        frame.header.kind == .runtime && Opcode(rawValue: frame.header.opcode) != nil
    }

    /// The frame carrying this message.
    var frame: Frame {
        var writer = PayloadWriter()
        let opcode: Opcode
        switch self {
        case .spawn(let actor, let type):
            opcode = .spawn
            writer.integer(actor)
            writer.string(type)
        case .spawned(let actor, let error):
            opcode = .spawned
            writer.integer(actor)
            writer.integer(UInt8(error == nil ? 0 : 1))
            writer.string(error ?? "")
        case .call(let id, let actor, let target, let generics, let arguments):
            opcode = .call
            writer.integer(id)
            writer.integer(actor)
            writer.string(target)
            writer.integer(UInt32(generics.count))
            for name in generics { writer.string(name) }
            writer.integer(UInt32(arguments.count))
            for argument in arguments { writer.data(argument) }
        case .reply(let id, let succeeded, let bytes):
            opcode = .reply
            writer.integer(id)
            writer.integer(UInt8(succeeded ? 1 : 0))
            writer.data(bytes)
        case .stop(let actor):
            opcode = .stop
            writer.integer(actor)
        }
        return Frame(runtime: opcode.rawValue, payload: writer.bytes)
    }

    /// Parses a frame.
    /// - Throws: `CommError.badFrame` for another kind, an unknown opcode or a malformed payload.
    init(_ frame: Frame, peer: String) throws {
        let opcode = try frame.runtimeOpcode(Opcode.self, expected: "an actor message", peer: peer)
        var reader = PayloadReader(frame.payload, peer: peer)
        switch opcode {
        case .spawn:
            self = .spawn(actor: try reader.integer(UInt64.self), type: try reader.string())
        case .spawned:
            let actor = try reader.integer(UInt64.self)
            let failed = try reader.integer(UInt8.self) != 0
            let error = try reader.string()
            self = .spawned(actor: actor, error: failed ? error : nil)
        case .call:
            let (id, actor, target) = (
                try reader.integer(UInt64.self), try reader.integer(UInt64.self), try reader.string()
            )
            let generics = try (0..<reader.listCount(entryBytes: 4, in: frame, peer: peer)).map { _ in
                try reader.string()
            }
            let arguments = try (0..<reader.listCount(entryBytes: 4, in: frame, peer: peer)).map { _ in
                try reader.data()
            }
            self = .call(id: id, actor: actor, target: target, generics: generics, arguments: arguments)
        case .reply:
            let (id, succeeded) = (try reader.integer(UInt64.self), try reader.integer(UInt8.self) != 0)
            self = .reply(id: id, succeeded: succeeded, bytes: try reader.data())
        case .stop:
            self = .stop(actor: try reader.integer(UInt64.self))
        }
        try reader.finish()
    }
}
