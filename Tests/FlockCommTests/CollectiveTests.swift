import FlockTestSupport
import Foundation
import Testing

@testable import FlockComm

/// Collectives across real processes on 127.0.0.1 (see WorkerJob and the worker's
/// scenarios). Serialized: each job already uses every core.
@Suite("Collectives across real processes", .serialized)
struct CollectiveTests {
    @Test("every collective and dtype matches a local reference", arguments: 1...8)
    func everyCollective(worldSize: Int) throws {
        let outcomes = try WorkerJob(scenario: "collectives", worldSize: worldSize).run()
        for outcome in outcomes {
            #expect(outcome.exitCode == 0, "rank \(outcome.rank): \(outcome.output)")
        }
    }

    @Test("every collective is right over TCP alone (FLOCK_SHM=0)", arguments: [2, 5])
    func everyCollectiveWithoutSharedMemory(worldSize: Int) throws {
        var job = WorkerJob(scenario: "collectives", worldSize: worldSize)
        job.environment = { _ in ["FLOCK_SHM": "0"] }
        for outcome in try job.run() {
            #expect(outcome.exitCode == 0, "rank \(outcome.rank): \(outcome.output)")
        }
    }

    @Test("every collective is right over a sealed TCP mesh (FLOCK_SEAL=always, FLOCK_SHM=0)")
    func everyCollectiveSealed() throws {
        var job = WorkerJob(scenario: "collectives", worldSize: 3)
        job.environment = { _ in ["FLOCK_SHM": "0", "FLOCK_SEAL": "always"] }
        for outcome in try job.run() {
            #expect(outcome.exitCode == 0, "rank \(outcome.rank): \(outcome.output)")
        }
    }

    @Test("ranks that disagree on the shared-memory layout all fall back to TCP and stay correct")
    func sharedMemoryDisagreement() throws {
        var job = WorkerJob(scenario: "collectives", worldSize: 3)
        job.environment = { rank in ["EXPECT_TCP": "1"].merging(rank == 0 ? ["FLOCK_SHM_SLOT_KIB": "64"] : [:]) { $1 } }
        for outcome in try job.run() {
            #expect(outcome.exitCode == 0, "rank \(outcome.rank): \(outcome.output)")
        }
    }

    @Test("all-reduce results are bitwise identical across ranks and runs", arguments: [3, 4])
    func determinism(worldSize: Int) throws {
        for outcome in try WorkerJob(scenario: "determinism", worldSize: worldSize).run() {
            #expect(outcome.exitCode == 0, "rank \(outcome.rank): \(outcome.output)")
        }
    }

    @Test("a subgroup of the even ranks reduces on its own")
    func subgroup() throws {
        for outcome in try WorkerJob(scenario: "subgroup", worldSize: 5).run() {
            #expect(outcome.exitCode == 0, "rank \(outcome.rank): \(outcome.output)")
        }
    }

