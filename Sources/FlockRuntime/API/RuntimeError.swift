import Foundation

/// What the runtime reports when work cannot be done.
public enum RuntimeError: Error, CustomStringConvertible, Equatable, Codable {
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
    /// A task's input failed, so the task did not run.
    case dependencyFailed(task: String, input: UInt64, reason: String)
    /// The task was cancelled before it finished.
    case cancelled(task: String)
    /// The task did not finish within its timeout.
    case timedOut(task: String, after: Duration)
    /// `get` waited longer than its timeout.
    case waitTimedOut(UInt64, after: Duration)
    /// A ref that belongs to no cluster here (decoded outside a task, or from another cluster).
    case unboundReference(UInt64)
    /// An object's bytes are gone (its store's files were deleted).
    case objectLost(UInt64, reason: String)
    /// Bytes that are not an object of the expected type.
    case malformedObject(String)
    /// The store could not write or spill an object.
    case storeFull(String)
    /// No worker offers what the task demands, so it could never run.
    case infeasible(task: String, demand: Resources, offers: [Resources])
    /// An actor call failed: the method threw, or the actor is gone.
    case actorCallFailed(String)
    /// No actor has this name.
    case unknownActor(String)
    /// The connection to a cluster's daemon failed or closed.
    case clusterUnreachable(String)
    /// The cluster file may have been planted or read by others; the text says why.
    case untrustedClusterFile(String)

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
        case .dependencyFailed(let task, let input, let reason):
            "task \"\(task)\" did not run because its input object \(input) failed: \(reason)"
        case .cancelled(let task):
            "task \"\(task)\" was cancelled"
        case .timedOut(let task, let after):
            "task \"\(task)\" did not finish within \(after); it was cancelled"
        case .waitTimedOut(let id, let after):
            "object \(id) was not ready within \(after)"
        case .unboundReference(let id):
            "object ref \(id) belongs to no cluster here (refs can be read in the driver that made them "
                + "and inside tasks that take them as fields)"
        case .objectLost(let id, let reason):
            "object \(id) is lost: \(reason)"
        case .malformedObject(let reason):
            "malformed object: \(reason)"
        case .storeFull(let reason):
            "the object store cannot take the object: \(reason)"
        case .infeasible(let task, let demand, let offers):
            "task \"\(task)\" needs \(demand), which no worker offers (they offer: "
                + "\(offers.map(\.description).joined(separator: "; ")))"
        case .actorCallFailed(let reason):
            "the actor call failed: \(reason)"
        case .unknownActor(let name):
            "no actor is named \"\(name)\""
        case .clusterUnreachable(let reason):
            "the cluster cannot be reached: \(reason)"
        case .untrustedClusterFile(let reason):
            "the cluster file is not trusted: \(reason)"
        }
    }
}
