import ArgumentParser
import Flock
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// `flock bench ddp`: data-parallel training of the 784-1024-1024-10 MLP (Adam, global
/// batch 256) under `flock launch` with 1 process (a plain model) and 2 processes (DDP),
/// each worker on one thread; scaling efficiency; and the time from kill -9 of a worker to
/// the first completed step after the launcher's restart, next to the checkpoint load time.
struct DDPBench {
    let repeats: Int
    let quick: Bool
    let only: String?

    static let globalBatch = 256
    /// PyTorch DDP with Gloo on this machine kind (the numbers), samples/s.
    static let pytorch = [1: 7_300.0, 2: 8_600.0]

    func run(into report: inout BenchReport) throws {
        var throughput: [Int: Double] = [:]
        for world in [1, 2] where wanted("ddp/mlp-784-1024-1024-10/world\(world)") {
            let output = try Self.launch(
                world: world, restarts: 0,
                worker: ["throughput", "--repeats", "\(repeats)"] + (quick ? ["--quick"] : []))
            guard let line = output.split(separator: "\n").first(where: { $0.contains("RESULT\t") }) else {
                throw ValidationError("the workers reported no result:\n\(output)")
            }
            let fields = line.split(separator: "\t").map(String.init)
            guard fields.count == 4, let median = Double(fields[2]), let best = Double(fields[3]) else {
                throw ValidationError("malformed result line: \(line)")
            }
            throughput[world] = median
            let name = "ddp/mlp-784-1024-1024-10/world\(world)"
            report.add(name, unit: "samples/s", median: median, best: best, note: "global batch 256, 1 thread/process")
            report.addRatio(
                name + "/vs-pytorch", value: median / Self.pytorch[world]!,
                note: "PyTorch DDP + Gloo: \(Int(Self.pytorch[world]!))")
        }
        if let one = throughput[1], let two = throughput[2] {
            report.addDerived(
                "ddp/mlp-784-1024-1024-10/scaling-efficiency", unit: "ratio", value: two / (2 * one),
                note: "2-process / (2 x 1-process); PyTorch: 0.59")
        }
        if wanted("ddp/recovery") { try measureRecovery(into: &report) }
    }

    private func wanted(_ name: String) -> Bool { only.map { name.contains($0) } ?? true }

    /// Kills rank 1 of a 2-process job after step 10 and times the restart.
    private func measureRecovery(into report: inout BenchReport) throws {
        let checkpoint = FileManager.default.temporaryDirectory.appendingPathComponent("flock-bench-\(UUID()).st").path
        defer { try? FileManager.default.removeItem(atPath: checkpoint) }
        let job = try Self.start(world: 2, restarts: 1, worker: ["recovery", "--checkpoint", checkpoint])
        guard job.wait(for: "STEP 0 10 ", seconds: 120) != nil else {
            throw ValidationError("the job did not reach step 10:\n\(job.output)")
        }
        guard let victim = Self.workerProcess(rank: 1) else { throw ValidationError("rank 1 not found") }
        let killedAt = Date().timeIntervalSince1970
        kill(victim, SIGKILL)
        guard let resumed = job.wait(for: "STEP 1 ", seconds: 120), let loaded = job.wait(for: "LOADED ", seconds: 1)
        else { throw ValidationError("the job did not resume:\n\(job.output)") }
        job.finish()
        let recovery = (Double(resumed.split(separator: " ")[3]) ?? killedAt) - killedAt
        report.addDerived(
            "ddp/recovery/kill-to-first-step", unit: "s", value: recovery,
            note: "kill -9 rank 1 -> first step after restart")
        report.addDerived(
            "ddp/recovery/checkpoint-load", unit: "s", value: Double(loaded.split(separator: " ")[1]) ?? 0,
            note: "part of the above")
    }

    // MARK: Worker side