    @Test("killing a rank mid all-reduce makes the others fail fast with a clear error")
    func killedRank() throws {
        let segmentsBefore = Self.sharedMemorySegments()
        let ready = FileManager.default.temporaryDirectory.appendingPathComponent("flock-ready-\(UUID())").path
        var job = WorkerJob(scenario: "kill", worldSize: 4)
        job.kill = (rank: 2, readyFile: ready)
        job.workerTimeoutSeconds = 120
        let outcomes = try job.run()
        defer {
            for rank in 0..<4 { try? FileManager.default.removeItem(atPath: "\(ready).\(rank)") }
        }
        #expect(outcomes[2].exitCode == nil, "rank 2 was killed")
        let killedAt = outcomes[2].seconds
        for outcome in outcomes where outcome.rank != 2 {
            #expect(outcome.exitCode == 3, "rank \(outcome.rank): \(outcome.output)")
            #expect(outcome.output.contains("allReduce #"), "rank \(outcome.rank): \(outcome.output)")
            #expect(
                outcome.output.contains("closed its connection") || outcome.output.contains("aborted"),
                "rank \(outcome.rank): \(outcome.output)")
            // Far below the 120 s timeout: the failure spreads as closed connections.
            #expect(outcome.seconds - killedAt < 5, "rank \(outcome.rank) took \(outcome.seconds - killedAt) s")
        }
        // Each rank unlinks its segment once all have mapped it: nothing is left behind. Jobs of
        // tests running alongside own segments for a moment too, so wait for theirs to go.
        #expect(waitUntil(seconds: 10) { Self.sharedMemorySegments().isSubset(of: segmentsBefore) })
    }

    @Test("killing the rank that hosts the store makes every store call fail within seconds, naming it")
    func storeHostDies() throws {
        let ready = FileManager.default.temporaryDirectory.appendingPathComponent("flock-ready-\(UUID())").path
        let port = FreePort.loopback()
        var job = WorkerJob(scenario: "store-host-dies", worldSize: 3)
        job.environment = { _ in ["MASTER_PORT": "\(port)", "FLOCK_STORE": "rank0"] }
        job.kill = (rank: 0, readyFile: ready)
        job.workerTimeoutSeconds = 120  // the calls must fail long before this
        let outcomes = try job.run()
        defer {
            for rank in 0..<3 { try? FileManager.default.removeItem(atPath: "\(ready).\(rank)") }
        }
        let killedAt = outcomes[0].seconds
        for outcome in outcomes.dropFirst() {
            #expect(outcome.exitCode == 3, "rank \(outcome.rank): \(outcome.output)")
            #expect(outcome.output.contains("pending call:"), "rank \(outcome.rank): \(outcome.output)")
            #expect(outcome.output.contains("127.0.0.1:\(port)"), "rank \(outcome.rank): \(outcome.output)")
            #expect(outcome.output.contains("later call failed after 0 s"), "rank \(outcome.rank): \(outcome.output)")
            #expect(outcome.seconds - killedAt < 20, "rank \(outcome.rank) took \(outcome.seconds - killedAt) s")
        }
    }

    /// Flock's shared-memory segment files present in /dev/shm now.
    static func sharedMemorySegments() -> Set<String> {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "/dev/shm")) ?? []
        return Set(names.filter { $0.hasPrefix("flock-collective-") })
    }

    @Test("different collectives on different ranks are reported, never mixed")
    func mismatchedCollective() throws {
        for scenario in ["mismatch", "count-mismatch"] {
            let outcomes = try WorkerJob(scenario: scenario, worldSize: 3).run()
            for outcome in outcomes {
                #expect(outcome.exitCode == 3, "\(scenario) rank \(outcome.rank): \(outcome.output)")
            }
            let reported = outcomes.map(\.output).joined()
            #expect(reported.contains("does not match rank"), "\(scenario): \(reported)")
            if scenario == "mismatch" {
                #expect(reported.contains("broadcast") && reported.contains("allReduce"), "\(reported)")
            } else {
                #expect(reported.contains("x 999") || reported.contains("x 1000"), "\(reported)")
            }
        }
    }

    @Test("a timeout names the operation, its sequence number and the rank that did not come")
    func timeoutNamesMissingRank() throws {
        let outcomes = try WorkerJob(scenario: "timeout", worldSize: 3).run()
        for outcome in outcomes where outcome.rank != 1 {
            // Whichever rank times out first reports it; the other reports that rank's
            // failure as the cause of its own.
            #expect(outcome.exitCode == 3, "rank \(outcome.rank): \(outcome.output)")
            #expect(
                outcome.output.contains("allReduce #1 timed out: ranks [1] did not take part"),
                "rank \(outcome.rank): \(outcome.output)")
        }
    }

    @Test("a rank that freezes mid shared-memory all-reduce is named in the others' timeout")
    func frozenRankTimesOut() throws {
        var job = WorkerJob(scenario: "stall", worldSize: 3)
        job.deadline = .seconds(10)
        let outcomes = try job.run()
        for outcome in outcomes where outcome.rank != 1 {
            #expect(outcome.exitCode == 3, "rank \(outcome.rank): \(outcome.output)")
            #expect(
                outcome.output.contains("allReduce #2 timed out: ranks [1] did not take part"),
                "rank \(outcome.rank): \(outcome.output)")
        }
    }

    @Test("a rank with the wrong token cannot join")
    func wrongToken() throws {
        var job = WorkerJob(scenario: "collectives", worldSize: 2)
        job.environment = { $0 == 1 ? ["FLOCK_TOKEN": "not-the-token"] : [:] }
        job.workerTimeoutSeconds = 5
        let outcomes = try job.run()
        #expect(outcomes[1].exitCode == 3)
        #expect(outcomes[1].output.contains("authentication failed"), "\(outcomes[1].output)")
        #expect(outcomes[0].exitCode == 3, "rank 0 waits for rank 1 and times out: \(outcomes[0].output)")
    }
}
