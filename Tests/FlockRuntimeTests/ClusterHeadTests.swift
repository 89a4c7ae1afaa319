import NIOPosix
import Testing

@testable import FlockRuntime

@Suite("ClusterHead bookkeeping")
struct ClusterHeadTests {
    @Test("an object no reference holds (never made, or freed) is refused at once instead of awaited forever")
    func unknownObjects() async throws {
        let directory = try ObjectDirectory.create()
        defer { directory.removeAll() }
        let head = ClusterHead(
            eventLoop: MultiThreadedEventLoopGroup.singleton.next(),
            store: ObjectStore(directory: directory, memoryLimit: 1 << 20),
            peers: ObjectPeers(token: "t", defaultHost: "127.0.0.1"), offers: [])
        await #expect(throws: RuntimeError.unboundReference(999)) { _ = try await head.location(of: 999) }
        let id = head.reserveID()
        head.put(id, at: .inline([1, 2, 3]))
        #expect(try await head.location(of: id) == .inline([1, 2, 3]))
        head.release(id)
        await #expect(throws: RuntimeError.unboundReference(id)) { _ = try await head.location(of: id) }
        #expect(head.counts.objects == 0)
    }
}
