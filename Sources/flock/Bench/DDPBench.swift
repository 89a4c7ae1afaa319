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
/// Beside them, the ceiling without communication: 2 plain processes, each training on its
/// half of the batch at once (`world2/independent`). With `--peers`, PyTorch (a plain model, and DDP over Gloo) trains the same model on the
/// same batches between two rounds of Flock's (`Benchmarks/peers/ddp.py`); Flock's figure
/// is the mean of both rounds, and `vs-pytorch` is over PyTorch's from this run.
struct DDPBench {
    let repeats: Int
    let quick: Bool
    let only: String?
    let peers: Bool
    let python: String

    static let globalBatch = 256

    func run(into report: inout BenchReport) throws {
        let name = "ddp/mlp-784-1024-1024-10"
        let worlds = [1, 2].filter { wanted("\(name)/world\($0)") }
        var rounds = [try flockRound(worlds)]
        var pytorch: [Int: Double] = [:]
        if peers {
            pytorch = try peerRates(worlds)
            rounds.append(try flockRound(worlds))
        }
        var throughput: [Int: Double] = [:]
        for world in worlds {
            let timings = rounds.compactMap { $0[world] }
            let median = timings.map(\.median).reduce(0, +) / Double(timings.count)
            throughput[world] = median
            report.add(
                "\(name)/world\(world)", unit: "samples/s", median: median, best: timings.map(\.best).max()!,
                note: "global batch 256, 1 thread/process\(timings.count > 1 ? ", mean of 2 rounds" : "")")
            if let peer = pytorch[world] {
                report.addRatio(
                    "\(name)/world\(world)/vs-pytorch", value: median / peer,
                    note: "PyTorch\(world > 1 ? " DDP + Gloo" : "") \(Int(peer)) samples/s, this run")
            }
        }
        if let one = throughput[1], let two = throughput[2] {
            report.addDerived(
                "\(name)/scaling-efficiency", unit: "ratio", value: two / (2 * one),
                note: "2-process / (2 x 1-process)")
            // The ceiling without communication: 2 plain processes, each on its half of the
            // batch, at once (the cores, caches and memory they share, and the smaller batch).
            if let alone = try flockRound([2], mode: "independent")[2] {
                report.add(
                    "\(name)/world2/independent", unit: "samples/s", median: alone.median, best: alone.best,
                    note: "2 plain processes x batch 128 at once, no communication")
                report.addDerived(
                    "\(name)/scaling-efficiency/independent", unit: "ratio", value: alone.median / (2 * one),
                    note: "the ceiling DDP could reach here")
                report.addRatio("\(name)/world2/vs-independent", value: two / alone.median, note: "DDP's cost")
            }
        }
        if let one = pytorch[1], let two = pytorch[2] {
            report.addDerived(
                "\(name)/scaling-efficiency/pytorch", unit: "ratio", value: two / (2 * one),
                note: "PyTorch's, this run")
        }
        if wanted("ddp/recovery") { try measureRecovery(into: &report) }
    }

    /// One job per world size: samples/s (median and best, in `Timing`'s fields).
    private func flockRound(_ worlds: [Int], mode: String = "throughput") throws -> [Int: Timing] {
        var rates: [Int: Timing] = [:]
        for world in worlds {
            let output = try Self.launch(
                world: world, restarts: 0, worker: [mode, "--repeats", "\(repeats)"] + (quick ? ["--quick"] : []))
            guard let line = output.split(separator: "\n").first(where: { $0.contains("RESULT\t") }) else {
                throw ValidationError("the workers reported no result:\n\(output)")
            }
            let fields = line.split(separator: "\t").map(String.init)
            guard fields.count == 4, let median = Double(fields[2]), let best = Double(fields[3]) else {
                throw ValidationError("malformed result line: \(line)")
            }
            rates[world] = Timing(median: median, best: best)
        }
        return rates
    }

    /// PyTorch's median samples/s per world size.
    private func peerRates(_ worlds: [Int]) throws -> [Int: Double] {
        var rates: [Int: Double] = [:]
        for world in worlds {
            let results = try PeerScript.run(
                python, script: "Benchmarks/peers/ddp.py",
                arguments: ["--world", "\(world)", "--repeats", "\(repeats)", "--steps", quick ? "5" : "20"])
            for result in PeerScript.measurements(results, requirements: "requirements.txt") {
                if let median = result["median"] as? Double { rates[world] = median }
            }
        }
        return rates
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

    /// Runs inside each launched worker: `throughput`, `independent` (plain models, no
    /// communication while timed) or `recovery`.
    static func worker(mode: String, repeats: Int, quick: Bool, checkpoint: String?) throws {
        let group = try ProcessGroup.initialize(timeout: .seconds(60))
        let world = group.worldSize
        GlobalRandom.seed(1)
        let model = Sequential(Linear(784, 1024), ReLU(), Linear(1024, 1024), ReLU(), Linear(1024, 10))
        // One process trains the plain model, as a user without DDP would; so does each
        // process of `independent`, which never communicates while timed.
        let ddp = world > 1 && mode != "independent" ? try DistributedDataParallel(model, group: group) : nil
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
        if mode == "throughput" || mode == "independent" {
            let steps = quick ? 5 : 20
            let timing = try measure(repeats: repeats) { for _ in 0..<steps { try step() } }
            // Every process's own samples/s, added up (DDP's processes share the batch, so
            // their rates are the global batch over the step time, all equal).
            let samples = Double(steps * (mode == "independent" ? local : globalBatch))
            let rates = try Tensor([samples / timing.median, samples / timing.best], shape: [2])
            let total =
                mode == "independent" ? try group.allReduce(rates).wait().doubleScalars() : rates.doubleScalars()
            if group.rank == 0 { say("RESULT\tworld\(world)\t\(total[0])\t\(total[1])") }
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
