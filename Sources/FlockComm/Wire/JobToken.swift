/// The shared secret every process of a job or cluster proves it knows (see `Handshake`).
/// Anyone holding it can join the job, run code in its workers and read its data, so a
/// job reachable from other machines must not run on a guessable one.
public enum JobToken {
    /// The fewest characters, and the fewest distinct ones, a token for a job reachable
    /// from other machines must have (`generate()` gives 64 hex digits: 256 bits).
    public static let minimumLength = 16
    static let minimumDistinctCharacters = 8

    /// A fresh token: 32 bytes from the system's secure generator, as 64 hex digits.
    public static func generate() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<32).map { _ in
            let byte = UInt8.random(in: 0...255, using: &generator)
            return (byte < 16 ? "0" : "") + String(byte, radix: 16)
        }.joined()
    }

    /// Whether `host` is this machine's loopback (a job there is reachable from it only).
    public static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host.hasPrefix("127.") || host.hasPrefix("::ffff:127.")
    }

    /// Checks that `token` is strong enough for a job whose peers meet at `host`: anything
    /// goes on loopback; elsewhere it needs `minimumLength` characters of which at least 8
    /// differ.
    /// - Throws: `CommError.environment` saying why, and how to make a strong one.
    public static func checkStrength(_ token: String, host: String) throws {
        guard !isLoopback(host) else { return }
        let weak =
            token.count < minimumLength
            ? "has \(token.count) characters (at least \(minimumLength) needed)"
            : Set(token).count < minimumDistinctCharacters
                ? "has only \(Set(token).count) distinct characters" : nil
        if let weak {
            throw CommError.environment(
                reason: """
                    FLOCK_TOKEN is too weak for a job reachable from other machines (\(host)): it \(weak); \
                    anyone who guesses it can join the job and run code in it. Generate one with `flock token` \
                    and give the same to every machine
                    """)
        }
    }
}
