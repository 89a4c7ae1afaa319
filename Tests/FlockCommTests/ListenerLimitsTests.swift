import FlockTestSupport
import Foundation
import NIOCore
import Testing

@testable import FlockComm

/// What a stranger who can reach the store's or a rank's port can and cannot do (issue 11):
/// idle connections cost no thread, silence is cut off, floods are shed, and the job's own
/// peers get through all the same.
@Suite("Listener limits before authentication")
struct ListenerLimitsTests {
    let token = "limits-\(UUID())"

    /// Connects a raw socket that will never authenticate.
    func silentConnection(port: Int) throws -> Socket {
        try Socket.connect(host: "127.0.0.1", port: port, until: .after(.seconds(10)))
    }

    /// The number of threads of this process (Linux: /proc/self/status).
    func threadCount() throws -> Int {
        let status = try String(contentsOfFile: "/proc/self/status", encoding: .utf8)
        let line = status.split(separator: "\n").first { $0.hasPrefix("Threads:") } ?? ""
        return Int(line.split(separator: "\t").last.map(String.init) ?? "") ?? 0
    }

    /// Whether the server closed `socket` by `deadline` (it may first send its hello).
    func closedByServer(_ socket: Socket, until deadline: Deadline) -> Bool {
        while true {
            do {
                _ = try socket.receiveFrame(maxLength: Handshake.maxFrame, until: deadline)
            } catch is PeerGone {
                return true
            } catch {
                return false  // timed out (or a bad frame): not closed
            }
        }
    }

    @Test("1,000 idle connections cost no threads and leave the store serving a real client")
    func idleConnections() throws {
        let server = try RendezvousServer(host: "127.0.0.1", port: 0, token: token)
        defer { server.stop() }
        let threadsBefore = try threadCount()
        var idle: [Socket] = []
        for _ in 0..<1000 { idle.append(try silentConnection(port: server.port)) }
        defer { for socket in idle { socket.shutdown() } }
        let store = try RendezvousStore(host: "127.0.0.1", port: server.port, token: token, timeout: .seconds(10))
        try store.set("alive", [1])
        #expect(try store.get("alive") == [1])
        // A thread per connection (the old design) would add a thousand.
        #expect(try threadCount() - threadsBefore < 50)
    }

    @Test("a connection that says nothing is closed at the handshake deadline")
    func handshakeDeadline() throws {
        var limits = ChannelLimits()
        limits.handshakeTimeout = .milliseconds(300)
        let server = try RendezvousServer(host: "127.0.0.1", port: 0, token: token, limits: limits)
        defer { server.stop() }
        let silent = try silentConnection(port: server.port)
        let started = ContinuousClock.now
        #expect(closedByServer(silent, until: .after(.seconds(5))))
        #expect(ContinuousClock.now - started < .seconds(3))
    }

    @Test("a flood of unauthenticated connections displaces the oldest, and a real client gets in")
    func pendingCap() throws {
        var limits = ChannelLimits()
        limits.maxPendingHandshakes = 4
        let server = try RendezvousServer(host: "127.0.0.1", port: 0, token: token, limits: limits)
        defer { server.stop() }
        var flood: [Socket] = []
        for _ in 0..<10 { flood.append(try silentConnection(port: server.port)) }
        defer { for socket in flood { socket.shutdown() } }
        // Six (the oldest the listener admitted; admission order may differ from connection
        // order across event loops) are closed long before the 5 s handshake deadline.
        Thread.sleep(forTimeInterval: 0.5)
        let closed = flood.filter { closedByServer($0, until: .after(.milliseconds(300))) }
        #expect(closed.count == 6)
        let store = try RendezvousStore(host: "127.0.0.1", port: server.port, token: token, timeout: .seconds(5))
        try store.set("in", [2])
        #expect(try store.get("in") == [2])
    }

