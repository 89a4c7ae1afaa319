import Crypto

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A full mesh of authenticated TCP connections between the ranks of a group, and the
/// poll(2) loop that moves an exchange's messages over them. Sockets are non-blocking,
/// so one thread keeps every send and receive of an exchange moving at once (full
/// duplex: a ring step sends right while it receives from the left).
final class TCPTransport: Transport, @unchecked Sendable {
    let rank: Int
    let worldSize: Int
    private let peers: [Socket?]

    private init(rank: Int, worldSize: Int, peers: [Socket?]) {
        self.rank = rank
        self.worldSize = worldSize
        self.peers = peers
    }

    func closedPeer() -> Int? {
        let open = peers.enumerated().compactMap { peer, socket in socket.map { (peer, $0) } }
        // POLLRDHUP (0x2000 on Linux; Glibc's module hides it behind _GNU_SOURCE): the peer
        // shut its side down, which is how a dead process's socket looks.
        let peerHangUp: Int16 = 0x2000
        var descriptors = open.map { pollfd(fd: $0.1.fd, events: peerHangUp, revents: 0) }
        guard poll(&descriptors, nfds_t(descriptors.count), 0) > 0 else { return nil }
        let closed = peerHangUp | Int16(POLLHUP) | Int16(POLLERR)
        return zip(open, descriptors).first { $0.1.revents & closed != 0 }?.0.0
    }

    func abort() {
        for peer in peers { peer?.shutdown() }
    }

    // MARK: Building the mesh

