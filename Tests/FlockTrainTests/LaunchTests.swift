import FlockComm
import FlockNN
import FlockTestSupport
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Data-parallel training and the elastic launcher with real processes on 127.0.0.1.
@Suite("flock launch and data-parallel training across processes", .serialized)
struct LaunchTests {
    static let worker = TestBinary.path("FlockTrainTestWorker")

    @Test("DDP on 2 and 3 ranks gives the parameters of one process on the combined batch", arguments: [2, 3])
    func matchesSingleProcess(ranks: Int) throws {
        let job = try launchJob(["--nproc-per-node", "\(ranks)"], program: [Self.worker, "equivalence"])
        #expect(job.finish(within: 120) == 0, "\(job.output)")
        #expect(job.output.components(separatedBy: "] ok").count == ranks + 1, "\(job.output)")
    }

    @Test("the DDP example and the demo run from any folder: their data is inside the binary")
    func runsAnywhere() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("flock-anywhere-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let flock = TestBinary.path("flock")
        let job = try launchJob(
            ["--nproc-per-node", "2"], program: [flock, "example", "digits-ddp", "--length", "1"], in: folder)
        #expect(job.finish(within: 120) == 0, "\(job.output)")
        #expect(job.output.contains("digits-ddp test accuracy"), "\(job.output)")
        let demo = try TestProcess(flock, ["demo", "--epochs", "1"], in: folder)
        let status = demo.finish(within: 300)
        #expect(status == 0 && demo.output.contains("identical predictions: yes"), "\(demo.output)")
        #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("checkpoints").path))
    }

    @Test("workers do not inherit the launcher's signal handling: SIGTERM and SIGINT stop them")
    func workersTakeSignals() throws {
        let job = try launchJob(
            ["--nproc-per-node", "1"], program: ["/bin/sh", "-c", "grep SigIgn /proc/self/status"])
        #expect(job.finish(within: 60) == 0, "\(job.output)")
        let mask = job.output.components(separatedBy: "SigIgn:").last.map {
            UInt64($0.trimmingCharacters(in: .whitespacesAndNewlines).prefix(16), radix: 16)
        }
        let ignored = try #require(mask ?? nil, "\(job.output)")
        #expect(ignored & (1 << (UInt64(SIGTERM) - 1)) == 0, "SIGTERM is ignored in the worker: \(job.output)")
        #expect(ignored & (1 << (UInt64(SIGINT) - 1)) == 0, "SIGINT is ignored in the worker: \(job.output)")
    }

    @Test("a rank that throws ends the whole job with its error and exit code, without a hang")
    func failingRankEndsJob() throws {
        let job = try launchJob(["--nproc-per-node", "3"], program: [Self.worker, "raise"])
        #expect(job.finish(within: 60) == 3, "\(job.output)")
        #expect(job.output.contains("[rank 1] error: deliberate failure in rank 1"), "\(job.output)")
        #expect(job.output.contains("job failed: rank 1 exited with code 3"), "\(job.output)")
        #expect(job.elapsed < 30, "took \(job.elapsed) s")
    }

    @Test("kill -9 of a worker mid-epoch: the job restarts from its checkpoint and reaches the accuracy")
    func killedWorkerResumes() throws {
        let checkpoint = FileManager.default.temporaryDirectory.appendingPathComponent("flock-\(UUID()).safetensors")
        defer { try? FileManager.default.removeItem(at: checkpoint) }
        let job = try launchJob(
            ["--nproc-per-node", "2", "--max-restarts", "2"],
            program: [
                TestBinary.path("flock"), "example", "digits-ddp", "--length", "8", "--checkpoint", checkpoint.path,
                "--checkpoint-every", "10", "--step-delay-ms", "15",
            ])
        #expect(job.waitFor(seconds: 60) { $0.contains("epoch 2/8") }, "\(job.output)")
        let workers = workerIDs(matching: checkpoint.path)
        #expect(workers.count == 2, "workers \(workers)")
        if let victim = workers.last { kill(victim, SIGKILL) }
        #expect(job.finish(within: 120) == 0, "\(job.output)")
        let output = job.output
        #expect(output.contains("killed by signal 9; restart 1 of 2"), "\(output)")
        #expect(output.contains("resuming at epoch"), "\(output)")
        // 8 epochs of 1,437 samples in global batches of 64: 23 steps each, none lost or repeated.
        #expect(output.contains("after 184 steps"), "\(output)")
        let accuracy = output.components(separatedBy: "digits-ddp test accuracy: ").last.flatMap {
            Double($0.prefix { $0 != "%" })
        }
        #expect((accuracy ?? 0) >= 95, "\(output)")
        // The resumed run continued exactly: its final checkpoint equals an uninterrupted run's.
        let reference = FileManager.default.temporaryDirectory.appendingPathComponent("flock-\(UUID()).safetensors")
        defer { try? FileManager.default.removeItem(at: reference) }
        let uninterrupted = try launchJob(
            ["--nproc-per-node", "2"],
            program: [
                TestBinary.path("flock"), "example", "digits-ddp", "--length", "8", "--checkpoint", reference.path,
            ])
        #expect(uninterrupted.finish(within: 120) == 0, "\(uninterrupted.output)")
        let (resumedState, resumedMetadata) = try Safetensors.read(from: checkpoint.path)
        let (referenceState, referenceMetadata) = try Safetensors.read(from: reference.path)
        #expect(resumedState == referenceState)
        #expect(resumedMetadata == referenceMetadata)
    }

