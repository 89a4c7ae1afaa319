import FlockComm
import Foundation

/// A message of one of the runtime's control conversations (a driver's job, a node agent,
/// `flock status`/`stop`) carried as JSON in a `.runtime` frame whose opcode names the
/// conversation: the one encoding they all share. (Task and actor messages, which carry
/// tens of thousands of tasks a second, have their own binary encodings.)
protocol JSONMessage: Codable, Equatable, Sendable {
    /// The opcode of this conversation's frames.
    static var opcode: UInt8 { get }
    /// What a message of this type is called in errors ("a driver message").
    static var name: String { get }
}

extension JSONMessage {
    /// Whether `frame` carries a message of this type.
    static func carries(_ frame: Frame) -> Bool { frame.header.kind == .runtime && frame.header.opcode == opcode }

    /// The frame carrying this message.
    var frame: Frame {
        // Invariant: every case holds plain Codable values, which always encode.
        Frame(runtime: Self.opcode, payload: Array(try! JSONEncoder().encode(self)))
    }

    /// Parses a frame.
    /// - Throws: `CommError.badFrame` when the frame is not of this type or does not decode.
    init(_ frame: Frame, peer: String) throws {
        guard Self.carries(frame) else {
            throw CommError.badFrame(peer: peer, reason: "not \(Self.name): opcode \(frame.header.opcode)")
        }
        do {
            self = try JSONDecoder().decode(Self.self, from: Data(frame.payload))
        } catch {
            throw CommError.badFrame(peer: peer, reason: "\(Self.name) that does not decode: \(error)")
        }
    }
}
