import Crypto
import Foundation

/// A set of processes (ranks 0..<worldSize) that run collectives together: the
/// communicator of data-parallel training.
///
///     let group = try ProcessGroup.initialize()          // from RANK, WORLD_SIZE, ...
///     let summed = try await group.allReduce(gradient, op: .sum).value
///
/// Operations are queued in call order and run one after another on the group's own
/// communication thread, so a caller may issue several and wait later. Every rank must
/// issue the same collectives in the same order; every message carries the operation's
/// description and sequence number, so a rank that called something else is reported as
/// a mismatch. Each operation has a deadline (`timeout`, default `defaultTimeout`). The
/// first failure (timeout, dead peer, mismatch) aborts the group: it closes every
/// connection, so the other ranks fail within moments instead of waiting, and later calls
/// fail with `CommError.groupAborted`.
public final class ProcessGroup: @unchecked Sendable {
    /// This process's rank in the group.
    public let rank: Int
    /// The number of ranks.
    public let worldSize: Int
    /// The group's name (keys in the store are prefixed with it).
    public let name: String
    /// The deadline of an operation called without `timeout:`.
    public let defaultTimeout: Duration

    /// The rendezvous store (nil for a group over an in-memory transport).
    let store: RendezvousStore?
    private let transport: Transport
    /// Every rank's shared memory, when all ranks share this host (see `SharedMemoryWindow`).
    let sharedMemory: SharedMemoryWindow?
    /// Whether large all-reduces go through shared memory (all ranks on this host, and
    /// `FLOCK_SHM` is not 0) rather than the TCP ring.
    public var usesSharedMemory: Bool { sharedMemory != nil }
    private let key: SymmetricKey
    private let advertisedHost: String
    /// The store server, when this process hosts it (rank 0 of a job without a launcher).
    private let server: RendezvousServer?
    private let worker: CommunicationThread
    // State below is touched only on the communication thread.
    private var sequence: UInt64 = 0
    private var sentSequence: [UInt64]
    private var receivedSequence: [UInt64]
    private var failure: CommError?
    private let scratch = ScratchBuffer()
    private var subgroups = 0

    /// Joins group `name` of `worldSize` ranks as `rank`: publishes this process's
    /// address in the store and connects to every other rank (authenticated with
    /// `token`), waiting up to `timeout` for all to arrive.
    /// - Throws: `CommError` when the arguments are out of range, a peer does not arrive
    ///   in time, or the handshake fails.
    public convenience init(
        store: RendezvousStore, rank: Int, worldSize: Int, token: String, name: String = "world",
        timeout: Duration = .seconds(300), advertisedHost: String = "127.0.0.1"
    ) throws {
        try self.init(
            store: store, rank: rank, worldSize: worldSize, key: Handshake.key(token: token), name: name,
            timeout: timeout, advertisedHost: advertisedHost, server: nil)
    }

    init(
        store: RendezvousStore, rank: Int, worldSize: Int, key: SymmetricKey, name: String, timeout: Duration,
        advertisedHost: String, server: RendezvousServer?
    ) throws {
        guard worldSize > 0, (0..<worldSize).contains(rank) else {
            throw CommError.invalidArgument(op: "ProcessGroup", reason: "rank \(rank) is not in 0..<\(worldSize)")
        }
        self.rank = rank
        self.worldSize = worldSize
        self.name = name
        self.store = store
        self.key = key
        self.advertisedHost = advertisedHost
        self.server = server
        defaultTimeout = timeout
        sentSequence = Array(repeating: 0, count: worldSize)
        receivedSequence = Array(repeating: 0, count: worldSize)
        transport = try TCPTransport.connectMesh(
            store: store, group: name, rank: rank, worldSize: worldSize, key: key, advertisedHost: advertisedHost,
            until: .after(timeout))
        sharedMemory = try SharedMemoryWindow.establish(
            store: store, group: name, rank: rank, worldSize: worldSize, until: .after(timeout))
        worker = CommunicationThread(name: "flock-comm-\(name)-\(rank)")
    }

