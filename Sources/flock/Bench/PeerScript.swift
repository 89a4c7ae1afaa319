import Foundation

/// The peer workloads of `Benchmarks/peers/`: Python scripts that run PyTorch, Ray,
/// DuckDB, scikit-learn... on the same work as a `flock bench` area, in the same
/// invocation, and print one JSON object per line. A line with a `missing` key says a
/// peer is not installed; the caller prints how to install it and writes no ratio.
enum PeerScript {
    /// The JSON lines `script` prints when `python` runs it (nothing when the script is not
    /// here). The script's standard error passes through, so its failures are seen.
    static func run(_ python: String, script: String, arguments: [String]) throws -> [[String: Any]] {
        guard FileManager.default.fileExists(atPath: script) else {
            print("no \(script) here: run from the project's root folder")
            return []
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [python, script] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: output, as: UTF8.self).split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
    }

    /// The lines of `results` that are measurements: a missing peer is reported once with
    /// the one-line set-up that installs `requirements` (a file in `Benchmarks/peers/`).
    static func measurements(_ results: [[String: Any]], requirements: String) -> [[String: Any]] {
        for result in results {
            if let missing = result["missing"] {
                print("a peer is not installed (\(missing)); install: \(installHint(requirements))")
            }
        }
        return results.filter { $0["missing"] == nil }
    }

    /// The one-line virtual environment set-up for a requirements file of `Benchmarks/peers/`.
    static func installHint(_ requirements: String) -> String {
        "python3 -m venv .venv && .venv/bin/pip install -r Benchmarks/peers/\(requirements)"
    }
}

/// A peer's medians from this run, by the name of the Flock record they match, and the
/// ratio records against them (above 1 means Flock is better).
struct PeerFigures {
    /// The peer's name in records (`vs-ray`).
    let peer: String
    let medians: [String: Double]

    /// No figures: the peers were not asked for.
    static func none(_ peer: String) -> PeerFigures { PeerFigures(peer: peer, medians: [:]) }

    /// The figures of the JSON lines `{"name", "median"}` a peer script printed.
    init(peer: String, lines: [[String: Any]], requirements: String) {
        var medians: [String: Double] = [:]
        for line in PeerScript.measurements(lines, requirements: requirements) {
            if let name = line["name"] as? String, let median = line["median"] as? Double { medians[name] = median }
        }
        self.init(peer: peer, medians: medians)
    }

    init(peer: String, medians: [String: Double]) {
        self.peer = peer
        self.medians = medians
    }

    /// Adds `name/vs-<peer>` when the peer measured `name`: ours over theirs for a rate,
    /// theirs over ours for a time.
    func compare(
        _ name: String, ours: Double, unit: String, higherIsBetter: Bool, into report: inout BenchReport
    ) {
        guard let theirs = medians[name] else { return }
        report.addRatio(
            "\(name)/vs-\(peer)", value: higherIsBetter ? ours / theirs : theirs / ours,
            note: "\(peer) \(String(format: "%.3g", theirs)) \(unit), this run")
    }
}
