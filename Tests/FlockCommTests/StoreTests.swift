import Foundation
import Testing

@testable import FlockComm

@Suite("Rendezvous store and connection handshake")
struct StoreTests {
    let token = "store-test-token"

    @Test("set, get, wait, add, compare-and-set, delete and contains")
    func operations() throws {
        let server = try RendezvousServer(host: "127.0.0.1", port: 0, token: token)
        defer { server.stop() }
        let store = try RendezvousStore(host: "127.0.0.1", port: server.port, token: token, timeout: .seconds(10))
        try store.set("a", [1, 2, 3])
        #expect(try store.get("a") == [1, 2, 3])
        #expect(try store.contains(["a"]))
        #expect(try !store.contains(["a", "b"]))
        #expect(try store.add("counter", 5) == 5)
        #expect(try store.add("counter", -2) == 3)
        #expect(try store.get("counter") == Array("3".utf8))
        // compare-and-set: only the first of two identical attempts wins.
        #expect(try store.compareAndSet("leader", expected: nil, desired: [7]) == [7])
        #expect(try store.compareAndSet("leader", expected: nil, desired: [8]) == [7])
        #expect(try store.compareAndSet("leader", expected: [7], desired: [9]) == [9])
        #expect(try store.delete("leader"))
        #expect(try !store.delete("leader"))
        #expect(throws: CommError.self) { try store.add("a", 1) }  // not an integer
        try store.wait(for: ["a", "counter"], timeout: .seconds(1))
    }

    @Test("waiting for a missing key times out naming it; a key set by another client wakes the waiter")
    func waiting() throws {
        let server = try RendezvousServer(host: "127.0.0.1", port: 0, token: token)
        defer { server.stop() }
        let store = try RendezvousStore(host: "127.0.0.1", port: server.port, token: token)
        let started = Date()
        #expect {
            try store.get("never", timeout: .milliseconds(300))
        } throws: { error in
            "\(error)".contains("never")
        }
        #expect(Date().timeIntervalSince(started) < 5)
        let setter = try RendezvousStore(host: "127.0.0.1", port: server.port, token: token)
        let thread = Thread {
            Thread.sleep(forTimeInterval: 0.2)
            try? setter.set("late", [42])
        }
        thread.start()
        #expect(try store.get("late", timeout: .seconds(10)) == [42])
    }

    @Test("keys outlive connections, and a client whose connection broke reconnects")
    func reconnecting() throws {
        let server = try RendezvousServer(host: "127.0.0.1", port: 0, token: token)
        defer { server.stop() }
        do {
            let first = try RendezvousStore(host: "127.0.0.1", port: server.port, token: token)
            try first.set("kept", [1])
        }
        let second = try RendezvousStore(host: "127.0.0.1", port: server.port, token: token)
        #expect(try second.get("kept") == [1])
        second.socket?.shutdown()
        #expect(try second.get("kept") == [1])
        #expect(try second.add("n", 1) == 1)
    }

    @Test("a wrong token, another protocol version, garbage and an oversize frame are refused; others carry on")
    func strangers() throws {
        let server = try RendezvousServer(host: "127.0.0.1", port: 0, token: token)
        defer { server.stop() }
        let good = try RendezvousStore(host: "127.0.0.1", port: server.port, token: token)
        try good.set("x", [1])
        #expect {
            try RendezvousStore(host: "127.0.0.1", port: server.port, token: "wrong", timeout: .seconds(5))
        } throws: { error in
            "\(error)".contains("authentication failed")
        }
        let deadline = Deadline.after(.seconds(5))
        let old = try Socket.connect(host: "127.0.0.1", port: server.port, until: deadline)
        #expect {
            try Handshake.connect(
                old, key: Handshake.key(token: token), identity: "old", wantsSeal: false, until: deadline, version: 99)
        } throws: { error in
            "\(error)".contains("protocol version mismatch")
        }
        // Garbage instead of a handshake: the server drops the connection.
        let noisy = try Socket.connect(host: "127.0.0.1", port: server.port, until: deadline)
        let garbage = [UInt8](repeating: 0xAB, count: 200)
        try garbage.withUnsafeBytes { try noisy.sendAll([$0], until: deadline) }
        #expect(try noisy.receiveFrame(maxLength: 4096, until: deadline).0.kind == .hello)
        #expect(throws: PeerGone.self) { try noisy.receiveFrame(maxLength: 4096, until: deadline) }
        // An authenticated client announcing a 1 TB frame is cut off without allocating it.
        let greedy = try Socket.connect(host: "127.0.0.1", port: server.port, until: deadline)
        try Handshake.connect(
            greedy, key: Handshake.key(token: token), identity: "greedy", wantsSeal: false, until: deadline)
        let huge = FrameHeader(kind: .storeRequest, opcode: 1, sequence: 1, length: 1 << 40).encoded()
        try huge.withUnsafeBytes { try greedy.sendAll([$0], until: deadline) }
        #expect(throws: PeerGone.self) { try greedy.receiveFrame(maxLength: 4096, until: deadline) }
        // The well-behaved client never noticed.
        #expect(try good.get("x") == [1])
    }

    @Test("frame headers round-trip and reject bad magic and oversize lengths")
    func frames() throws {
        let header = FrameHeader(
            kind: .collective, opcode: 3, dtype: 1, reduce: 2, sequence: 99, count: 1234, root: -1, length: 512)
        let bytes = header.encoded()
        #expect(bytes.count == FrameHeader.size)
        #expect(try bytes.withUnsafeBytes { try FrameHeader.decode($0, maxLength: 512, peer: "t") } == header)
        #expect(throws: CommError.self) {
            try bytes.withUnsafeBytes { try FrameHeader.decode($0, maxLength: 511, peer: "t") }
        }
        var bad = bytes
        bad[0] ^= 0xFF
        #expect(throws: CommError.self) {
            try bad.withUnsafeBytes { try FrameHeader.decode($0, maxLength: 512, peer: "t") }
        }
        bad = bytes
        bad[4] = 200  // unknown kind
        #expect(throws: CommError.self) {
            try bad.withUnsafeBytes { try FrameHeader.decode($0, maxLength: 512, peer: "t") }
        }
    }
}

