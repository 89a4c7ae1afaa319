import Foundation

/// The processor this process runs on, as /proc/cpuinfo names it: the model name with its
/// family, model and stepping numbers (clouds often name only "AMD EPYC", where the family
/// tells a Zen 4 from a Zen 5). Names a machine kind in benchmark records and keys the
/// GEMM calibration, which differs between kinds with the same feature bits.
public enum CPUModel {
    /// "AMD EPYC (family 26, model 2, stepping 1)", or "unknown CPU" where /proc/cpuinfo is missing.
    public static let description: String = {
        var fields: [String: String] = [:]
        let info = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        for line in info.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 1)
            guard parts.count == 2 else { continue }
            let key = parts[0].trimmingCharacters(in: .whitespaces)
            if fields[key] == nil { fields[key] = parts[1].trimmingCharacters(in: .whitespaces) }
        }
        let name = fields["model name"] ?? "unknown CPU"
        let numbers = [("cpu family", "family"), ("model", "model"), ("stepping", "stepping")].compactMap {
            key, label in fields[key].map { "\(label) \($0)" }
        }
        return numbers.isEmpty ? name : "\(name) (\(numbers.joined(separator: ", ")))"
    }()
}
