import FlockNN
import FlockTensor
import FlockTestSupport
import Foundation
import Testing

/// Faults at random moments in a running DDP job (issue 11): each seed picks kill -9 or
/// SIGSTOP, a worker and a moment. Either way the job must finish with every step done
/// exactly once, from its last checkpoint, with no process left behind. The seeds are in
/// the test's name; `FLOCK_FAULT_SEEDS=1,2,3` replays chosen ones. Part of the serialized
/// launcher suite: a suite of its own would run beside it, and two suites blocking in
/// waits take both threads of a 2-core machine's test pool from the async tests.
extension LaunchTests {
    static let faultSeeds = Seeds.from("FLOCK_FAULT_SEEDS", count: 2)

    @Test(
        "kill -9 or SIGSTOP of a random worker at a random moment: the job resumes and finishes exactly",
        arguments: faultSeeds)
    func randomFault(seed: UInt64) throws {
        var random = RandomGenerator(seed: seed)  // the same seed makes the same drill
        let signal = Bool.random(using: &random) ? SIGKILL : SIGSTOP
        let pause = Double.random(in: 0...1.5, using: &random)
        let checkpoint = FileManager.default.temporaryDirectory.appendingPathComponent("flock-\(UUID()).safetensors")
        defer { try? FileManager.default.removeItem(at: checkpoint) }
        let job = try launchJob(
            ["--nproc-per-node", "2", "--max-restarts", "2"],
            program: [
                TestBinary.path("flock"), "example", "digits-ddp", "--length", "6", "--checkpoint", checkpoint.path,
                "--checkpoint-every", "5", "--step-delay-ms", "20", "--timeout", "5",
            ])
        let seedNote = "seed \(seed): signal \(signal) after \(pause) s"
        #expect(job.waitFor(seconds: 60) { $0.contains("epoch 1/6") }, "\(seedNote)\n\(job.output)")
        Thread.sleep(forTimeInterval: pause)
        let workers = workerIDs(matching: checkpoint.path).sorted()
        try #require(workers.count == 2, "\(seedNote): workers \(workers)\n\(job.output)")
        let victim = workers[Int.random(in: 0..<2, using: &random)]
        let victimRank = ProcessTable.environment("RANK", of: victim) ?? "?"
        kill(victim, signal)
        let status = job.finish(within: 120)
        let output = job.output
        #expect(status == 0, "\(seedNote), rank \(victimRank)\n\(output)")
        #expect(output.contains("restart 1 of 2"), "\(seedNote)\n\(output)")
        if signal == SIGSTOP {
            // The other rank's collective timed out naming the frozen one.
            #expect(output.contains("ranks [\(victimRank)] did not take part"), "\(seedNote)\n\(output)")
        }
        // 6 epochs of 1,437 samples in global batches of 64: 23 steps each, none lost or repeated.
        #expect(output.contains("after 138 steps"), "\(seedNote)\n\(output)")
        #expect((try? Safetensors.read(from: checkpoint.path)) != nil, "\(seedNote): the checkpoint does not load")
        let left = workerIDs(matching: checkpoint.path)
        for pid in left { kill(pid, SIGKILL) }
        #expect(left.isEmpty, "\(seedNote): processes left behind: \(left)")
    }
}
