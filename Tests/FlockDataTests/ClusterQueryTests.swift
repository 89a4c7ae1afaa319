import FlockTestSupport
import Testing

/// Distributed queries on a local cluster of two worker processes (FlockDataTestWorker).
@Suite("Queries on a local cluster", .serialized)
struct ClusterQueryTests {
    func run(_ scenario: String) throws -> (Int32, String) {
        try TestProcess.run(TestBinary.path("FlockDataTestWorker"), [scenario], within: 180)
    }

    @Test(
        "group-bys, joins of every kind (broadcast, shuffled, and chosen from measured sizes), union, distinct, top-n, windows and persisted tables give the in-process rows, floats bit for bit"
    )
    func operators() throws {
        let (status, output) = try run("operators")
        #expect(status == 0 && output.contains("ok"), "\(output)")
    }

    @Test("kill -9 of a worker mid-shuffle: the query finishes with the same answer")
    func killedWorker() throws {
        let (status, output) = try run("kill")
        #expect(status == 0 && output.contains("ok"), "\(output)")
    }
}