    @Test("connections above the listener's limit are refused; the ones inside keep working")
    func connectionCap() throws {
        var limits = ChannelLimits()
        limits.maxConnections = 3
        let server = try RendezvousServer(host: "127.0.0.1", port: 0, token: token, limits: limits)
        defer { server.stop() }
        let clients = try (0..<3).map { _ in
            try RendezvousStore(host: "127.0.0.1", port: server.port, token: token, timeout: .seconds(5))
        }
        #expect(throws: (any Error).self) {
            try RendezvousStore(host: "127.0.0.1", port: server.port, token: token, timeout: .seconds(1))
        }
        for (index, client) in clients.enumerated() { try client.set("k\(index)", [UInt8(index)]) }
        #expect(try clients[0].get("k2") == [2])
    }

    @Test("a stranger announcing a 64 MiB frame before authenticating is cut off at once")
    func preAuthenticationFrameLimit() throws {
        let server = try RendezvousServer(host: "127.0.0.1", port: 0, token: token)
        defer { server.stop() }
        let deadline = Deadline.after(.seconds(3))
        let stranger = try silentConnection(port: server.port)
        let header = FrameHeader(kind: .authenticate, length: 64 << 20).encoded()
        try header.withUnsafeBytes { try stranger.sendAll([$0], until: deadline) }
        #expect(closedByServer(stranger, until: deadline))
    }

    @Test("a silent stranger on a rank's mesh port neither stalls the group nor gets blamed")
    func silentStrangerOnMesh() throws {
        let server = try RendezvousServer(host: "127.0.0.1", port: 0, token: token)
        defer { server.stop() }
        let stores = try (0..<2).map { _ in
            try RendezvousStore(host: "127.0.0.1", port: server.port, token: token, timeout: .seconds(20))
        }
        let group = GroupBox()
        let rankZero = Thread {
            group.set(
                Result {
                    try ProcessGroup(store: stores[0], rank: 0, worldSize: 2, token: token, timeout: .seconds(20))
                })
        }
        rankZero.start()
        // Rank 0 has published its mesh address: a stranger connects there first and stays silent.
        let address = String(decoding: try stores[1].get("world/address/0"), as: UTF8.self)
        let port = Int(address.split(separator: ":").last ?? "") ?? 0
        let stranger = try silentConnection(port: port)
        defer { stranger.shutdown() }
        Thread.sleep(forTimeInterval: 0.1)  // let rank 0 accept the stranger before rank 1 comes
        let started = ContinuousClock.now
        let rankOne = try ProcessGroup(store: stores[1], rank: 1, worldSize: 2, token: token, timeout: .seconds(20))
        let rankZeroGroup = try group.wait(until: .after(.seconds(20)))
        #expect(ContinuousClock.now - started < .seconds(4))
        #expect(rankOne.worldSize == 2 && rankZeroGroup.rank == 0)
    }
}

/// Hands a group made on another thread to the test.
final class GroupBox: @unchecked Sendable {  // state behind `condition`
    private let condition = NSCondition()
    private var result: Result<ProcessGroup, any Error>?

    func set(_ value: Result<ProcessGroup, any Error>) {
        condition.withLock {
            result = value
            condition.broadcast()
        }
    }

    func wait(until deadline: Deadline) throws -> ProcessGroup {
        try condition.withLock {
            while result == nil, !deadline.hasPassed {
                _ = condition.wait(until: Date(timeIntervalSinceNow: 0.05))
            }
            guard let result else { throw CommError.store(reason: "rank 0's group never came") }
            return try result.get()
        }
    }
}

@Suite("A store out of file descriptors")
struct DescriptorExhaustionTests {
    @Test("accept() failing with EMFILE does not end the store's accepting: it serves once descriptors free up")
    func emfile() throws {
        let token = "descriptors-\(UUID())"
        let server = try TestProcess(
            WorkerJob.workerPath, ["store-few-descriptors"], environment: ["FLOCK_TOKEN": token])
        #expect(server.waitFor(seconds: 30) { $0.contains("\n") }, "\(server.output)")
        let line = server.output.split(separator: "\n").first.map(String.init) ?? ""
        let port = try #require(Int(line.split(separator: " ").last ?? ""), "\(server.output)")
        // 100 connections exhaust the server's 64 descriptors (accept fails with EMFILE).
        var flood: [Socket] = []
        for _ in 0..<100 { flood.append(try Socket.connect(host: "127.0.0.1", port: port, until: .after(.seconds(5)))) }
        Thread.sleep(forTimeInterval: 0.5)
        for socket in flood { socket.shutdown() }
        flood.removeAll()
        // Once they close, a real client gets in.
        let store = try RendezvousStore(host: "127.0.0.1", port: port, token: token, timeout: .seconds(20))
        try store.set("after", [1])
        #expect(try store.get("after") == [1])
        #expect(server.process.isRunning)
    }
}
