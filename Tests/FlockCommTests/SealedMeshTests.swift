import Foundation
import Synchronization
import Testing

@testable import FlockComm

#if canImport(Glibc)
    import Glibc
#endif

/// The collectives' data plane when sealed (issue 11): two ranks built in this process,
/// the second reaching the first through a relay on the path that can flip a byte, as a
/// man in the middle would.
@Suite("Sealed collective data plane")
struct SealedMeshTests {
    let token = "sealed-mesh-\(UUID())"

    /// A TCP relay on 127.0.0.1 to `port` that flips the byte at stream offset
    /// `tamperAt` of what the connecting side sends.
    final class TamperingRelay: Sendable {
        let port: Int
        /// Bytes passed from the connecting side so far.
        let forwarded = Atomic<Int>(0)
        let tamperAt = Atomic<Int>(-1)
        private let listener: Int32

        init(to target: Int) throws {
            let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let bound = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(listener, $0, length) == 0 && listen(listener, 1) == 0
                        && getsockname(listener, $0, &length) == 0
                }
            }
            guard bound else { throw CommError.connectionFailed(peer: "relay", reason: "cannot listen") }
            port = Int(UInt16(bigEndian: address.sin_port))
            self.listener = listener
            Thread.detachNewThread { [self] in
                let client = accept(listener, nil, nil)
                guard client >= 0,
                    let upstream = try? Socket.connect(host: "127.0.0.1", port: target, until: .after(.seconds(10)))
                else { return }
                let server = dup(upstream.fd)
                _ = fcntl(server, F_SETFL, fcntl(server, F_GETFL) & ~O_NONBLOCK)
                Thread.detachNewThread { Self.pump(from: server, to: client, tamper: nil) }
                Self.pump(from: client, to: server, tamper: self)
            }
        }

        deinit { close(listener) }

        private static func pump(from source: Int32, to destination: Int32, tamper relay: TamperingRelay?) {
            var buffer = [UInt8](repeating: 0, count: 1 << 16)
            while true {
                let count = read(source, &buffer, buffer.count)
                guard count > 0 else { break }
                if let relay {
                    let start = relay.forwarded.add(count, ordering: .relaxed).oldValue
                    let target = relay.tamperAt.load(ordering: .relaxed)
                    if (start..<start + count).contains(target) { buffer[target - start] ^= 0x40 }
                }
                guard write(destination, buffer, count) == count else { break }
            }
            shutdown(destination, Int32(SHUT_RDWR))
            shutdown(source, Int32(SHUT_RDWR))
        }
    }

    /// Builds a two-rank mesh under `policy`; rank 1 reaches rank 0 through a relay.
    func mesh(policy: SealPolicy) throws -> (rank0: TCPTransport, rank1: TCPTransport, relay: TamperingRelay) {
        let token = self.token
        let server = try RendezvousServer(host: "127.0.0.1", port: 0, token: token)
        let stores = try (0..<3).map { _ in
            try RendezvousStore(host: "127.0.0.1", port: server.port, token: token, timeout: .seconds(20))
        }
        let deadline = Deadline.after(.seconds(20))
        let rank0 = Mutex<Result<TCPTransport, any Error>?>(nil)
        let rank0Thread = Thread {
            let result = Result {
                try TCPTransport.connectMesh(
                    store: stores[0], group: "g", rank: 0, worldSize: 2, key: Handshake.key(token: token),
                    advertisedHost: "127.0.0.1",
                    seal: policy, until: deadline)
            }
            rank0.withLock { $0 = result }
        }
        rank0Thread.start()
        // Rank 0 published its listener; point rank 1 at the relay before it looks.
        let published = String(decoding: try stores[2].get("g/address/0"), as: UTF8.self)
        let relay = try TamperingRelay(to: Int(published.split(separator: ":").last!)!)
        try stores[2].set("g/address/0", Array("127.0.0.1:\(relay.port)".utf8))
        let rank1 = try TCPTransport.connectMesh(
            store: stores[1], group: "g", rank: 1, worldSize: 2, key: Handshake.key(token: token),
            advertisedHost: "127.0.0.1", seal: policy,
            until: deadline)
        while rank0.withLock({ $0 == nil }) { usleep(1000) }
        server.stop()
        return (try rank0.withLock { $0! }.get(), rank1, relay)
    }

    /// Rank 1 sends `payload` to rank 0, which receives it in chunks; rank 0's outcome.
    func send(_ payload: [UInt8], sequence: UInt64, over mesh: (rank0: TCPTransport, rank1: TCPTransport)) -> Result<
        [UInt8], any Error
    > {
        let header = FrameHeader(kind: .collective, opcode: 1, sequence: sequence, count: UInt64(payload.count))
        let sender = mesh.rank1
        let copy = payload
        let sent = Thread {
            copy.withUnsafeBytes { bytes in
                try? sender.exchange(
                    sending: [OutgoingMessage(peer: 0, header: header, payload: bytes)], receiving: [],
                    until: .after(.seconds(20)), slowAfter: .seconds(20), onSlowWait: {})
            }
        }
        sent.start()
        var received = [UInt8](repeating: 0, count: payload.count)
        var chunks: [Range<Int>] = []
        return Result {
            try received.withUnsafeMutableBytes { buffer in
                let message = IncomingMessage(
                    peer: 1, expected: header, buffer: buffer, chunkBytes: 256 << 10, onChunk: { chunks.append($0) })
                try mesh.rank0.exchange(
                    sending: [], receiving: [message], until: .after(.seconds(20)), slowAfter: .seconds(20),
                    onSlowWait: {})
            }
            // Chunks come in order, end to end, on chunk boundaries, and cover the message.
            #expect(zip(chunks, chunks.dropFirst()).allSatisfy { $0.upperBound == $1.lowerBound })
            #expect(chunks.dropLast().allSatisfy { $0.upperBound % (256 << 10) == 0 })
            #expect(payload.isEmpty || (chunks.first?.lowerBound == 0 && chunks.last?.upperBound == payload.count))
            return received
        }
    }

    @Test("a sealed mesh delivers every byte, in chunks as they land, for sizes around the record size")
    func sealedDelivery() throws {
        let mesh = try mesh(policy: .always)
        defer {
            mesh.rank0.abort()
            mesh.rank1.abort()
        }
        for (sequence, size) in [0, 1, 65_535, 65_536, 65_537, 3 << 20].enumerated() {
            let payload = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
            let outcome = send(payload, sequence: UInt64(sequence), over: (mesh.rank0, mesh.rank1))
            #expect(try outcome.get() == payload, "size \(size)")
        }
    }

    @Test("a byte flipped on the path fails authentication on a sealed mesh (and slips through a plain one)")
    func tamperingIsCaught() throws {
        let payload = [UInt8](repeating: 5, count: 1 << 20)
        for policy in [SealPolicy.always, .never] {
            let mesh = try mesh(policy: policy)
            defer {
                mesh.rank0.abort()
                mesh.rank1.abort()
            }
            #expect(try send(payload, sequence: 1, over: (mesh.rank0, mesh.rank1)).get() == payload)
            // A payload byte of the next message (past its 40-byte header).
            mesh.relay.tamperAt.store(mesh.relay.forwarded.load(ordering: .relaxed) + 1000, ordering: .relaxed)
            let outcome = send(payload, sequence: 2, over: (mesh.rank0, mesh.rank1))
            switch (policy, outcome) {
            case (.always, .failure(TransportFailure.badFrame(let peer, let reason))):
                #expect(peer == 1 && reason.contains("failed authentication"), "\(reason)")
            case (.never, .success(let received)):
                #expect(received != payload)  // what sealing protects against
            default:
                Issue.record("\(policy): unexpected \(outcome)")
            }
        }
    }
}