@Suite("Sealed frames after the handshake")
struct FrameSealTests {
    let key = Handshake.key(token: "seal-test")

    /// Both sides' keys from an in-memory handshake.
    func sessionKeys() throws -> (acceptor: Handshake.SessionKeys, connector: Handshake.SessionKeys) {
        let acceptor = Handshake.Acceptor(key: key)
        var connector = Handshake.Connector(key: key, identity: "rank 1")
        let authenticate = try connector.authenticate(hello: acceptor.hello, peer: "t")
        let (_, accept, acceptorKeys) = try acceptor.verify(authenticate: authenticate, peer: "t")
        return (acceptorKeys, try connector.finish(kind: .accept, payload: accept, peer: "t"))
    }

    @Test("frames open on the other side only, once, in order, unaltered")
    func sealing() throws {
        let (acceptorKeys, connectorKeys) = try sessionKeys()
        var connector = FrameSeal(connectorKeys)
        var acceptor = FrameSeal(acceptorKeys)
        var header = FrameHeader(kind: .storeRequest, opcode: 1, sequence: 5)
        let sealed = try connector.seal(&header, payload: [1, 2, 3])
        #expect(sealed.count == 3 + FrameSeal.overhead && header.length == UInt64(sealed.count))
        #expect(!sealed.starts(with: [1, 2, 3]))
        #expect(try acceptor.open(header, sealed: sealed, peer: "t") == [1, 2, 3])
        #expect(throws: CommError.self) { try acceptor.open(header, sealed: sealed, peer: "t") }  // replayed
        var fresh = FrameSeal(acceptorKeys)
        var tampered = sealed
        tampered[0] ^= 1
        #expect(throws: CommError.self) { try fresh.open(header, sealed: tampered, peer: "t") }
        var otherHeader = header
        otherHeader.opcode = 6  // the header is authenticated too
        #expect(throws: CommError.self) { try fresh.open(otherHeader, sealed: sealed, peer: "t") }
        var reflected = FrameSeal(connectorKeys)  // a frame sent back to its sender
        #expect(throws: CommError.self) { try reflected.open(header, sealed: sealed, peer: "t") }
    }

    @Test("frames are sealed when either side asks; the wishes cannot be changed on the way")
    func sealWishes() throws {
        for (acceptorWish, connectorWish) in [(false, false), (true, false), (false, true), (true, true)] {
            let acceptor = Handshake.Acceptor(key: key, wantsSeal: acceptorWish)
            var connector = Handshake.Connector(key: key, identity: "rank 1", wantsSeal: connectorWish)
            let authenticate = try connector.authenticate(hello: acceptor.hello, peer: "t")
            let (_, accept, keys) = try acceptor.verify(authenticate: authenticate, peer: "t")
            let connectorKeys = try connector.finish(kind: .accept, payload: accept, peer: "t")
            #expect(keys.sealed == (acceptorWish || connectorWish) && connectorKeys.sealed == keys.sealed)
        }
        // A man in the middle clears the acceptor's wish in its hello: the handshake fails.
        let acceptor = Handshake.Acceptor(key: key, wantsSeal: true)
        var hello = acceptor.hello
        hello[hello.count - 1] = 0
        var connector = Handshake.Connector(key: key, identity: "rank 1", wantsSeal: false)
        let authenticate = try connector.authenticate(hello: hello, peer: "t")
        #expect(throws: Handshake.Rejection.self) { try acceptor.verify(authenticate: authenticate, peer: "t") }
    }

    @Test("a stranger who relays a real peer's handshake cannot use the connection")
    func relayedHandshake() throws {
        let server = try RendezvousServer(host: "127.0.0.1", port: 0, token: "seal-test")
        defer { server.stop() }
        let deadline = Deadline.after(.seconds(5))
        // The stranger connects, and has a real peer (which knows the token) answer the hello.
        let stranger = try Socket.connect(host: "127.0.0.1", port: server.port, until: deadline)
        let (_, hello) = try stranger.receiveFrame(maxLength: Handshake.maxFrame, until: deadline)
        var victim = Handshake.Connector(key: key, identity: "store client")
        let authenticate = try victim.authenticate(hello: hello, peer: "relay")
        try stranger.sendFrame(FrameHeader(kind: .authenticate), payload: authenticate, until: deadline)
        #expect(try stranger.receiveFrame(maxLength: Handshake.maxFrame, until: deadline).0.kind == .accept)
        // Authenticated, but without the session keys: its request is refused and it is cut off.
        let request = StoreRequest.set(key: "planted", value: [1])
        try stranger.sendFrame(
            FrameHeader(kind: .storeRequest, opcode: request.opcode, sequence: 1), payload: request.encoded(),
            until: deadline)
        #expect(throws: PeerGone.self) { try stranger.receiveFrame(maxLength: 4096, until: deadline) }
        let honest = try RendezvousStore(host: "127.0.0.1", port: server.port, token: "seal-test", timeout: .seconds(5))
        #expect(try !honest.contains(["planted"]))
    }
}
