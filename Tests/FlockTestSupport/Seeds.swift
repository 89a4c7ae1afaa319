import Foundation

/// Seeds for randomized tests: fresh ones each run (so runs explore), or the ones listed in
/// an environment variable (so a failure replays).
public enum Seeds {
    /// The seeds listed in `variable` ("1,2,3"), else `count` random ones.
    public static func from(_ variable: String, count: Int) -> [UInt64] {
        if let listed = ProcessInfo.processInfo.environment[variable] {
            return listed.split(separator: ",").compactMap { UInt64($0) }
        }
        return (0..<count).map { _ in UInt64.random(in: 1...999_999) }
    }
}
