import Foundation

/// One benchmark result, in the `{"name", "unit", "value"}` form benchmark trackers read.
struct BenchRecord: Codable {
    let name: String
    let unit: String
    let value: Double
}

/// Timing of repeated runs: the median and the best, in seconds.
struct Timing {
    let median: Double
    let best: Double
}

extension Timing {
    /// The median and best of `times` (at least one).
    init(times: [Double]) {
        let sorted = times.sorted()
        self.init(median: sorted[sorted.count / 2], best: sorted[0])
    }
}

/// Runs `body` once to warm up, then `repeats` times, and returns the median and best time.
func measure(repeats: Int, _ body: () throws -> Void) rethrows -> Timing {
    Timing(times: try sampleTimes(repeats: repeats, body))
}

/// Runs `body` once to warm up, then `repeats` times (at least once), and returns each
/// run's seconds: for measurements pooled over rounds interleaved with a peer's.
func sampleTimes(repeats: Int, _ body: () throws -> Void) rethrows -> [Double] {
    try body()
    var times: [Double] = []
    for _ in 0..<max(1, repeats) {
        let start = DispatchTime.now().uptimeNanoseconds
        try body()
        times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
    }
    return times
}

/// `measure` for async work.
func measure(repeats: Int, _ body: () async throws -> Void) async rethrows -> Timing {
    try await body()
    var times: [Double] = []
    for _ in 0..<max(1, repeats) {
        let start = DispatchTime.now().uptimeNanoseconds
        try await body()
        times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
    }
    return Timing(times: times)
}

/// Collects records, prints them as a table under the machine's description, and writes
/// them as JSON, each record naming the machine and the date.
struct BenchReport {
    private(set) var records: [BenchRecord] = []
    let machine = BenchMachine.current
    private var rows: [[String]] = []

    /// Adds a measured value (the median is recorded; best is shown beside it).
    mutating func add(_ name: String, unit: String, median: Double, best: Double, note: String = "") {
        records.append(BenchRecord(name: name, unit: unit, value: median))
        records.append(BenchRecord(name: name + "/best", unit: unit, value: best))
        rows.append([name, String(format: "%.2f", median), String(format: "%.2f", best), unit, note])
        print(format(rows.last!))  // Invariant: a row was just appended.
        fflush(nil)
    }

    /// Adds a derived ratio (ours against a floor or a peer measured in the same run).
    mutating func addRatio(_ name: String, value: Double, note: String) {
        addDerived(name, unit: "ratio", value: value, note: note)
    }

    /// Adds a value derived from the measurements above it (a ratio, a rate).
    mutating func addDerived(_ name: String, unit: String, value: Double, note: String) {
        records.append(BenchRecord(name: name, unit: unit, value: value))
        rows.append([name, String(format: "%.3f", value), "", unit, note])
        print(format(rows.last!))
        fflush(nil)
    }

    func printHeader() {
        print("machine: \(machine.summary); date: \(machine.date)")
        print(format(["benchmark", "median", "best", "unit", "note"]))
    }

    private func format(_ row: [String]) -> String {
        let widths = [44, 10, 10, 8, 0]
        return zip(row, widths).map { cell, width in
            cell.count >= width ? cell : cell + String(repeating: " ", count: width - cell.count)
        }.joined(separator: " ")
    }

    /// A record as written: the measurement, the machine and the date.
    private struct WrittenRecord: Encodable {
        let name: String
        let unit: String
        let value: Double
        let machine: String
        let date: String
    }

    /// Writes the records as a JSON list of `{name, unit, value, machine, date}`.
    func write(to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let written = records.map {
            WrittenRecord(name: $0.name, unit: $0.unit, value: $0.value, machine: machine.summary, date: machine.date)
        }
        try encoder.encode(written).write(to: URL(fileURLWithPath: path))
    }
}

/// Bytes per second that one thread copies with memcpy between two buffers of `bytes`
/// (median of `repeats`): the floor for anything that must copy its data once.
func copyRate(bytes: Int, repeats: Int) -> Double {
    let source = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
    let target = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
    defer {
        source.deallocate()
        target.deallocate()
    }
    source.initializeMemory(as: UInt8.self, repeating: 1, count: bytes)
    target.initializeMemory(as: UInt8.self, repeating: 0, count: bytes)
    let timing = measure(repeats: repeats) { target.copyMemory(from: source, byteCount: bytes) }
    return Double(bytes) / timing.median
}

extension Duration {
    /// This duration in seconds, for rates.
    var inSeconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
