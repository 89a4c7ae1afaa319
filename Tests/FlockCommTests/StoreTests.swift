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
            try Handshake.connect(old, key: Handshake.key(token: token), identity: "old", until: deadline, version: 99)
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
        try Handshake.connect(greedy, key: Handshake.key(token: token), identity: "greedy", until: deadline)
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
