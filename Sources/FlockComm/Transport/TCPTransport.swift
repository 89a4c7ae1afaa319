import Crypto
import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A full mesh of authenticated TCP connections between the ranks of a group, and the
/// poll(2) loop that moves an exchange's messages over them. Sockets are non-blocking,
/// so one thread keeps every send and receive of an exchange moving at once (full
/// duplex: a ring step sends right while it receives from the left). A connection whose
/// handshake agreed on sealing (`SealPolicy`: between machines by default) carries every
/// message as AES-GCM records (`FrameSeal`), opened in the receiver's buffer.
final class TCPTransport: Transport, @unchecked Sendable {  // `seals`: the communication thread's only
    let rank: Int
    let worldSize: Int
    private let peers: [Socket?]
    /// Each sealed connection's seal, by peer; nil for a plain one.
    private var seals: [FrameSeal?]

    private init(rank: Int, worldSize: Int, links: [(socket: Socket, seal: FrameSeal?)?]) {
        self.rank = rank
        self.worldSize = worldSize
        self.peers = links.map { $0?.socket }
        self.seals = links.map { $0?.seal }
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
        seal: SealPolicy = .configured, until deadline: Deadline
    ) throws -> TCPTransport {
        var links = [(socket: Socket, seal: FrameSeal?)?](repeating: nil, count: worldSize)
        guard worldSize > 1 else { return TCPTransport(rank: rank, worldSize: worldSize, links: links) }
        let listener = try Socket.listen(host: DistributedEnvironment.bindAddress(for: advertisedHost), port: 0)
        defer { listener.shutdown() }
        try store.set("\(group)/address/\(rank)", Array("\(advertisedHost):\(listener.localPort)".utf8))
        let remaining = Duration.milliseconds(Int64(max(1, deadline.pollMilliseconds)))
        for peer in 0..<rank {
            let address = String(decoding: try store.get("\(group)/address/\(peer)", timeout: remaining), as: UTF8.self)
            guard let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]) else {
                throw CommError.connectionFailed(peer: "rank \(peer)", reason: "bad published address \"\(address)\"")
            }
            let host = String(address[..<colon])
            let socket = try Socket.connect(host: host, port: port, until: deadline)
            let keys = try Handshake.connect(
                socket, key: key, identity: identity(group: group, rank: rank), wantsSeal: seal.wantsSeal(peer: host),
                until: deadline)
            socket.peer = "rank \(peer)"
            links[peer] = (socket, keys.sealed ? FrameSeal(keys) : nil)
        }
        let arrivals = MeshArrivals(group: group, rank: rank, worldSize: worldSize, key: key, seal: seal)
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
        for (peer, link) in arrivals.take() { links[peer] = link }
        return TCPTransport(rank: rank, worldSize: worldSize, links: links)
    }

    private static func identity(group: String, rank: Int) -> String { "group \(group) rank \(rank)" }

    static func parseRank(_ identity: String, group: String) -> Int? {
        let prefix = "group \(group) rank "
        guard identity.hasPrefix(prefix) else { return nil }
        return Int(identity.dropFirst(prefix.count))
    }

    // MARK: Exchanging

    /// Plain bytes per sealed record of a collective message.
    static let sealedRecordBytes = CollectiveThresholds.sealedRecordBytes

    /// Records a sealed message of `count` payload bytes is cut into (one at least, so
    /// even an empty message authenticates its header).
    private static func recordCount(_ count: Int) -> Int { max(1, (count + sealedRecordBytes - 1) / sealedRecordBytes) }

    private static func recordRange(_ index: Int, of count: Int) -> Range<Int> {
        index * sealedRecordBytes..<min(count, (index + 1) * sealedRecordBytes)
    }

    /// One outgoing message: `staged` (the header, or the current sealed record) goes out
    /// first, then, on a plain connection, the payload straight from the caller's memory.
    private struct Sending {
        let socket: Socket
        let peer: Int
        let header: [UInt8]
        let payload: UnsafeRawBufferPointer
        let sealed: Bool
        var staged: Data
        var stagedSent = 0
        var payloadTaken = 0  // payload bytes sent (plain) or sealed into records
        var recordsSealed = 0
        var done: Bool {
            stagedSent == staged.count && payloadTaken == payload.count
                && (!sealed || recordsSealed == TCPTransport.recordCount(payload.count))
        }
    }

    /// One incoming message. On a sealed connection each record's ciphertext lands in the
    /// caller's buffer and is opened there once its tag has arrived.
    private struct Receiving {
        let socket: Socket
        let message: IncomingMessage
        let sealed: Bool
        var head = [UInt8](repeating: 0, count: FrameHeader.size)
        var headReceived = 0
        var payloadReceived = 0  // plain or ciphertext bytes in the buffer
        var tag = [UInt8](repeating: 0, count: FrameSeal.overhead)
        var tagReceived = 0
        var recordsOpened = 0
        var delivered = 0  // plain bytes ready for the caller
        var notified = 0  // of those, already handed to onChunk
        var done: Bool {
            headReceived == FrameHeader.size && delivered == message.buffer.count
                && (!sealed || recordsOpened == TCPTransport.recordCount(message.buffer.count))
        }
    }

    func exchange(
        sending: [OutgoingMessage], receiving: [IncomingMessage], until deadline: Deadline,
        slowAfter: Duration, onSlowWait: () -> Void
    ) throws {
        var sends = try sending.map { message -> Sending in
            var header = message.header
            header.length = UInt64(message.payload.count)
            let head = header.encoded()
            return Sending(
                socket: try socket(message.peer), peer: message.peer, header: head, payload: message.payload,
                sealed: seals[message.peer] != nil, staged: Data(head))
        }
        var receives = try receiving.map {
            Receiving(socket: try socket($0.peer), message: $0, sealed: seals[$0.peer] != nil)
        }
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

    /// Sends what the socket takes now, sealing the next record when the staged bytes
    /// are out; whether anything moved.
    private func advance(_ send: inout Sending) throws -> Bool {
        if send.sealed, send.stagedSent == send.staged.count {
            let range = Self.recordRange(send.recordsSealed, of: send.payload.count)
            do {
                send.staged = try seals[send.peer]!.sealRecord(
                    UnsafeRawBufferPointer(rebasing: send.payload[range]), authenticating: send.header)
            } catch {
                throw TransportFailure.badFrame(peer: send.peer, reason: "sealing failed: \(error)")
            }
            send.stagedSent = 0
            send.payloadTaken = range.upperBound
            send.recordsSealed += 1
        }
        let direct = send.sealed ? send.payload.count : send.payloadTaken  // plain payload goes out unstaged
        do {
            let moved = try send.staged.withUnsafeBytes { staged in
                try send.socket.sendSome([
                    UnsafeRawBufferPointer(rebasing: staged[send.stagedSent...]),
                    UnsafeRawBufferPointer(rebasing: send.payload[direct...]),
                ])
            }
            let fromStaged = min(moved, send.staged.count - send.stagedSent)
            send.stagedSent += fromStaged
            if !send.sealed { send.payloadTaken += moved - fromStaged }
            return moved > 0
        } catch let error as PeerGone {
            throw TransportFailure.peerGone(peer: send.peer, reason: error.reason)
        }
    }

    /// Receives what has arrived: the header (checked once complete), then the payload,
    /// or on a sealed connection each record and its tag (opened once complete); hands
    /// finished chunks to the message's callback. Whether anything moved.
    private func advance(_ receive: inout Receiving) throws -> Bool {
        let message = receive.message
        var moved = 0
        do {
            if receive.headReceived < FrameHeader.size {
                moved = try receive.head.withUnsafeMutableBytes {
                    try receive.socket.receiveSome(
                        into: UnsafeMutableRawBufferPointer(rebasing: $0[receive.headReceived...]))
                }
                receive.headReceived += moved
                if receive.headReceived == FrameHeader.size { try check(receive) }
            } else if !receive.sealed {
                moved = try receive.socket.receiveSome(
                    into: UnsafeMutableRawBufferPointer(rebasing: message.buffer[receive.payloadReceived...]))
                receive.payloadReceived += moved
                receive.delivered = receive.payloadReceived
            } else {
                moved = try receiveSealed(&receive)
            }
        } catch let error as PeerGone {
            throw TransportFailure.peerGone(peer: message.peer, reason: error.reason)
        }
        if let onChunk = message.onChunk {
            let ready = receive.delivered
            let boundary = ready == message.buffer.count ? ready : ready / message.chunkBytes * message.chunkBytes
            if boundary > receive.notified {
                onChunk(receive.notified..<boundary)
                receive.notified = boundary
            }
        }
        return moved > 0
    }

    /// Receives the rest of the current sealed record, then its tag, and opens it in place.
    private func receiveSealed(_ receive: inout Receiving) throws -> Int {
        let buffer = receive.message.buffer
        let record = Self.recordRange(receive.recordsOpened, of: buffer.count)
        if receive.payloadReceived < record.upperBound {
            let moved = try receive.socket.receiveSome(
                into: UnsafeMutableRawBufferPointer(rebasing: buffer[receive.payloadReceived..<record.upperBound]))
            receive.payloadReceived += moved
            return moved
        }
        let moved = try receive.tag.withUnsafeMutableBytes {
            try receive.socket.receiveSome(into: UnsafeMutableRawBufferPointer(rebasing: $0[receive.tagReceived...]))
        }
        receive.tagReceived += moved
        guard receive.tagReceived == FrameSeal.overhead else { return moved }
        let peer = receive.message.peer
        do {
            try receive.tag.withUnsafeBytes { tag in
                try seals[peer]!.openRecord(
                    ciphertext: UnsafeRawBufferPointer(rebasing: buffer[record]), tag: tag,
                    authenticating: receive.head, into: UnsafeMutableRawBufferPointer(rebasing: buffer[record]),
                    peer: "rank \(peer)")
            }
        } catch {
            throw TransportFailure.badFrame(peer: peer, reason: "\(error)")
        }
        receive.tagReceived = 0
        receive.recordsOpened += 1
        receive.delivered = record.upperBound
        return moved
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
