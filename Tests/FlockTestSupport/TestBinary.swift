import Foundation

/// The programs built beside the test bundle (`flock`, `FlockCommTestWorker`, ...), which
/// multi-process tests start.
public enum TestBinary {
    /// The path of product `name`: next to the test binary on Linux, next to the `.xctest`
    /// bundle elsewhere.
    public static func path(_ name: String) -> String {
        let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        let candidates = [bundle, bundle.deletingLastPathComponent()].map { $0.appendingPathComponent(name).path }
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) } ?? candidates[0]
    }
}
