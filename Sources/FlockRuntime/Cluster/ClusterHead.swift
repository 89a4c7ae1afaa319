import FlockComm
import Foundation
import NIOCore

/// The head of a cluster: the queue of submitted tasks, the workers and what each is
/// running, and the outcomes waiting to be fetched. Submissions are coalesced: a burst of
/// `submit` calls becomes one batch frame per worker (an equal share of the queue, up to
/// `window` tasks in flight per worker), which is what lets tiny tasks run at tens of
/// thousands per second. A worker
/// whose connection closes has its running tasks put back in the queue (up to
/// `maxAttempts` runs per task), so a killed worker costs a retry, not the job.
final class ClusterHead: @unchecked Sendable {  // state guarded by `lock`
    struct QueuedTask {
        let id: UInt64
        let name: String
        let bytes: [UInt8]
        var attempts = 0
    }

    private let lock = NSLock()
    private let eventLoop: EventLoop
    private let window = 1024
    private let maxAttempts = 3
    private var queue: [QueuedTask] = []
    private var workers: [ObjectIdentifier: (channel: Channel, running: [UInt64: QueuedTask])] = [:]
    private var outcomes: [UInt64: Result<[UInt8], Error>] = [:]
    private var waiters: [UInt64: [CheckedContinuation<[UInt8], Error>]] = [:]
    private var nextID: UInt64 = 0
    private var dispatchScheduled = false

    init(eventLoop: EventLoop) { self.eventLoop = eventLoop }

    /// How many workers are connected and ready.
    var workerCount: Int { lock.withLock { workers.count } }

    /// Queues a task; returns its id.
    func submit(name: String, bytes: [UInt8]) -> UInt64 {
        let (id, schedule) = lock.withLock { () -> (UInt64, Bool) in
            nextID += 1
            queue.append(QueuedTask(id: nextID, name: name, bytes: bytes))
            defer { dispatchScheduled = true }
            return (nextID, !dispatchScheduled)
        }
        if schedule { eventLoop.execute { self.dispatch() } }
        return id
    }

    /// The encoded output of task `id`, once it has one.
    func outcome(of id: UInt64) async throws -> [UInt8] {
        try await withCheckedThrowingContinuation { continuation in
            let ready = lock.withLock { () -> Result<[UInt8], Error>? in
                if let outcome = outcomes[id] { return outcome }
                waiters[id, default: []].append(continuation)
                return nil
            }
            if let ready { continuation.resume(with: ready) }
        }
    }

    /// A worker said it is ready on `channel`.
    func workerJoined(_ channel: Channel) {
        lock.withLock { workers[ObjectIdentifier(channel)] = (channel, [:]) }
        dispatch()
    }

    /// A worker's connection closed: its running tasks go back to the queue (or fail
    /// after `maxAttempts`).
    func workerLost(_ channel: Channel) {
        let failed = lock.withLock { () -> [(UInt64, Error)] in
            guard let worker = workers.removeValue(forKey: ObjectIdentifier(channel)) else { return [] }
            var failed: [(UInt64, Error)] = []
            var retried: [QueuedTask] = []
            for var task in worker.running.values.sorted(by: { $0.id < $1.id }) {
                task.attempts += 1
                if task.attempts >= maxAttempts {
                    failed.append((task.id, RuntimeError.workerLost(task: task.name, attempts: task.attempts)))
                } else {
                    retried.append(task)
                }
            }
            queue.insert(contentsOf: retried, at: 0)  // first in line, in submission order
            return failed
        }
        for (id, error) in failed { complete(id, .failure(error)) }
        dispatch()
    }

    /// Outcomes from a worker.
    func received(_ results: [(id: UInt64, succeeded: Bool, bytes: [UInt8])], from channel: Channel) {
        lock.withLock {
            for result in results { workers[ObjectIdentifier(channel)]?.running[result.id] = nil }
        }
        for result in results {
            complete(
                result.id,
                result.succeeded
                    ? .success(result.bytes)
                    : .failure(RuntimeError.taskFailed(String(decoding: result.bytes, as: UTF8.self))))
        }
        dispatch()
    }

    /// Hands queued tasks to the least busy workers, a batch frame each.
    private func dispatch() {
        let batches = lock.withLock { () -> [(Channel, [QueuedTask])] in
            dispatchScheduled = false
            var batches: [(Channel, [QueuedTask])] = []
            // An equal share of the queue per worker, least busy first: big batches for
            // tiny tasks, and long tasks spread over every worker.
            let share = (queue.count + max(workers.count, 1) - 1) / max(workers.count, 1)
            for key in workers.keys.sorted(by: { workers[$0]!.running.count < workers[$1]!.running.count }) {
                guard !queue.isEmpty, let worker = workers[key] else { break }
                let take = min(window - worker.running.count, share, queue.count)
                guard take > 0 else { continue }
                let batch = Array(queue.prefix(take))
                queue.removeFirst(take)
                for task in batch { workers[key]!.running[task.id] = task }
                batches.append((worker.channel, batch))
            }
            return batches
        }
        for (channel, batch) in batches {
            channel.writeAndFlush(TaskMessage.tasks(batch.map { ($0.id, $0.name, $0.bytes) }).frame, promise: nil)
        }
    }

    private func complete(_ id: UInt64, _ outcome: Result<[UInt8], Error>) {
        let waiting = lock.withLock { () -> [CheckedContinuation<[UInt8], Error>] in
            outcomes[id] = outcome
            return waiters.removeValue(forKey: id) ?? []
        }
        for waiter in waiting { waiter.resume(with: outcome) }
    }
}

/// The head's side of one worker connection.
final class HeadConnectionHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = Frame
    private let head: ClusterHead

    init(head: ClusterHead) { self.head = head }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let peer = context.remoteAddress.map { "\($0)" } ?? "worker"
        do {
            switch try TaskMessage(unwrapInboundIn(data), peer: peer) {
            case .workerReady: head.workerJoined(context.channel)
            case .results(let results): head.received(results, from: context.channel)
            case .tasks: throw CommError.badFrame(peer: peer, reason: "a worker sent tasks to the head")
            }
        } catch {
            context.fireErrorCaught(error)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        head.workerLost(context.channel)
        context.fireChannelInactive()
    }
}
