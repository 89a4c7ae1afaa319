import Foundation

@testable import FlockComm

/// The wires of an in-memory group: one FIFO queue per direction of each pair of ranks
/// (as a TCP connection orders bytes), shared by the ranks' `MemoryTransport`s. A seeded
/// generator injects delays and the order in which each exchange posts its sends and
/// takes its receives, so messages from different peers arrive in varying orders.
final class MemoryNetwork: @unchecked Sendable {  // state guarded by `condition`
    private struct Message {
        let header: FrameHeader
        let bytes: [UInt8]
    }

    let worldSize: Int
    private let condition = NSCondition()
    private var queues: [[[Message]]]
    private var aborted = false
    private var generator: UInt64

    /// A network of `worldSize` ranks whose delays and orders follow `seed`.
    init(worldSize: Int, seed: UInt64) {
        self.worldSize = worldSize
        queues = Array(repeating: Array(repeating: [], count: worldSize), count: worldSize)
        generator = seed
    }

    /// One transport per rank.
    func transports() -> [MemoryTransport] { (0..<worldSize).map { MemoryTransport(rank: $0, network: self) } }

    /// A random number below `bound` (SplitMix64 under the lock).
    func random(below bound: Int) -> Int {
        condition.lock()
        defer { condition.unlock() }
        generator &+= 0x9E37_79B9_7F4A_7C15
        var z = generator
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return Int((z ^ (z >> 31)) % UInt64(max(bound, 1)))
    }

    /// Sometimes sleeps up to 200 us, so ranks interleave differently.
    func jitter() {
        if random(below: 4) == 0 { usleep(UInt32(random(below: 200))) }
    }

    func post(from: Int, to: Int, header: FrameHeader, bytes: [UInt8]) {
        condition.lock()
        queues[from][to].append(Message(header: header, bytes: bytes))
        condition.broadcast()
        condition.unlock()
    }

    /// The next message from `from` to `to`, waiting until `deadline`.
    func take(from: Int, to: Int, until deadline: Deadline) throws -> (FrameHeader, [UInt8]) {
        condition.lock()
        defer { condition.unlock() }
        while queues[from][to].isEmpty {
            if aborted { throw TransportFailure.peerGone(peer: from, reason: "the group was aborted") }
            if deadline.hasPassed { throw TransportFailure.timedOut(waitingOn: [from]) }
            _ = condition.wait(until: Date(timeIntervalSinceNow: 0.05))
        }
        let message = queues[from][to].removeFirst()
        return (message.header, message.bytes)
    }

    func abort() {
        condition.lock()
        aborted = true
        condition.broadcast()
        condition.unlock()
    }

    var isAborted: Bool {
        condition.lock()
        defer { condition.unlock() }
        return aborted
    }
}

/// One rank's end of a `MemoryNetwork`: the `Transport` the algorithms see, with the
/// header and length checks of `TCPTransport` and chunk callbacks as data lands.
final class MemoryTransport: Transport, @unchecked Sendable {  // immutable; the network locks
    let rank: Int
    let network: MemoryNetwork
    var worldSize: Int { network.worldSize }

    init(rank: Int, network: MemoryNetwork) {
        self.rank = rank
        self.network = network
    }

    func exchange(
        sending: [OutgoingMessage], receiving: [IncomingMessage], until deadline: Deadline, slowAfter: Duration,
        onSlowWait: () -> Void
    ) throws {
        for send in shuffled(sending) {
            network.jitter()
            var header = send.header
            header.length = UInt64(send.payload.count)
            network.post(from: rank, to: send.peer, header: header, bytes: Array(send.payload))
        }
        for receive in shuffled(receiving) {
            network.jitter()
            let (header, bytes) = try network.take(from: receive.peer, to: rank, until: deadline)
            var wanted = receive.expected
            wanted.length = UInt64(receive.buffer.count)
            guard header == wanted else { throw TransportFailure.mismatch(peer: receive.peer, received: header) }
            bytes.withUnsafeBytes { receive.buffer.copyMemory(from: $0) }
            guard let onChunk = receive.onChunk, !bytes.isEmpty else { continue }
            let step = max(1, min(receive.chunkBytes, bytes.count))
            for start in stride(from: 0, to: bytes.count, by: step) { onChunk(start..<min(start + step, bytes.count)) }
        }
    }

    func closedPeer() -> Int? { nil }

    func abort() { network.abort() }

    private func shuffled<T>(_ items: [T]) -> [T] {
        var items = items
        for i in items.indices.dropLast() { items.swapAt(i, i + network.random(below: items.count - i)) }
        return items
    }
}
