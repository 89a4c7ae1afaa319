import Flock
import Foundation

/// The machine and day a benchmark ran on, so a figure is never read as if it came from
/// another: the CPU (`CPUModel`), the widest vector level the kernels use, the cores this
/// process may use, the memory, and the date (UTC).
struct BenchMachine {
    let cpu: String
    let vector: String
    let cores: Int
    let memoryGiB: Int
    let date: String

    /// This machine, now.
    static var current: BenchMachine {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withFullDate]
        return BenchMachine(
            cpu: CPUModel.description, vector: CPULevel.detected.description,
            cores: ProcessInfo.processInfo.activeProcessorCount,
            memoryGiB: Int((Double(ProcessInfo.processInfo.physicalMemory) / Double(1 << 30)).rounded()),
            date: formatter.string(from: Date()))
    }

    /// One line for a table's heading and for each JSON record.
    var summary: String { "\(cpu), \(vector), \(cores) cores, \(memoryGiB) GiB" }
}
