import Foundation
import Logging
import NIOCore

/// Admission control for one listener (see `ChannelLimits`): counts its connections,
/// refuses one above `maxConnections`, and keeps at most `maxPendingHandshakes`
/// unauthenticated ones by closing the oldest when a new one arrives. A real peer
/// authenticates within a round trip, so only a flood older than that is displaced.
/// Refusals are logged at most once a second, with how many there were.
final class ConnectionGate: @unchecked Sendable {  // state behind `lock`
    private let limits: ChannelLimits
    private let lock = NSLock()
    private var open = 0
    /// Unauthenticated channels, oldest first (by admission number).
    private var pending: [ObjectIdentifier: (number: UInt64, channel: Channel)] = [:]
    private var admitted: UInt64 = 0
    private var refusedSinceLog = 0
    private var lastLog = ContinuousClock.now - .seconds(2)
    private let logger = Logger(label: "flock.channel")

    init(limits: ChannelLimits) { self.limits = limits }

    /// Counts `channel` in; false when the listener is full (the caller closes it).
    func admit(_ channel: Channel) -> Bool {
        let id = ObjectIdentifier(channel)
        let (accepted, displaced): (Bool, Channel?) = lock.withLock {
            guard open < limits.maxConnections else {
                refusedSinceLog += 1
                return (false, nil)
            }
            open += 1
            admitted += 1
            pending[id] = (admitted, channel)
            var oldest: Channel?
            if pending.count > limits.maxPendingHandshakes,
                let first = pending.min(by: { $0.value.number < $1.value.number })
            {
                pending[first.key] = nil
                oldest = first.value.channel
                refusedSinceLog += 1
            }
            return (true, oldest)
        }
        if accepted {
            channel.closeFuture.whenComplete { [self] _ in closed(id) }
        }
        displaced?.close(promise: nil)
        logRefusals(remote: channel.remoteAddress)
        return accepted
    }

    /// The peer on `channel` authenticated: it no longer counts as pending.
    func authenticated(_ channel: Channel) {
        _ = lock.withLock { pending.removeValue(forKey: ObjectIdentifier(channel)) }
    }

    private func closed(_ id: ObjectIdentifier) {
        lock.withLock {
            open -= 1
            pending[id] = nil
        }
    }

    private func logRefusals(remote: SocketAddress?) {
        let count: Int? = lock.withLock {
            guard refusedSinceLog > 0, ContinuousClock.now - lastLog >= .seconds(1) else { return nil }
            defer {
                refusedSinceLog = 0
                lastLog = .now
            }
            return refusedSinceLog
        }
        guard let count else { return }
        logger.warning(
            """
            refused or dropped \(count) connection(s) (latest from \(remote.map { "\($0)" } ?? "a peer")): \
            at most \(limits.maxConnections) connections and \(limits.maxPendingHandshakes) unauthenticated ones \
            are kept; a flood of connections that do not authenticate is being shed
            """)
    }
}
