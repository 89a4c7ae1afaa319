import Flock
import Foundation

/// `flock bench comm --world N`: starts N local worker processes (this binary again, as
/// `flock bench comm --comm-worker`) with the store hosted here, as a launcher would.
/// Rank 0 times all-reduce, broadcast, all-gather and reduce-scatter of float32 data from
/// 4 KiB to 64 MiB and the barrier, and prints its results as lines this process reads.
/// Floors measured here: one loopback TCP stream and memcpy. With `--peers`,
/// torch.distributed's Gloo runs the same operations on the same sizes between two rounds
/// of Flock's (`Benchmarks/peers/comm.py`); Flock's figures are then the mean of both
/// rounds' medians, and `.../vs-gloo` is Gloo's time over Flock's from this run.
struct CommBench {
    let world: Int
    let repeats: Int
    let quick: Bool
    /// Only the measurements whose name contains this (e.g. "allreduce/world4/16MiB").
    let only: String?
    let peers: Bool
    let python: String

    /// One measurement a worker reported.
    private struct Measurement {
        let name: String
        let unit: String
        let median: Double
        let best: Double
        let note: String
    }

    func run(into report: inout BenchReport) throws {
        let loopback = try LoopbackProbe.bandwidth(bytes: quick ? 64 << 20 : 1 << 30) / 1e9
        report.addDerived("comm/floor/loopback-tcp-1stream", unit: "GB/s", value: loopback, note: "one TCP stream")
        let copy = 2 * copyRate(bytes: 64 << 20, repeats: repeats) / 1e9  // read + write
        report.addDerived("comm/floor/memcpy", unit: "GB/s", value: copy, note: "64 MiB, one thread")
        var rounds = [try flockRound()]
        var gloo: [String: Double] = [:]
        if peers {
            gloo = try glooLatencies()
            rounds.append(try flockRound())
        }
        for first in rounds[0] {
            let same = rounds.compactMap { round in round.first { $0.name == first.name } }
            let median = same.map(\.median).reduce(0, +) / Double(same.count)
            let note = same.count > 1 ? "mean of \(same.count) rounds \(first.note)" : first.note
            // Invariant: `same` holds at least rounds[0]'s own measurement.
            let best = first.unit == "us" ? same.map(\.best).min()! : same.map(\.best).max()!
            report.add(first.name, unit: first.unit, median: median, best: best, note: note)
            if first.name.hasSuffix("/busbw") {
                report.addRatio(
                    first.name + "/vs-loopback", value: median / loopback, note: "of one loopback TCP stream")
            }
            if first.name.hasSuffix("/latency"), let peer = gloo[String(first.name.dropLast("/latency".count))] {
                report.addRatio(
                    String(first.name.dropLast("/latency".count)) + "/vs-gloo", value: peer * 1e6 / median,
                    note: "Gloo \(String(format: "%.1f", peer * 1e6)) us, this run")
            }
        }
    }

    /// Starts the workers once and returns rank 0's measurements.
    private func flockRound() throws -> [Measurement] {
        let token = UUID().uuidString
        let server = try RendezvousServer(host: "127.0.0.1", port: 0, token: token)
        defer { server.stop() }
        var workers: [(Process, Pipe)] = []
        for rank in 0..<world {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/proc/self/exe")
            process.arguments =
                ["bench", "comm", "--comm-worker", "--repeats", "\(repeats)"] + (quick ? ["--quick"] : [])
                + (only.map { ["--only", $0] } ?? [])
            var environment = ProcessInfo.processInfo.environment
            environment["RANK"] = "\(rank)"
            environment["WORLD_SIZE"] = "\(world)"
            environment["MASTER_ADDR"] = "127.0.0.1"
            environment["MASTER_PORT"] = "\(server.port)"
            environment["FLOCK_TOKEN"] = token
            environment["FLOCK_STORE"] = "launcher"
            environment["FLOCK_NUM_THREADS"] = "1"
            process.environment = environment
            let pipe = Pipe()
            process.standardOutput = pipe
            try process.run()
            workers.append((process, pipe))
        }
        let output = workers.map { String(decoding: $0.1.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self) }
        for (process, _) in workers { process.waitUntilExit() }
        guard workers.allSatisfy({ $0.0.terminationStatus == 0 }) else {
            throw CommError.invalidArgument(op: "bench comm", reason: "a worker failed:\n\(output.joined())")
        }
        return output[0].split(separator: "\n").compactMap { line in
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard fields.count == 6, fields[0] == "RESULT", let median = Double(fields[3]), let best = Double(fields[4])
            else { return nil }
            return Measurement(name: fields[1], unit: fields[2], median: median, best: best, note: fields[5])
        }
    }

