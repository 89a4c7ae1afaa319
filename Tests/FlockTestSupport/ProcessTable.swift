import Foundation

/// The processes of this machine as /proc lists them, to find what a test's programs
/// started (and must have stopped).
public enum ProcessTable {
    /// The ids of running processes whose command line contains `text` and none of
    /// `excluding`.
    public static func ids(matching text: String, excluding: [String] = []) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap(Int32.init).filter { pid in
            guard let raw = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
            let command = String(decoding: raw.map { $0 == 0 ? 32 : $0 }, as: UTF8.self)
            return command.contains(text) && !excluding.contains(where: command.contains)
        }
    }

    /// The value of variable `name` in process `pid`'s start-up environment.
    public static func environment(_ name: String, of pid: Int32) -> String? {
        guard let raw = FileManager.default.contents(atPath: "/proc/\(pid)/environ") else { return nil }
        return raw.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            .first { $0.hasPrefix("\(name)=") }.map { String($0.dropFirst(name.count + 1)) }
    }
}
