import Foundation
import Synchronization

/// How much working memory a query's blocking steps (aggregation, join, sort) may hold
/// before they spill to disk, and where the spill files go.
///
/// What the user writes: nothing, or `FLOCK_MEMORY_LIMIT=512MiB` (and optionally
/// `FLOCK_SPILL_DIR=/fast/disk`) in the environment, or `collect(memoryLimit:)`.
/// Underneath, each blocking step estimates the memory it would need for its input in one
/// piece; above the limit it hash-partitions (aggregation, join) or sorts in runs (sort)
/// through files that are unlinked as soon as they are opened, so nothing is left behind
/// when the process dies. What can go wrong: a full disk or a missing folder (a
/// `DataError.spillFailed` naming it), and a single key so frequent that its partition
/// alone exceeds the limit (it is then processed whole: the limit is a target that steers
/// partitioning, not a cap enforced on malloc). Input batches already in memory and the
/// result are the caller's and are not counted.
public struct SpillPolicy: Sendable {
    /// Bytes of working memory before spilling; nil never spills.
    public var memoryLimit: Int?
    /// The folder for spill files.
    public var directory: String
    /// What the queries run under this policy wrote to disk (shared by copies).
    public let statistics = SpillStatistics()

    /// A policy with `memoryLimit` bytes (nil: no limit) spilling into `directory`.
    public init(memoryLimit: Int?, directory: String = NSTemporaryDirectory()) {
        self.memoryLimit = memoryLimit
        self.directory = directory
    }

    /// The policy the environment asks for: `FLOCK_MEMORY_LIMIT` (bytes, or with a unit:
    /// `512MiB`, `2G`, `64k`) and `FLOCK_SPILL_DIR` (default: the temporary folder).
    /// - Throws: `DataError.spillFailed` for a limit that does not read as a size.
    public static func fromEnvironment() throws -> SpillPolicy {
        let environment = ProcessInfo.processInfo.environment
        let limit = try environment["FLOCK_MEMORY_LIMIT"].map { try bytes($0) }
        return SpillPolicy(memoryLimit: limit, directory: environment["FLOCK_SPILL_DIR"] ?? NSTemporaryDirectory())
    }

    /// The number of bytes `text` names: digits, then optionally a unit (k, m, g, t with
    /// an optional `i` and `b`, any case; binary multiples, as memory sizes are).
    /// - Throws: `DataError.spillFailed` naming the text when it is not a positive size.
    public static func bytes(_ text: String) throws -> Int {
        let trimmed = text.trimmingCharacters(in: .whitespaces).lowercased()
        let digits = trimmed.prefix { $0.isASCII && $0.isNumber }
        var unit = String(trimmed.dropFirst(digits.count)).trimmingCharacters(in: .whitespaces)
        if unit.hasSuffix("b") { unit.removeLast() }
        if unit.hasSuffix("i") { unit.removeLast() }
        let shifts: [String: Int] = ["": 0, "k": 10, "m": 20, "g": 30, "t": 40]
        guard let value = Int(digits), value > 0, let shift = shifts[unit],
            value <= Int.max >> shift
        else {
            throw DataError.spillFailed("memory limit \"\(text)\" is not a size (write e.g. 536870912, 512MiB or 2G)")
        }
        return value << shift
    }

    /// Into how many partitions (a power of two, at most 256: each is an open file) work
    /// of `bytes` splits so that each fits the limit with room to spare; 1 when it fits.
    func partitions(forWorkingBytes bytes: Int) -> Int {
        guard let memoryLimit, bytes > memoryLimit else { return 1 }
        var count = 2
        while count < 256 && bytes / count > memoryLimit / 2 { count *= 2 }
        return count
    }
}

/// Counts of what spilling wrote, for tests, benchmarks and `explain`-style reports.
public final class SpillStatistics: Sendable {
    private let written = Atomic<Int>(0)
    private let files = Atomic<Int>(0)

    /// Bytes written to spill files.
    public var bytesWritten: Int { written.load(ordering: .relaxed) }
    /// Spill files made (partitions and sorted runs).
    public var filesCreated: Int { files.load(ordering: .relaxed) }

    func recordFile() { files.add(1, ordering: .relaxed) }
    func recordBytes(_ count: Int) { written.add(count, ordering: .relaxed) }
}
