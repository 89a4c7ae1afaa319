import Foundation

/// The store's keys and values, shared by every connection, and the requests parked until
/// their keys exist. Requests are answered through a callback, so waiting costs no thread:
/// a `set` (or `add`, `compareAndSet`) answers every waiter whose keys are now all there,
/// `expire` answers one whose timeout passed, `cancel` forgets one whose client left.
final class StoreState: @unchecked Sendable {  // state behind `lock`
    /// Identifies a parked request.
    typealias WaiterID = UInt64
    typealias Answer = @Sendable (StoreStatus, [UInt8]) -> Void

    /// What `handle` did with a request.
    enum Outcome {
        /// Answered already (the callback ran).
        case answered
        /// Parked until its keys exist; `expire(id)` after `milliseconds` ends the wait.
        case parked(WaiterID, milliseconds: UInt64)
    }

    /// The longest a request may wait, whatever its client asked (a week).
    static let maxWaitMilliseconds: UInt64 = 7 * 86_400_000

    private struct Waiter {
        let keys: [String]
        /// The value of this key is the answer (`get`); nil: an empty answer (`wait`).
        let valueOf: String?
        let answer: Answer
    }

    private let lock = NSLock()
    private var values: [String: [UInt8]] = [:]
    private var waiters: [WaiterID: Waiter] = [:]
    private var nextWaiter: WaiterID = 0
    private var shuttingDown = false

    /// Runs one request: answers it through `answer` now, or parks it until its keys exist.
    func handle(_ request: StoreRequest, answer: @escaping Answer) -> Outcome {
        var ready: [(Answer, StoreStatus, [UInt8])] = []
        let outcome: Outcome = lock.withLock {
            let (outcome, result) = run(request, answer: answer)
            if let result { ready.append((answer, result.0, result.1)) }
            ready += takeSatisfiedWaiters()
            return outcome
        }
        for (answer, status, payload) in ready { answer(status, payload) }
        return outcome
    }

    /// Ends a parked request whose timeout passed (nothing when it was answered already).
    func expire(_ id: WaiterID) {
        let result: (Answer, [String])? = lock.withLock {
            guard let waiter = waiters.removeValue(forKey: id) else { return nil }
            return (waiter.answer, waiter.keys.filter { values[$0] == nil })
        }
        guard let (answer, missing) = result else { return }
        var writer = PayloadWriter()
        writer.string("timed out waiting for keys \(missing)")
        answer(.timedOut, writer.bytes)
    }

    /// Forgets a parked request whose client went away.
    func cancel(_ id: WaiterID) {
        _ = lock.withLock { waiters.removeValue(forKey: id) }
    }

    /// Answers every parked request as failed and refuses new waits (the server stops).
    func shutDown() {
        let parked: [Answer] = lock.withLock {
            shuttingDown = true
            defer { waiters = [:] }
            return waiters.values.map(\.answer)
        }
        for answer in parked { answer(.failed, Self.failure("the store is shutting down")) }
    }

    // MARK: Under the lock

    private func run(_ request: StoreRequest, answer: @escaping Answer) -> (Outcome, (StoreStatus, [UInt8])?) {
        switch request {
        case .set(let key, let value):
            values[key] = value
            return (.answered, (.ok, []))
        case .get(let key, let timeout):
            return park([key], valueOf: key, timeout: timeout, answer: answer)
        case .wait(let keys, let timeout):
            return park(keys, valueOf: nil, timeout: timeout, answer: answer)
        case .add(let key, let delta):
            return (.answered, add(key, delta))
        case .compareAndSet(let key, let expected, let desired):
            if values[key] == expected { values[key] = desired }
            var writer = PayloadWriter()
            writer.integer(UInt8(values[key] == nil ? 0 : 1))
            writer.data(values[key] ?? [])
            return (.answered, (.ok, writer.bytes))
        case .delete(let key):
            let existed = values.removeValue(forKey: key) != nil
            return (.answered, (.ok, [existed ? 1 : 0]))
        case .check(let keys):
            return (.answered, (.ok, [keys.allSatisfy { values[$0] != nil } ? 1 : 0]))
        }
    }

    private func park(_ keys: [String], valueOf: String?, timeout: UInt64, answer: @escaping Answer)
        -> (Outcome, (StoreStatus, [UInt8])?)
    {
        if keys.allSatisfy({ values[$0] != nil }) {
            return (.answered, (.ok, valueOf.flatMap { values[$0] } ?? []))
        }
        if shuttingDown { return (.answered, (.failed, Self.failure("the store is shutting down"))) }
        nextWaiter += 1
        waiters[nextWaiter] = Waiter(keys: keys, valueOf: valueOf, answer: answer)
        return (.parked(nextWaiter, milliseconds: min(timeout, Self.maxWaitMilliseconds)), nil)
    }

    private func add(_ key: String, _ delta: Int64) -> (StoreStatus, [UInt8]) {
        var current: Int64 = 0
        if let existing = values[key] {
            guard let number = Int64(String(decoding: existing, as: UTF8.self)) else {
                return (.failed, Self.failure("add: key \"\(key)\" holds a value that is not an integer"))
            }
            current = number
        }
        let (sum, overflow) = current.addingReportingOverflow(delta)
        guard !overflow else { return (.failed, Self.failure("add: key \"\(key)\" would overflow")) }
        values[key] = Array(String(sum).utf8)
        var writer = PayloadWriter()
        writer.integer(sum)
        return (.ok, writer.bytes)
    }

    /// Removes and returns the waiters whose keys now all exist, with their answers.
    private func takeSatisfiedWaiters() -> [(Answer, StoreStatus, [UInt8])] {
        var ready: [(Answer, StoreStatus, [UInt8])] = []
        for (id, waiter) in waiters where waiter.keys.allSatisfy({ values[$0] != nil }) {
            waiters[id] = nil
            ready.append((waiter.answer, .ok, waiter.valueOf.flatMap { values[$0] } ?? []))
        }
        return ready
    }

    private static func failure(_ reason: String) -> [UInt8] {
        var writer = PayloadWriter()
        writer.string(reason)
        return writer.bytes
    }
}
