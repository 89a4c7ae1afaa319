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
    /// with the defaults instead of Linux's 2 hours 11 minutes).
    package struct Keepalive: Sendable {
        package var idleSeconds = 5
        package var intervalSeconds = 2
        package var probes = 3

        static let idle = option(Int32(keepaliveIdleOption))
        static let interval = option(Int32(TCP_KEEPINTVL))
        static let probes = option(Int32(TCP_KEEPCNT))

        private static func option(_ name: Int32) -> ChannelOptions.Types.SocketOption {
            ChannelOptions.Types.SocketOption(level: .tcp, name: NIOBSDSocket.Option(rawValue: name))
        }
    }

    /// Limits with the defaults.
    package init() {}
}

#if canImport(Darwin)
    private let keepaliveIdleOption = TCP_KEEPALIVE  // Darwin's name for the idle time
#else
    private let keepaliveIdleOption = TCP_KEEPIDLE
#endif
