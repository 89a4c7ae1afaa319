import Foundation
import Testing

/// The head's state machine under thousands of seeded random interleavings (see
/// `HeadSimulation`). Each run takes fresh seeds and prints the first; a failure names its
/// seed, and `FLOCK_SIM_SEED=<seed>` replays that one alone.
@Suite("Head simulation: random interleavings, invariants after every step")
struct HeadSimulationTests {
    @Test("submits, outcomes, steals, cancels, frees, worker and node loss: every task ends once, nothing leaks")
    func randomInterleavings() throws {
        let seeds: [UInt64]
        if let replay = ProcessInfo.processInfo.environment["FLOCK_SIM_SEED"].flatMap(UInt64.init) {
            seeds = [replay]
        } else {
            let first = UInt64.random(in: 0..<(1 << 48))
            seeds = (0..<2000).map { first &+ $0 }
            print("head simulation: seeds \(first) to \(first + 1999)")
        }
        var coverage: [String: Int] = [:]
        for seed in seeds {
            var simulation = HeadSimulation(seed: seed)
            do {
                try simulation.run(steps: 300)
            } catch {
                Issue.record(
                    "seed \(seed) (replay: FLOCK_SIM_SEED=\(seed) swift test --filter HeadSimulation): \(error)")
                return
            }
            coverage.merge(simulation.coverage, uniquingKeysWith: +)
        }
        print("head simulation: \(coverage.sorted { $0.key < $1.key })")
        guard seeds.count > 1 else { return }
        // The runs reached every path worth checking (a simulation that never steals proves
        // nothing about stealing).
        for path in [
            "forwarded", "rebuilt", "steal asked", "returned", "notHeld", "inputFailed", "inputUnreachable",
            "cancelled", "waiter got objectLost", "waiter got workerLost", "waiter got dependencyFailed",
            "waiter got timedOut",
        ] {
            #expect(coverage[path, default: 0] > 0, "the simulation never reached \(path)")
        }
    }
}
