import Foundation

/// The task types a job's processes can run, by name: the bridge between a task's bytes
/// on the wire and the Swift type that decodes and runs it. Every process builds the same
/// registry (they run the same binary), so a worker can run what the driver submits.
public struct TaskRegistry: Sendable {
    /// Runs an encoded task of one registered type and returns its encoded output.
    typealias Runner = @Sendable ([UInt8]) async throws -> [UInt8]

    private var runners: [String: Runner] = [:]

    /// A registry of `types`.
    /// - Throws: `RuntimeError.duplicateTaskName` when two types share a name.
    public init(_ types: [any RemoteTask.Type] = []) throws {
        for type in types { try register(type) }
    }

    /// Adds `type`.
    /// - Throws: `RuntimeError.duplicateTaskName` when its name is taken.
    public mutating func register<Task: RemoteTask>(_ type: Task.Type) throws {
        guard runners[Task.taskName] == nil else { throw RuntimeError.duplicateTaskName(Task.taskName) }
        runners[Task.taskName] = { bytes in
            let task: Task
            do {
                task = try JSONDecoder().decode(Task.self, from: Data(bytes))
            } catch {
                throw RuntimeError.malformedTask(name: Task.taskName, reason: "\(error)")
            }
            return Array(try JSONEncoder().encode(try await task.run()))
        }
    }

    /// The registered names, sorted.
    public var names: [String] { runners.keys.sorted() }

    /// Decodes and runs the task named `name` from `bytes`; returns its encoded output.
    /// - Throws: `RuntimeError.unknownTask` for a name not registered here (a worker
    ///   running another build), `.malformedTask` for bytes that do not decode, or
    ///   whatever the task itself throws.
    func run(name: String, bytes: [UInt8]) async throws -> [UInt8] {
        guard let runner = runners[name] else { throw RuntimeError.unknownTask(name, known: names) }
        return try await runner(bytes)
    }

    /// The encoded form of `task`, as `run(name:bytes:)` takes it.
    static func encode<Task: RemoteTask>(_ task: Task) throws -> [UInt8] { Array(try JSONEncoder().encode(task)) }

    /// The output of a task of type `Task` from its encoded form.
    static func decodeOutput<Task: RemoteTask>(_: Task.Type, from bytes: [UInt8]) throws -> Task.Output {
        do {
            return try JSONDecoder().decode(Task.Output.self, from: Data(bytes))
        } catch {
            throw RuntimeError.malformedTask(name: Task.taskName, reason: "its result does not decode: \(error)")
        }
    }
}

/// What the runtime reports when work cannot be done.
public enum RuntimeError: Error, CustomStringConvertible, Equatable {
    /// Two task types registered under one name.
    case duplicateTaskName(String)
    /// A task name this process does not know (workers built from another version?).
    case unknownTask(String, known: [String])
    /// A task's (or its result's) bytes that do not decode as its type.
    case malformedTask(name: String, reason: String)
    /// The task threw; the text is its error's description.
    case taskFailed(String)
    /// The workers running the task died `attempts` times.
    case workerLost(task: String, attempts: Int)
    /// Workers did not connect in time.
    case startTimeout(expected: Int, connected: Int)

    public var description: String {
        switch self {
        case .duplicateTaskName(let name):
            "two task types are registered as \"\(name)\"; give one a different taskName"
        case .unknownTask(let name, let known):
            "unknown task \"\(name)\" (this process knows \(known)); do all processes run the same build?"
        case .malformedTask(let name, let reason):
            "task \"\(name)\" could not be decoded: \(reason)"
        case .taskFailed(let reason):
            "the task failed: \(reason)"
        case .workerLost(let task, let attempts):
            "task \"\(task)\" was lost with its worker \(attempts) times; giving up"
        case .startTimeout(let expected, let connected):
            "only \(connected) of \(expected) workers connected in time"
        }
    }
}
