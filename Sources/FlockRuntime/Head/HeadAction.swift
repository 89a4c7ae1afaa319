/// A connected worker as the head's state knows it: a number the shell gives each
/// connection (the state holds no channels, so it can run without a network).
struct WorkerID: Hashable, Comparable, Sendable, CustomStringConvertible {
    let raw: Int

    static func < (lhs: WorkerID, rhs: WorkerID) -> Bool { lhs.raw < rhs.raw }
    var description: String { "worker#\(raw)" }
}

/// What the head's state asks its shell to do after an event: the state decides, the shell
/// (`ClusterHead`) acts, outside the lock and in this order.
enum HeadAction: Equatable, Sendable {
    /// Write `message` to the worker.
    case send(WorkerID, TaskMessage)
    /// Close the worker's connection (a late worker of a lost node).
    case close(WorkerID)
    /// Resume the waiters with these tokens (from `HeadState.wait`) with the object's outcome.
    case resume([UInt64], Result<ObjectLocation, RuntimeError>)
    /// Delete these stored objects from every node's store: no reference holds them.
    case free([UInt64])
    /// Tell the store of `node` that it holds a new object of `size` bytes.
    case stored(UInt64, size: Int, node: Int)
    /// Run `HeadState.dispatch` soon (coalescing a burst of submissions into one batch).
    case dispatchSoon
    /// Cancel task `task` (`RuntimeError.timedOut`) if it has not finished after `timeout`.
    case cancelAfter(Duration, task: UInt64, name: String)
    /// Place `tasks` again (`HeadState.placeAgain`) after `delay`: an input of theirs could
    /// not be pulled, and the head is learning that its node died.
    case retryAfter(Duration, [PendingTask])
}