    /// Connects every pair of ranks of group `group`: each rank publishes a listening
    /// address in the store, connects to the ranks below it and accepts the ranks above
    /// (a lower rank reaches its accept phase before any higher rank needs it, so this
    /// cannot deadlock). Every connection is authenticated with the shared token. The
    /// listener binds to the advertised address (`FLOCK_BIND_ADDR` overrides), and callers'
    /// handshakes run concurrently, so a silent stranger delays nobody.
    static func connectMesh(
        store: RendezvousStore, group: String, rank: Int, worldSize: Int, key: SymmetricKey, advertisedHost: String,
        until deadline: Deadline
    ) throws -> TCPTransport {
        var peers = [Socket?](repeating: nil, count: worldSize)
        guard worldSize > 1 else { return TCPTransport(rank: rank, worldSize: worldSize, peers: peers) }
        let listener = try Socket.listen(host: DistributedEnvironment.bindAddress(for: advertisedHost), port: 0)
        defer { listener.shutdown() }
        try store.set("\(group)/address/\(rank)", Array("\(advertisedHost):\(listener.localPort)".utf8))
        let remaining = Duration.milliseconds(Int64(max(1, deadline.pollMilliseconds)))
        for peer in 0..<rank {
            let address = String(decoding: try store.get("\(group)/address/\(peer)", timeout: remaining), as: UTF8.self)
            guard let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]) else {
                throw CommError.connectionFailed(peer: "rank \(peer)", reason: "bad published address \"\(address)\"")
            }
            let socket = try Socket.connect(host: String(address[..<colon]), port: port, until: deadline)
            // The data plane is not sealed (FlockComm's README, "Trust model").
            try Handshake.connect(
                socket, key: key, identity: identity(group: group, rank: rank), wantsSeal: false, until: deadline)
            socket.peer = "rank \(peer)"
            peers[peer] = socket
        }
        let arrivals = MeshArrivals(group: group, rank: rank, worldSize: worldSize, key: key)
        defer { arrivals.closeLeftovers() }
        while arrivals.count < worldSize - 1 - rank {
            guard !deadline.hasPassed else {
                let missing = (rank + 1..<worldSize).filter { !arrivals.hasArrived($0) }
                throw CommError.timeout(op: "connecting group \(group)", sequence: 0, missingRanks: missing)
            }
            // Short accepts, so arrivals whose handshakes finished are counted promptly.
            let slice = min(deadline, .after(.milliseconds(10)))
            if let socket = try? listener.accept(until: slice) {
                arrivals.handshake(socket, until: deadline)
            }
        }
        for (peer, socket) in arrivals.take() { peers[peer] = socket }
        return TCPTransport(rank: rank, worldSize: worldSize, peers: peers)
    }

    private static func identity(group: String, rank: Int) -> String { "group \(group) rank \(rank)" }

    static func parseRank(_ identity: String, group: String) -> Int? {
        let prefix = "group \(group) rank "
        guard identity.hasPrefix(prefix) else { return nil }
        return Int(identity.dropFirst(prefix.count))
    }

    // MARK: Exchanging

    private struct Sending {
        let socket: Socket
        let peer: Int
        let head: [UInt8]
        let payload: UnsafeRawBufferPointer
        var sent = 0
        var done: Bool { sent == head.count + payload.count }
    }

    private struct Receiving {
        let socket: Socket
        let message: IncomingMessage
        var head = [UInt8](repeating: 0, count: FrameHeader.size)
        var received = 0  // header and payload bytes together
        var notified = 0  // payload bytes already handed to onChunk
        var done: Bool { received == FrameHeader.size + message.buffer.count }
    }

    func exchange(
        sending: [OutgoingMessage], receiving: [IncomingMessage], until deadline: Deadline,
        slowAfter: Duration, onSlowWait: () -> Void
    ) throws {
        var sends = try sending.map { message -> Sending in
            var header = message.header
            header.length = UInt64(message.payload.count)
            return Sending(
                socket: try socket(message.peer), peer: message.peer, head: header.encoded(), payload: message.payload)
        }
        var receives = try receiving.map { Receiving(socket: try socket($0.peer), message: $0) }
        let slowDeadline = Deadline.after(slowAfter)
        var reportedSlow = false
        while true {
            var progressed = false
            for index in sends.indices where !sends[index].done {
                progressed = try advance(&sends[index]) || progressed
            }
            for index in receives.indices where !receives[index].done {
                progressed = try advance(&receives[index]) || progressed
            }
            let pendingSends = sends.filter { !$0.done }
            let pendingReceives = receives.filter { !$0.done }
            if pendingSends.isEmpty && pendingReceives.isEmpty { return }
            if progressed { continue }
            if deadline.hasPassed {
                let waiting = Set(pendingSends.map(\.peer) + pendingReceives.map(\.message.peer))
                throw TransportFailure.timedOut(waitingOn: waiting.sorted())
            }
            if !reportedSlow && slowDeadline.hasPassed {
                reportedSlow = true
                onSlowWait()
            }
            var events: [Int32: Int16] = [:]
            for send in pendingSends { events[send.socket.fd, default: 0] |= Int16(POLLOUT) }
            for receive in pendingReceives { events[receive.socket.fd, default: 0] |= Int16(POLLIN) }
            var descriptors = events.map { pollfd(fd: $0.key, events: $0.value, revents: 0) }
            let wait = reportedSlow ? deadline : min(deadline, slowDeadline)
            _ = poll(&descriptors, nfds_t(descriptors.count), max(1, wait.pollMilliseconds))
        }
    }

    private func socket(_ peer: Int) throws -> Socket {
        guard peer >= 0, peer < worldSize, let socket = peers[peer] else {
            throw TransportFailure.badFrame(peer: peer, reason: "no connection to rank \(peer)")
        }
        return socket
    }

    /// Sends what the socket takes now; whether anything moved.
    private func advance(_ send: inout Sending) throws -> Bool {
        let headLeft = max(0, send.head.count - send.sent)
        let payloadStart = max(0, send.sent - send.head.count)
        do {
            let moved = try send.head.withUnsafeBytes { head in
                try send.socket.sendSome([
                    UnsafeRawBufferPointer(rebasing: head[(head.count - headLeft)...]),
                    UnsafeRawBufferPointer(rebasing: send.payload[payloadStart...]),
                ])
            }
            send.sent += moved
            return moved > 0
        } catch let error as PeerGone {
            throw TransportFailure.peerGone(peer: send.peer, reason: error.reason)
        }
    }

    /// Receives what has arrived; checks the header once complete and hands finished
    /// chunks to the message's callback. Whether anything moved.
    private func advance(_ receive: inout Receiving) throws -> Bool {
        let message = receive.message
        var moved = 0
        do {
            if receive.received < FrameHeader.size {
                moved = try receive.head.withUnsafeMutableBytes {
                    try receive.socket.receiveSome(
                        into: UnsafeMutableRawBufferPointer(rebasing: $0[receive.received...]))
                }
                receive.received += moved
                if receive.received == FrameHeader.size { try check(receive) }
            } else {
                let offset = receive.received - FrameHeader.size
                moved = try receive.socket.receiveSome(
                    into: UnsafeMutableRawBufferPointer(rebasing: message.buffer[offset...]))
                receive.received += moved
            }
        } catch let error as PeerGone {
            throw TransportFailure.peerGone(peer: message.peer, reason: error.reason)
        }
        if let onChunk = message.onChunk, receive.received > FrameHeader.size {
            let payload = receive.received - FrameHeader.size
            let boundary = payload == message.buffer.count ? payload : payload / message.chunkBytes * message.chunkBytes
            if boundary > receive.notified {
                onChunk(receive.notified..<boundary)
                receive.notified = boundary
            }
        }
        return moved > 0
    }

    private func check(_ receive: Receiving) throws {
        let expected = receive.message.expected
        let header: FrameHeader
        do {
            header = try receive.head.withUnsafeBytes {
                try FrameHeader.decode($0, maxLength: .max, peer: "rank \(receive.message.peer)")
            }
        } catch {
            throw TransportFailure.badFrame(peer: receive.message.peer, reason: "\(error)")
        }
        var wanted = expected
        wanted.length = UInt64(receive.message.buffer.count)
        if header != wanted { throw TransportFailure.mismatch(peer: receive.message.peer, received: header) }
    }
}