    /// Runs inside each launched worker: `throughput` or `recovery`.
    static func worker(mode: String, repeats: Int, quick: Bool, checkpoint: String?) throws {
        let group = try ProcessGroup.initialize(timeout: .seconds(60))
        let world = group.worldSize
        GlobalRandom.seed(1)
        let model = Sequential(Linear(784, 1024), ReLU(), Linear(1024, 1024), ReLU(), Linear(1024, 10))
        // One process trains the plain model, as a user without DDP would.
        let ddp = world > 1 ? try DistributedDataParallel(model, group: group) : nil
        let optimizer = Adam(model.parameters())
        var generator = RandomGenerator(seed: 100 + UInt64(group.rank))
        let local = globalBatch / world
        let features = try Tensor.randomNormal([local, 784], generator: &generator)
        let labels = try Tensor((0..<local).map { Int64(($0 * 7 + group.rank) % 10) }, shape: [local])
        func step() throws {
            optimizer.zeroGrad()
            let logits = try ddp.map { try $0(features) } ?? model(features)
            try Loss.crossEntropy(logits, labels: labels).backward()
            try optimizer.step()
        }
        if mode == "throughput" {
            let steps = quick ? 5 : 20
            let timing = try measure(repeats: repeats) { for _ in 0..<steps { try step() } }
            let samples = Double(steps * globalBatch)
            if group.rank == 0 { say("RESULT\tworld\(world)\t\(samples / timing.median)\t\(samples / timing.best)") }
            return
        }
        let restart = ProcessInfo.processInfo.environment["FLOCK_RESTART_COUNT"] ?? "0"
        let path = checkpoint ?? "flock-bench-ddp.safetensors"
        let loadStart = Date()
        var position =
            try DistributedCheckpoint.resume(model: model, optimizer: optimizer, group: group, from: path) ?? .start
        if group.rank == 0 && restart != "0" { say("LOADED \(Date().timeIntervalSince(loadStart))") }
        while position.step < 60 {
            try step()
            position.step += 1
            if group.rank == 0 { say("STEP \(restart) \(position.step) \(Date().timeIntervalSince1970)") }
            if position.step % 5 == 0 {
                try DistributedCheckpoint.save(
                    model: model, optimizer: optimizer, position: position, group: group, to: path)
            }
        }
    }

    private static func say(_ line: String) { FileHandle.standardOutput.write(Data((line + "\n").utf8)) }

    // MARK: Running jobs

    /// This binary's path (workers and the launcher are this binary again).
    static var executable: String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }

    /// Runs a job to its end and returns its output.
    static func launch(world: Int, restarts: Int, worker: [String]) throws -> String {
        let job = try start(world: world, restarts: restarts, worker: worker)
        job.process.waitUntilExit()
        job.finish()
        guard job.process.terminationStatus == 0 else { throw ValidationError("the job failed:\n\(job.output)") }
        return job.output
    }

    static func start(world: Int, restarts: Int, worker: [String]) throws -> RunningJob {
        try RunningJob(
            executable: executable,
            arguments: ["launch", "--nproc-per-node", "\(world)", "--max-restarts", "\(restarts)", "--", executable]
                + ["bench", "ddp", "--ddp-worker"] + worker)
    }

    /// The process id of the worker of `rank` (found by its environment in /proc).
    static func workerProcess(rank: Int) -> Int32? {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap(Int32.init).first { pid in
            guard let command = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline"),
                String(decoding: command, as: UTF8.self).contains("--ddp-worker"),
                let environ = FileManager.default.contents(atPath: "/proc/\(pid)/environ")
            else { return false }
            return environ.split(separator: 0).contains { String(decoding: $0, as: UTF8.self) == "RANK=\(rank)" }
        }
    }
}

/// A launcher process whose output is collected as it arrives.
final class RunningJob: @unchecked Sendable {  // `collected` guarded by `lock`
    let process = Process()
    private let lock = NSLock()
    private var collected = ""
    private let done = DispatchSemaphore(value: 0)

    init(executable: String, arguments: [String]) throws {
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["FLOCK_NUM_THREADS"] = "1"
        process.environment = environment
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        Thread { [self] in
            while case let chunk = pipe.fileHandleForReading.availableData, !chunk.isEmpty {
                lock.withLock { collected += String(decoding: chunk, as: UTF8.self) }
            }
            done.signal()
        }.start()
    }

    var output: String { lock.withLock { collected } }

    /// The first complete output line containing `text`, waiting up to `seconds`.
    func wait(for text: String, seconds: Double) -> String? {
        let deadline = Date().addingTimeInterval(seconds)
        repeat {
            let lines = output.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
            if let line = lines.first(where: { $0.contains(text) }) {
                return String(line.drop { $0 != "]" }.dropFirst(2))
            }
            Thread.sleep(forTimeInterval: 0.005)
        } while Date() < deadline
        return nil
    }

    /// Waits for the job (stopping it if still running) and the end of its output.
    func finish() {
        if process.isRunning { process.interrupt() }
        process.waitUntilExit()
        _ = done.wait(timeout: .now() + 5)
    }
}