    @Test(
        "under a tight open-file limit (prlimit) a job finishes or fails at once naming the limit, leaving no process",
        arguments: [16, 40, 64])
    func openFileLimit(files: Int) throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/prlimit") else {
            print("skipped: /usr/bin/prlimit (util-linux) is missing")
            return
        }
        let marker = "digits-ddp --length 1 --step-delay-ms \(files)"
        let run = try TestProcess(
            "/usr/bin/prlimit",
            ["--nofile=\(files)", TestBinary.path("flock"), "launch", "--nproc-per-node", "2", "--"]
                + [TestBinary.path("flock"), "example"] + marker.split(separator: " ").map(String.init))
        let status = run.finish(within: 60)
        let output = run.output
        // Never a crash or a hang: it finishes, or says which limit stopped it.
        let finished = status == 0 && output.contains("all workers finished")
        let named = status == 1 && output.contains("may open at most \(files) files")
        #expect(run.process.terminationReason == .exit && (finished || named), "\(output)")
        #expect(files > 16 || named, "\(output)")
        let left = workerIDs(matching: marker)
        for pid in left { kill(pid, SIGKILL) }
        #expect(left.isEmpty, "workers left behind: \(left)")
    }

    @Test("SIGTERM to the launcher reaches the workers and ends the job with 128 + 15")
    func forwardsSignals() throws {
        let job = try launchJob(
            ["--nproc-per-node", "2"],
            program: [TestBinary.path("flock"), "example", "digits-ddp", "--length", "50", "--step-delay-ms", "50"])
        #expect(job.waitFor(seconds: 60) { $0.contains("epoch 1/50") }, "\(job.output)")
        job.signal(SIGTERM)
        #expect(job.finish(within: 30) == 143, "\(job.output)")
        #expect(workerIDs(matching: "digits-ddp --length 50").isEmpty)
    }

    @Test("workers of a launcher killed with -9 exit instead of running on as orphans")
    func orphansExit() throws {
        let marker = "example digits-ddp --length 60 --step-delay-ms 40"
        let job = try launchJob(
            ["--nproc-per-node", "2"],
            program: [TestBinary.path("flock")] + marker.split(separator: " ").map(String.init))
        #expect(job.waitFor(seconds: 60) { $0.contains("epoch 1/60") }, "\(job.output)")
        #expect(workerIDs(matching: marker).count == 2)
        kill(job.process.processIdentifier, SIGKILL)
        job.process.waitUntilExit()
        // The watch notices within 0.2 s; the margin is for a loaded CI machine.
        let deadline = Date().addingTimeInterval(10)
        while !workerIDs(matching: marker).isEmpty && Date() < deadline {
            Thread.sleep(forTimeInterval: 0.05)
        }
        let survivors = workerIDs(matching: marker)
        for pid in survivors { kill(pid, SIGKILL) }
        #expect(survivors.isEmpty, "workers still running: \(survivors)")
    }

    @Test("the same program runs without the launcher from Slurm's variables")
    func runsUnderSlurmVariables() throws {
        let port = FreePort.loopback()
        let workers = try (0..<2).map { rank in
            try TestProcess(
                TestBinary.path("flock"), ["example", "digits-ddp", "--length", "2"],
                environment: [
                    "SLURM_PROCID": "\(rank)", "SLURM_NTASKS": "2", "SLURM_NODELIST": "localhost",
                    "MASTER_PORT": "\(port)", "FLOCK_TOKEN": "slurm-test",
                ],
                unsetting: ["RANK", "WORLD_SIZE", "MASTER_ADDR", "FLOCK_RANK", "FLOCK_WORLD_SIZE"])
        }
        let statuses = workers.map { $0.finish(within: 120) }
        #expect(statuses == [0, 0], "\(workers.map(\.output))")
    }

    @Test("a second launcher joining between rounds grows the job from 2 to 3 workers")
    func nodeJoins() throws {
        let checkpoint = FileManager.default.temporaryDirectory.appendingPathComponent("flock-\(UUID()).safetensors")
        defer { try? FileManager.default.removeItem(at: checkpoint) }
        let port = FreePort.loopback()
        let program = [
            TestBinary.path("flock"), "example", "digits-ddp", "--length", "6", "--checkpoint", checkpoint.path,
            "--checkpoint-every", "5", "--step-delay-ms", "20", "--global-batch", "48",
        ]
        let common = ["--nnodes", "1:2", "--rdzv-endpoint", "127.0.0.1:\(port)", "--rdzv-last-call", "1.5"]
        let environment = ["FLOCK_TOKEN": "join-test-\(UUID())"]
        let first = try launchJob(common + ["--nproc-per-node", "2"], program: program, environment: environment)
        #expect(first.waitFor(seconds: 60) { $0.contains("epoch 1/6") }, "\(first.output)")
        let second = try launchJob(common + ["--nproc-per-node", "1"], program: program, environment: environment)
        #expect(first.finish(within: 120) == 0, "\(first.output)")
        #expect(second.finish(within: 30) == 0, "\(second.output)")
        #expect(first.output.contains("a node wants to join"), "\(first.output)")
        // Which node joins the new round first (and so gets the lower ranks) is a race.
        #expect(first.output.contains("ranks 0..<2 of 3") || first.output.contains("ranks 1..<3 of 3"))
        #expect(second.output.contains("ranks 2..<3 of 3") || second.output.contains("ranks 0..<1 of 3"))
        #expect(first.output.contains("on 3 ranks"), "\(first.output)")
    }

    @Test("a node that stops responding is noticed by heartbeat and the job finishes without it")
    func silentNodeIsDropped() throws {
        let checkpoint = FileManager.default.temporaryDirectory.appendingPathComponent("flock-\(UUID()).safetensors")
        defer { try? FileManager.default.removeItem(at: checkpoint) }
        let port = FreePort.loopback()
        let program = [
            TestBinary.path("flock"), "example", "digits-ddp", "--length", "4", "--checkpoint", checkpoint.path,
            "--checkpoint-every", "5", "--step-delay-ms", "20",
        ]
        let common = [
            "--nnodes", "1:2", "--rdzv-endpoint", "127.0.0.1:\(port)", "--rdzv-last-call", "3", "--heartbeat-timeout",
            "2", "--max-restarts", "1",
        ]
        let environment = ["FLOCK_TOKEN": "heartbeat-test-\(UUID())"]
        let first = try launchJob(common + ["--nproc-per-node", "1"], program: program, environment: environment)
        // The first launcher hosts the store (the store's host is the job's one fixed point,
        // as with torchrun's); the second is the node that will vanish.
        _ = try RendezvousStore(
            host: "127.0.0.1", port: port, token: environment["FLOCK_TOKEN"]!, timeout: .seconds(30))
        let second = try launchJob(common + ["--nproc-per-node", "1"], program: program, environment: environment)
        #expect(first.waitFor(seconds: 60) { $0.contains("epoch 1/4") }, "\(first.output)")
        // The second node "vanishes": its launcher and worker freeze (as a hung machine would).
        let frozen =
            [second.process.processIdentifier]
            + workerIDs(matching: checkpoint.path).filter {
                Self.environment(of: $0).contains("RANK=1")
            }
        for pid in frozen { kill(pid, SIGSTOP) }
        defer {
            for pid in frozen { kill(pid, SIGKILL) }
            _ = second.finish(within: 5)
        }
        #expect(first.finish(within: 120) == 0, "\(first.output)")
        #expect(first.output.contains("sent no heartbeat"), "\(first.output)")
        #expect(first.output.contains("ranks 0..<1 of 1"), "\(first.output)")
        #expect(first.output.contains("after 92 steps"), "\(first.output)")
    }

    /// The environment of process `pid`, as "NAME=value" lines.
    static func environment(of pid: Int32) -> [String] {
        let raw = FileManager.default.contents(atPath: "/proc/\(pid)/environ") ?? Data()
        return raw.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
    }
}
