import Distributed
import Foundation

/// The task types a job's processes can run, by name: the bridge between a task's bytes
/// on the wire and the Swift type that decodes and runs it. Every process builds the same
/// registry (they run the same binary), so a worker can run what the driver submits.
public struct TaskRegistry: Sendable {
    /// Runs an encoded task of one registered type and stores its output as object `id`.
    typealias Runner =
        @Sendable (_ bytes: [UInt8], _ id: UInt64, _ directory: ObjectDirectory) async throws
        -> ObjectLocation

    /// Makes an actor of one registered type in a process's actor system.
    typealias ActorMaker = @Sendable (FlockActorSystem) -> any DistributedActor

    private var runners: [String: Runner] = [:]
    private var actors: [String: ActorMaker] = [:]

    /// A registry of task `types` and the `actors` workers can host.
    /// - Throws: `RuntimeError.duplicateTaskName` when two types share a name.
    public init(_ types: [any RemoteTask.Type] = [], actors: [any ClusterActor.Type] = []) throws {
        for type in types { try register(type) }
        for type in actors { try register(actor: type) }
    }

    /// Adds the actor type `type`.
    /// - Throws: `RuntimeError.duplicateTaskName` when its name is taken.
    public mutating func register<Actor: ClusterActor>(actor type: Actor.Type) throws {
        guard actors[Actor.actorName] == nil else { throw RuntimeError.duplicateTaskName(Actor.actorName) }
        actors[Actor.actorName] = { system in Actor(actorSystem: system) }
    }

    /// The registered actor type names, sorted.
    public var actorNames: [String] { actors.keys.sorted() }

    /// How to make an actor of the type named `name`.
    func actorMaker(_ name: String) -> ActorMaker? { actors[name] }

    /// Adds `type`.
    /// - Throws: `RuntimeError.duplicateTaskName` when its name is taken.
    public mutating func register<Task: RemoteTask>(_ type: Task.Type) throws {
        guard runners[Task.taskName] == nil else { throw RuntimeError.duplicateTaskName(Task.taskName) }
        runners[Task.taskName] = { bytes, id, directory in
            let task: Task
            do {
                task = try (TaskEnvironment.current?.actorSystem.decoder() ?? JSONDecoder())
                    .decode(Task.self, from: Data(bytes))
            } catch {
                throw RuntimeError.malformedTask(name: Task.taskName, reason: "\(error)")
            }
            let output = try await task.run()
            return try directory.store(output, as: id)
        }
    }

    /// The registered names, sorted.
    public var names: [String] { runners.keys.sorted() }

    /// Decodes and runs the task named `name` from `bytes`; stores its output as object
    /// `id` and returns where.
    /// - Throws: `RuntimeError.unknownTask` for a name not registered here (a worker
    ///   running another build), `.malformedTask` for bytes that do not decode, or
    ///   whatever the task itself throws.
    func run(name: String, bytes: [UInt8], id: UInt64, directory: ObjectDirectory) async throws -> ObjectLocation {
        guard let runner = runners[name] else { throw RuntimeError.unknownTask(name, known: names) }
        return try await runner(bytes, id, directory)
    }

    /// The encoded form of `task`, as `run` takes it, and the ids of the refs inside it.
    static func encode<Task: RemoteTask>(_ task: Task) throws -> (bytes: [UInt8], references: [UInt64]) {
        let encoder = JSONEncoder()
        let collector = ReferenceCollector()
        encoder.userInfo[ReferenceCollector.key] = collector
        return (Array(try encoder.encode(task)), collector.ids)
    }
}
