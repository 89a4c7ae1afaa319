import Foundation

/// A dedicated thread that runs submitted closures one at a time, in submission order:
/// a group's operations must run in the order the program issued them, and their
/// blocking network waits must not occupy Swift's cooperative thread pool.
final class CommunicationThread: @unchecked Sendable {
    private let condition = NSCondition()
    private var tasks: [() -> Void] = []
    private var closed = false

    init(name: String) {
        let thread = Thread { [self] in run() }
        thread.name = name
        thread.start()
    }

    /// Queues `task`; it runs after everything submitted before it.
    func submit(_ task: @escaping () -> Void) {
        condition.lock()
        tasks.append(task)
        condition.signal()
        condition.unlock()
    }

    /// Runs `task` in order on the thread and waits for its result.
    func sync<R>(_ task: @escaping () -> R) -> R {
        let done = NSCondition()
        var result: R?
        submit {
            let value = task()
            done.lock()
            result = value
            done.signal()
            done.unlock()
        }
        done.lock()
        while result == nil { done.wait() }
        done.unlock()
        return result!  // Invariant: the loop exits only with a result.
    }

    /// Lets the thread finish what is queued, then exit.
    func close() {
        condition.lock()
        closed = true
        condition.signal()
        condition.unlock()
    }

    private func run() {
        while true {
            condition.lock()
            while tasks.isEmpty && !closed { condition.wait() }
            if tasks.isEmpty {
                condition.unlock()
                return
            }
            let task = tasks.removeFirst()
            condition.unlock()
            task()
        }
    }
}
