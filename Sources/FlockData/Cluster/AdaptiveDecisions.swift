import Synchronization

/// What a distributed query chose from the sizes it measured while running (as the final
/// plan of Spark's adaptive execution), one line per choice, e.g. "inner join: right side
/// measured 40 rows -> broadcast". Pass one to `DataFrame.collect(on:partitions:decisions:)`
/// and read `lines` afterwards.
public final class AdaptiveDecisions: Sendable {
    private let storage = Mutex<[String]>([])

    /// An empty record.
    public init() {}

    /// The choices so far, in the order they were made.
    public var lines: [String] { storage.withLock { $0 } }

    /// Adds a choice.
    func record(_ line: String) { storage.withLock { $0.append(line) } }
}
