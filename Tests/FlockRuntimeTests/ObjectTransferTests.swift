import FlockComm
import Foundation
import NIOCore
import Testing

@testable import FlockRuntime

/// Pulling objects between two nodes' stores (`ObjectServer`, `ObjectPeers`), in process.
@Suite("object transfer between nodes")
struct ObjectTransferTests {
    /// This process's anonymous resident memory (heap, not mapped files), in bytes.
    static func anonymousResident() -> Int {
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("RssAnon:") } ?? ""
        return (Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0) * 1024
    }

    @Test("a puller that does not read gets a stream, not a 256 MiB object queued in the server's memory")
    func slowPuller() async throws {
        let holder = try ObjectDirectory.create(node: 1)
        defer { holder.removeAll() }
        let location = try holder.store([Float](repeating: 3, count: 64 << 20), as: 11)  // 256 MiB
        let server = try await ObjectServer.listen(host: "127.0.0.1", token: "job", directory: holder)
        defer { server.close(promise: nil) }
        let before = Self.anonymousResident()
        // A puller that asks for the object and then reads nothing.
        let client = try await FrameChannel.connect(
            host: "127.0.0.1", port: server.localAddress?.port ?? 0, token: "job", identity: "slow puller"
        ) { [] }
        defer { client.close(promise: nil) }
        try await client.setOption(.autoRead, value: false).get()
        try await client.writeAndFlush(ObjectMessage.request(11).frame)
        try await Task.sleep(for: .milliseconds(500))
        #expect(location.node == 1)
        // The whole object queued would add 256 MiB; the bound leaves room for what the
        // tests running beside this one allocate meanwhile (up to 117 MiB seen, with the
        // in-memory collectives' threads and their malloc arenas).
        #expect(Self.anonymousResident() - before < 176 << 20, "the server queued the object in memory")
    }

    @Test("a pull from a server that never answers fails at the stall timeout, naming the node")
    func stalledServer() async throws {
        let puller = try ObjectDirectory.create(node: 0)
        defer { puller.removeAll() }
        // Authenticates, then ignores every request.
        let mute = try await FrameChannel.listen(host: "127.0.0.1", port: 0, token: "job") { [] }
        defer { mute.close(promise: nil) }
        let peers = ObjectPeers(
            token: "job", defaultHost: "127.0.0.1", addresses: [1: "127.0.0.1:\(mute.localAddress?.port ?? 0)"],
            stallTimeout: .milliseconds(300))
        // Without the stall timeout this pull would wait forever. (No bound on the time: under
        // the full suite, async tests wait for the 2-thread cooperative pool for seconds.)
        do {
            try await peers.makeLocal(3, at: .stored(size: 1 << 20, node: 1), in: puller)
            Issue.record("a pull from a mute server succeeded")
        } catch {
            #expect("\(error)".contains("stopped sending after 0 of 1048576 bytes"), "\(error)")
        }
        #expect(!puller.holds(3))
    }

    @Test("an object pulled from another node's server arrives intact; a missing one and a wrong token fail clearly")
    func pull() async throws {
        let holder = try ObjectDirectory.create(node: 1)
        let puller = try ObjectDirectory.create(node: 0)
        defer {
            holder.removeAll()
            puller.removeAll()
        }
        // Over one chunk, not a multiple of it: the last chunk is short.
        let values = (0..<(1_500_000)).map { Float($0) }
        let location = try holder.store(values, as: 7)
        #expect(location.node == 1)
        let server = try await ObjectServer.listen(host: "127.0.0.1", token: "job", directory: holder)
        defer { server.close(promise: nil) }
        let address = "127.0.0.1:\(server.localAddress?.port ?? 0)"

        let peers = ObjectPeers(token: "job", defaultHost: "127.0.0.1", addresses: [1: address])
        // Several readers at once share one pull.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<4 { group.addTask { try await peers.makeLocal(7, at: location, in: puller) } }
            try await group.waitForAll()
        }
        let bytes = try puller.read(7, at: location)
        let read = try bytes.withUnsafeBytes { Array(try ObjectCoding.elements(Float.self, in: $0)) }
        #expect(read == values)
        // Already here: no second pull (the server is not asked).
        try await peers.makeLocal(7, at: location, in: puller)

        await #expect(throws: RuntimeError.self) {
            try await peers.makeLocal(8, at: .stored(size: 100_000, node: 1), in: puller)
        }
        do {
            try await peers.makeLocal(8, at: .stored(size: 100_000, node: 1), in: puller)
        } catch {
            #expect("\(error)".contains("does not hold it"), "\(error)")
        }
        #expect(!puller.holds(8))

        let strangers = ObjectPeers(token: "wrong", defaultHost: "127.0.0.1", addresses: [1: address])
        do {
            try await strangers.makeLocal(9, at: .stored(size: 100_000, node: 1), in: puller)
            Issue.record("a pull with a wrong token succeeded")
        } catch {
            #expect("\(error)".contains("cannot be reached"), "\(error)")
        }
        do {
            try await peers.makeLocal(9, at: .stored(size: 100_000, node: 5), in: puller)
            Issue.record("a pull from an unknown node succeeded")
        } catch {
            #expect("\(error)".contains("no object server of node 5"), "\(error)")
        }
    }

    @Test("object messages survive the wire; an unknown opcode and a short payload are refused")
    func messages() throws {
        let messages: [ObjectMessage] = [
            .request(3), .chunk(id: 3, total: 10, offset: 4, bytes: [1, 2, 3]), .missing(id: 3, reason: "gone"),
        ]
        for message in messages { #expect(try ObjectMessage(message.frame, peer: "test") == message) }
        #expect(throws: CommError.self) { try ObjectMessage(Frame(runtime: 51, payload: []), peer: "test") }
        #expect(throws: CommError.self) { try ObjectMessage(Frame(runtime: 48, payload: [1, 2]), peer: "test") }
    }
}
