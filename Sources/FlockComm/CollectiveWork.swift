import Foundation

/// The pending result of a collective: operations are queued in call order and run on
/// the group's communication thread, so several can be in flight while the caller goes
/// on computing. Wait for the result with `await work.value` or, from synchronous code,
/// `try work.wait()`.
public final class CollectiveWork<Value: Sendable>: @unchecked Sendable {
    private let condition = NSCondition()
    private var result: Result<Value, Error>?
    private var continuations: [CheckedContinuation<Value, Error>] = []

    init() {}

    /// Whether the operation has finished (successfully or not).
    public var isCompleted: Bool {
        condition.lock()
        defer { condition.unlock() }
        return result != nil
    }

    /// Blocks the calling thread until the operation finishes.
    /// - Throws: the operation's `CommError`.
    public func wait() throws -> Value {
        condition.lock()
        while result == nil { condition.wait() }
        let finished = result!  // Invariant: the loop exits only with a result.
        condition.unlock()
        return try finished.get()
    }

    /// The operation's result, suspending the calling task until it is there.
    public var value: Value {
        get async throws {
            try await withCheckedThrowingContinuation { continuation in
                condition.lock()
                if let result {
                    condition.unlock()
                    continuation.resume(with: result)
                } else {
                    continuations.append(continuation)
                    condition.unlock()
                }
            }
        }
    }

    func complete(_ outcome: Result<Value, Error>) {
        condition.lock()
        result = outcome
        let waiting = continuations
        continuations = []
        condition.broadcast()
        condition.unlock()
        for continuation in waiting { continuation.resume(with: outcome) }
    }
}
