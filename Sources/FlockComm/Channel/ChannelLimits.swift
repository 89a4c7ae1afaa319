import NIOCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// What a listener grants a peer before and after it authenticates, and how soon a silent
/// or vanished peer is given up. The defaults suit every Flock listener; tests shrink them.
package struct ChannelLimits: Sendable {
    /// Seconds a new connection has to complete the handshake.
    package var handshakeTimeout: TimeAmount = .seconds(5)
    /// Unauthenticated connections kept at once; a newer one displaces the oldest.
    package var maxPendingHandshakes = 256
    /// Connections kept at once (authenticated or not); more are refused.
    package var maxConnections = 4096
    /// TCP keepalive: how soon the kernel notices a peer that vanished without closing.
    package var keepalive = Keepalive()

    /// TCP keepalive settings: a probe after `idleSeconds` of silence, then every
    /// `intervalSeconds`; the connection fails after `probes` unanswered ones (about 11 s
    /// with the defaults instead of Linux's 2 hours 11 minutes). Keepalive probes only an
    /// idle connection; one that is sending (a node agent's heartbeats into a partition)
    /// fails when its data goes unacknowledged for `unacknowledgedMilliseconds`
    /// (TCP_USER_TIMEOUT, Linux) instead of after 15 minutes of retransmissions.
    package struct Keepalive: Sendable {
        package var idleSeconds = 5
        package var intervalSeconds = 2
        package var probes = 3
        package var unacknowledgedMilliseconds = 15_000

        static let idle = option(Int32(keepaliveIdleOption))
        static let interval = option(Int32(TCP_KEEPINTVL))
        static let probes = option(Int32(TCP_KEEPCNT))
        static let unacknowledged = option(tcpUserTimeoutOption)

        private static func option(_ name: Int32) -> ChannelOptions.Types.SocketOption {
            ChannelOptions.Types.SocketOption(level: .tcp, name: NIOBSDSocket.Option(rawValue: name))
        }
    }

    /// Limits with the defaults.
    package init() {}
}

#if canImport(Darwin)
    private let keepaliveIdleOption = TCP_KEEPALIVE  // Darwin's name for the idle time
    private let tcpUserTimeoutOption = Int32(0x80)  // TCP_RXT_CONNDROPTIME: seconds, not ms
#else
    private let keepaliveIdleOption = TCP_KEEPIDLE
    private let tcpUserTimeoutOption = Int32(18)  // TCP_USER_TIMEOUT (linux/tcp.h)
#endif
