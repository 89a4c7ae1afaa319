import FlockRuntime
import FlockTensor
import Foundation

/// A fault at a random moment (issue 11): `seed` picks kill -9 or SIGSTOP, a worker and a
/// moment while a mixed workload runs (200 independent tasks, a chain of 50, slow tasks).
/// Every result must still be right, within 30 s of the fault, with the victim gone and
/// the cluster back at two workers. The cluster's heartbeat timeout is 2 s here.
func faultDrill(_ cluster: Cluster, seed: UInt64) async throws {
    var random = RandomGenerator(seed: seed)
    let signal = Bool.random(using: &random) ? SIGKILL : SIGSTOP
    let moment = Int.random(in: 0...600, using: &random)
    let note = "seed \(seed): signal \(signal) after \(moment) ms"
    let squares = try (0..<200).map { try cluster.submit(Square(x: $0)) }
    var chain = try cluster.submit(Square(x: 0))
    for _ in 0..<50 { chain = try cluster.submit(Increment(previous: chain)) }
    let slow = try (0..<8).map { _ in try cluster.submit(Slow(milliseconds: 300)) }
    try await Task.sleep(for: .milliseconds(moment))
    let workers = try await cluster.statistics().workerProcessIDs
    let victim = workers[Int.random(in: 0..<workers.count, using: &random)]
    kill(victim, signal)
    let start = ContinuousClock.now
    check(try await cluster.get(squares) == (0..<200).map { $0 * $0 }, "\(note): wrong squares")
    check(try await chain.get() == 50, "\(note): the chain lost a link")
    _ = try await cluster.get(slow)
    check(ContinuousClock.now - start < .seconds(30), "\(note): took \(ContinuousClock.now - start)")
    let deadline = ContinuousClock.now + .seconds(20)
    var statistics = try await cluster.statistics()
    while (statistics.workers < 2 || statistics.workerProcessIDs.contains(victim)) && ContinuousClock.now < deadline {
        try await Task.sleep(for: .milliseconds(20))
        statistics = try await cluster.statistics()
    }
    check(statistics.workers == 2 && !statistics.workerProcessIDs.contains(victim), "\(note): \(statistics)")
    check(kill(victim, 0) != 0, "\(note): the victim still exists")
}