    /// Gloo's median seconds per operation, by measurement prefix (`comm/allreduce/world2/16MiB`).
    private func glooLatencies() throws -> [String: Double] {
        let results = try PeerScript.run(
            python, script: "Benchmarks/peers/comm.py",
            arguments: ["--world", "\(world)", "--repeats", "\(repeats)", "--only", only ?? ""]
                + (quick ? ["--quick"] : []))
        var latencies: [String: Double] = [:]
        for result in PeerScript.measurements(results, requirements: "requirements.txt") {
            guard let name = result["name"] as? String else { continue }
            if let reason = result["unsupported"] as? String { print("Gloo: \(name): \(reason)") }
            if let median = result["median"] as? Double { latencies[name] = median }
        }
        return latencies
    }

    // MARK: The worker side

    /// Runs in every worker process; rank 0 prints `RESULT` lines.
    static func worker(repeats: Int, quick: Bool, only: String?) throws {
        let group = try ProcessGroup.initialize(timeout: .seconds(120))
        let n = group.worldSize
        let sizes = (quick ? [12, 16, 20, 24] : [12, 14, 16, 18, 20, 22, 24, 26]).map { 1 << $0 }
        func emit(_ name: String, _ unit: String, _ timing: Timing, _ note: String) {
            guard group.rank == 0 else { return }
            print("RESULT\t\(name)\t\(unit)\t\(timing.median)\t\(timing.best)\t\(note)")
        }
        func time(bytes: Int, _ op: () throws -> Void) throws -> Timing {
            let iterations = max(2, min(200, (256 << 20) / max(bytes, 1) / 4))
            try op()
            try op()
            var times: [Double] = []
            for _ in 0..<max(1, repeats) {
                try group.barrier().wait()
                let start = Date()
                for _ in 0..<iterations { try op() }
                times.append(Date().timeIntervalSince(start) / Double(iterations))
            }
            return Timing(times: times)
        }
        func wanted(_ name: String) -> Bool { only.map { name.contains($0) } ?? true }
        if wanted("comm/barrier/world\(n)/latency") {
            let barrier = try time(bytes: 0) { try group.barrier().wait() }
            emit(
                "comm/barrier/world\(n)/latency", "us", Timing(median: barrier.median * 1e6, best: barrier.best * 1e6),
                "")
        }
        for bytes in sizes {
            let count = bytes / 4 / n * n
            let full = try Tensor.ones([count])
            let slice = try Tensor.ones([count / n])
            let label = bytes >= 1 << 20 ? "\(bytes >> 20)MiB" : "\(bytes >> 10)KiB"
            let cases: [(String, Double, () throws -> Void)] = [
                ("allreduce", 2 * Double(n - 1) / Double(n), { _ = try group.allReduce(full).wait() }),
                ("broadcast", 1, { _ = try group.broadcast(full, from: 0).wait() }),
                ("allgather", Double(n - 1) / Double(n), { _ = try group.allGather(slice).wait() }),
                ("reducescatter", Double(n - 1) / Double(n), { _ = try group.reduceScatter(full).wait() }),
            ]
            for (name, factor, op) in cases where wanted("comm/\(name)/world\(n)/\(label)") {
                let timing = try time(bytes: bytes, op)
                let size = Double(count * 4)
                let prefix = "comm/\(name)/world\(n)/\(label)"
                emit(prefix + "/latency", "us", Timing(median: timing.median * 1e6, best: timing.best * 1e6), "")
                emit(
                    prefix + "/algbw", "GB/s",
                    Timing(median: size / timing.median / 1e9, best: size / timing.best / 1e9), "")
                emit(
                    prefix + "/busbw", "GB/s",
                    Timing(median: size * factor / timing.median / 1e9, best: size * factor / timing.best / 1e9),
                    "algbw x \(String(format: "%.2f", factor))")
            }
        }
        try group.barrier().wait()
    }
}
