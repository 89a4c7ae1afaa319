import Foundation

/// When the frames of a connection are sealed (encrypted and authenticated, `FrameSeal`)
/// after its handshake: `FLOCK_SEAL` = `auto` (the default: sealed unless the peer is on
/// this machine's loopback, where only the machine's administrator could tamper with the
/// traffic), `always`, or `never` (a trusted private network, to spare the cost measured
/// in BENCHMARKS.md). Each side states its wish in the handshake and the frames are
/// sealed when either side wishes it; the wishes are authenticated, so nobody on the path
/// can turn sealing off.
package enum SealPolicy: String, Sendable {
    case auto, always, never

    /// The policy `FLOCK_SEAL` names (`auto` when unset or unknown).
    package static var configured: SealPolicy {
        SealPolicy(rawValue: ProcessInfo.processInfo.environment["FLOCK_SEAL"] ?? "") ?? .auto
    }

    /// Whether this side asks for sealed frames with a peer at `host` (an address or name).
    package func wantsSeal(peer host: String) -> Bool {
        switch self {
        case .always: true
        case .never: false
        case .auto: !JobToken.isLoopback(host)
        }
    }
}
