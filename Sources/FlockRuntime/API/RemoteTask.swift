/// A unit of remote work: a `Codable` value whose `run` computes a `Codable` result.
/// Swift cannot ship closures between processes, so tasks travel as their encoded value
/// plus their registered name, and every process of the job (the same binary) knows how
/// to decode and run them through a `TaskRegistry`.
///
///     struct Square: RemoteTask {
///         let x: Int
///         func run() async throws -> Int { x * x }
///     }
public protocol RemoteTask: Codable, Sendable {
    /// What `run` produces; it travels back encoded.
    associatedtype Output: Codable & Sendable

    /// The name the task travels under (default: the type's name). Two task types of one
    /// job must not share a name; `TaskRegistry` refuses that.
    static var taskName: String { get }

    /// Does the work, in whichever process the task was sent to.
    func run() async throws -> Output
}

extension RemoteTask {
    /// The type's name, e.g. "Square".
    public static var taskName: String { String(describing: Self.self) }
}
