import Distributed
import Foundation

/// Records a distributed call's arguments (`CallCoding`) and its generic substitutions as
/// mangled type names.
public struct FlockInvocationEncoder: DistributedTargetInvocationEncoder {
    public typealias SerializationRequirement = Codable

    var generics: [String] = []
    var arguments: [[UInt8]] = []

    public mutating func recordGenericSubstitution<T>(_ type: T.Type) throws {
        guard let name = _mangledTypeName(type) else {
            throw RuntimeError.malformedObject("the generic argument \(type) has no mangled name")
        }
        generics.append(name)
    }

    public mutating func recordArgument<Value: Codable>(_ argument: RemoteCallArgument<Value>) throws {
        arguments.append(try CallCoding.encode(argument.value))
    }

    public mutating func recordReturnType<R: Codable>(_ type: R.Type) throws {}

    public mutating func recordErrorType<E: Error>(_ type: E.Type) throws {}

    public mutating func doneRecording() throws {}
}

/// Reads a call's arguments back, in the process that hosts the actor; actor handles
/// among them resolve through `system`.
public struct FlockInvocationDecoder: DistributedTargetInvocationDecoder {
    public typealias SerializationRequirement = Codable

    let generics: [String]
    let arguments: [[UInt8]]
    let system: FlockActorSystem
    var next = 0

    public mutating func decodeGenericSubstitutions() throws -> [Any.Type] {
        try generics.map { name in
            guard let type = _typeByName(name) else {
                throw RuntimeError.malformedObject("unknown generic argument type \(name)")
            }
            return type
        }
    }

    public mutating func decodeNextArgument<Argument: Codable>() throws -> Argument {
        guard next < arguments.count else {
            throw RuntimeError.malformedObject("the call has \(arguments.count) arguments; the method takes more")
        }
        defer { next += 1 }
        do {
            return try CallCoding.decode(Argument.self, from: arguments[next], using: system.decoder())
        } catch {
            throw RuntimeError.malformedObject("argument \(next + 1) is not a \(Argument.self): \(error)")
        }
    }

    public mutating func decodeErrorType() throws -> Any.Type? { nil }

    public mutating func decodeReturnType() throws -> Any.Type? { nil }
}

/// Receives a call's outcome in the hosting process and hands it to `reply`.
public struct FlockResultHandler: DistributedTargetInvocationResultHandler {
    public typealias SerializationRequirement = Codable

    let reply: @Sendable (_ succeeded: Bool, _ bytes: [UInt8]) -> Void

    public func onReturn<Success: Codable>(value: Success) async throws {
        reply(true, try CallCoding.encode(value))
    }

    public func onReturnVoid() async throws { reply(true, []) }

    public func onThrow<Err: Error>(error: Err) async throws { reply(false, Array("\(error)".utf8)) }
}