    /// A group over `transport`, already connected (the in-memory transport of the
    /// simulation tests): without a store there are no progress notes for timeouts, no
    /// abort reasons for peers and no subgroups.
    init(transport: Transport, name: String, timeout: Duration) {
        rank = transport.rank
        worldSize = transport.worldSize
        self.name = name
        store = nil
        key = SymmetricKey(size: .bits256)
        advertisedHost = "127.0.0.1"
        server = nil
        defaultTimeout = timeout
        sentSequence = Array(repeating: 0, count: worldSize)
        receivedSequence = Array(repeating: 0, count: worldSize)
        self.transport = transport
        sharedMemory = nil
        worker = CommunicationThread(name: "flock-comm-\(name)-\(rank)")
    }

    /// Whether this is the job's own group, whose closing marks when this process left the
    /// job (`ExitRecord`); set by `initialize`.
    var marksLeaving = false

    deinit {
        if marksLeaving { ExitRecord.leaving() }
        worker.close()
        transport.abort()
    }

    /// Creates a group of the ranks in `ranks` (every rank of this group must call it,
    /// with the same list, in the same order relative to other `newGroup` calls); returns
    /// nil on ranks that are not members. Ranks are renumbered 0..<ranks.count in the
    /// order of `ranks`.
    public func newGroup(ranks: [Int], timeout: Duration? = nil) throws -> ProcessGroup? {
        guard Set(ranks).count == ranks.count, ranks.allSatisfy({ (0..<worldSize).contains($0) }), !ranks.isEmpty
        else {
            throw CommError.invalidArgument(
                op: "newGroup", reason: "ranks \(ranks) must be distinct members of 0..<\(worldSize)")
        }
        let index = worker.sync { [self] () -> Int in
            subgroups += 1
            return subgroups
        }
        guard let position = ranks.firstIndex(of: rank) else { return nil }
        guard let store else {
            throw CommError.invalidArgument(
                op: "newGroup", reason: "a group without a rendezvous store has no subgroups")
        }
        return try ProcessGroup(
            store: store, rank: position, worldSize: ranks.count, key: key, name: "\(name).\(index)",
            timeout: timeout ?? defaultTimeout, advertisedHost: advertisedHost, server: nil)
    }

    // MARK: Running operations

    /// Describes one queued operation for the header its messages carry.
    struct Operation {
        let opcode: CollectiveOpcode
        let name: String
        var type: WireType = .bytes
        var reduce: ReduceOp? = nil
        var count = 0
        var root = 0
        /// The peer of a point-to-point operation, which is numbered per peer and
        /// direction (sends to a peer, receives from it), apart from the collectives.
        var peer: Int? = nil
        var sends = false
    }

    /// Queues `body` to run on the communication thread with a context for `operation`.
    func enqueue<Value: Sendable>(
        _ operation: Operation, timeout: Duration?,
        _ body: @escaping (CollectiveContext, ScratchBuffer) throws -> Value
    ) -> CollectiveWork<Value> {
        let work = CollectiveWork<Value>()
        let timeout = timeout ?? defaultTimeout
        worker.submit { [self] in
            if let failure {
                work.complete(.failure(CommError.groupAborted(reason: failure.description)))
                return
            }
            let number: UInt64
            if let peer = operation.peer, operation.sends {
                sentSequence[peer] += 1
                number = sentSequence[peer]
            } else if let peer = operation.peer {
                receivedSequence[peer] += 1
                number = receivedSequence[peer]
            } else {
                sequence += 1
                number = sequence
            }
            let header = FrameHeader(
                kind: .collective, opcode: operation.opcode.rawValue, dtype: operation.type.rawValue,
                reduce: operation.reduce?.rawValue ?? 0, sequence: number, count: UInt64(operation.count),
                root: Int64(operation.root))
            let context = CollectiveContext(
                transport: transport, header: header, deadline: .after(timeout),
                slowAfter: min(timeout / 4, .seconds(2)),
                onSlowWait: { [self] in try? store?.set(progressKey(rank), Array("\(number)".utf8)) })
            do {
                work.complete(.success(try body(context, scratch)))
            } catch {
                let failure = describe(error, operation: operation, sequence: number)
                self.failure = failure
                // Tell the others why before closing: they see the connections close and
                // report this reason instead of a bare "closed".
                _ = try? store?.compareAndSet(abortKey, expected: nil, desired: Array(failure.description.utf8))
                transport.abort()
                work.complete(.failure(failure))
            }
        }
        return work
    }

