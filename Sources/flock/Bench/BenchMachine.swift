import Flock
import Foundation

/// The machine and day a benchmark ran on, so a figure is never read as if it came from
/// another: the CPU's model name with its family and model numbers (the name alone says
/// "AMD EPYC" on some clouds, where the family tells Zen 4 from Zen 5), the widest vector
/// level the kernels use, the cores this process may use, the memory, and the date (UTC).
struct BenchMachine {
    let cpu: String
    let vector: String
    let cores: Int
    let memoryGiB: Int
    let date: String

    /// This machine, now.
    static var current: BenchMachine {
        var fields: [String: String] = [:]
        let info = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        for line in info.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 1)
            guard parts.count == 2 else { continue }
            let key = parts[0].trimmingCharacters(in: .whitespaces)
            if fields[key] == nil { fields[key] = parts[1].trimmingCharacters(in: .whitespaces) }
        }
        var cpu = fields["model name"] ?? "unknown CPU"
        if let family = fields["cpu family"], let model = fields["model"] {
            cpu += " (family \(family), model \(model))"
        }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withFullDate]
        return BenchMachine(
            cpu: cpu, vector: CPULevel.detected.description, cores: ProcessInfo.processInfo.activeProcessorCount,
            memoryGiB: Int((Double(ProcessInfo.processInfo.physicalMemory) / Double(1 << 30)).rounded()),
            date: formatter.string(from: Date()))
    }

    /// One line for a table's heading and for each JSON record.
    var summary: String { "\(cpu), \(vector), \(cores) cores, \(memoryGiB) GiB" }
}