    private func progressKey(_ rank: Int) -> String { "\(name)/progress/\(rank)" }
    private var abortKey: String { "\(name)/abort" }

    /// Turns a transport failure into the error the user sees.
    private func describe(_ error: Error, operation: Operation, sequence: UInt64) -> CommError {
        switch error {
        case let error as CommError:
            return error
        case TransportFailure.peerGone(let peer, _):
            if (try? store?.contains([abortKey])) == true, let cause = try? store?.get(abortKey, timeout: .seconds(1)) {
                return .peerFailed(
                    op: operation.name, sequence: sequence, peer: peer, cause: String(decoding: cause, as: UTF8.self))
            }
            return .peerClosed(op: operation.name, sequence: sequence, peer: peer)
        case TransportFailure.timedOut(let waitingOn):
            return .timeout(
                op: operation.name, sequence: sequence, missingRanks: missingRanks(sequence, fallback: waitingOn))
        case TransportFailure.mismatch(let peer, let received):
            return .mismatch(op: operation.name, sequence: sequence, peer: peer, detail: explain(received, operation))
        case TransportFailure.badFrame(let peer, let reason):
            return .mismatch(op: operation.name, sequence: sequence, peer: peer, detail: reason)
        default:
            return .groupAborted(reason: "\(error)")
        }
    }

    /// The ranks that have not reported (in the store) reaching operation `sequence`.
    /// Every rank that waits long in an operation records its sequence number there.
    private func missingRanks(_ sequence: UInt64, fallback: [Int]) -> [Int] {
        try? store?.set(progressKey(rank), Array("\(sequence)".utf8))
        let missing = (0..<worldSize).filter { peer in
            guard peer != rank, (try? store?.contains([progressKey(peer)])) == true,
                let raw = try? store?.get(progressKey(peer), timeout: .seconds(1)),
                let reached = UInt64(String(decoding: raw, as: UTF8.self))
            else { return peer != rank }
            return reached < sequence
        }
        return missing.isEmpty ? fallback : missing
    }

    /// What differs between a received header and this rank's call.
    private func explain(_ received: FrameHeader, _ operation: Operation) -> String {
        let theirs =
            CollectiveOpcode(rawValue: received.opcode).map { "\($0)" } ?? "opcode \(received.opcode)"
        let theirType = WireType(rawValue: received.dtype).map(\.name) ?? "dtype \(received.dtype)"
        let ours = "\(operation.name)(\(operation.type.name) x \(operation.count), root \(operation.root))"
        let sent = "\(theirs)(\(theirType) x \(received.count), root \(received.root)) #\(received.sequence)"
        if received.opcode == operation.opcode.rawValue && received.dtype == operation.type.rawValue
            && received.count == UInt64(operation.count) && received.root == Int64(operation.root)
            && received.reduce == (operation.reduce?.rawValue ?? 0)
        {
            return "it sent \(sent) (out of order, or a message of another length)"
        }
        return "it called \(sent), this rank called \(ours)"
    }
}

/// A reusable scratch allocation for algorithms that land data before combining it (so
/// large operations do not pay for fresh, page-faulting memory every time).
final class ScratchBuffer {
    private var storage: UnsafeMutableRawBufferPointer?

    deinit { storage?.deallocate() }

    func bytes(_ count: Int) -> UnsafeMutableRawBufferPointer {
        if let storage, storage.count >= count { return storage }
        storage?.deallocate()
        storage = .allocate(byteCount: Swift.max(count, 64), alignment: 64)
        return storage!  // Invariant: just allocated.
    }
}
