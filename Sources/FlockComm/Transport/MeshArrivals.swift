import Crypto
import Foundation

/// The higher ranks that connected to this rank while a mesh is built. Each accepted
/// connection's handshake runs on its own short-lived thread, with at most
/// `maxConcurrent` at once and `handshakeTimeout` each, so one silent or slow connection
/// (a stranger, a port scanner) neither stalls the group's creation nor makes the timeout
/// blame ranks that did arrive. Strangers (wrong token, wrong group, a rank already
/// connected) are closed.
final class MeshArrivals: @unchecked Sendable {  // state behind `lock`
    static let maxConcurrent = 64
    static let handshakeTimeout = Duration.seconds(5)

    private let group: String
    private let rank: Int
    private let worldSize: Int
    private let key: SymmetricKey
    private let seal: SealPolicy
    private let lock = NSLock()
    private var arrived: [Int: (socket: Socket, seal: FrameSeal?)] = [:]
    private var inFlight = 0
    private var finished = false

    init(group: String, rank: Int, worldSize: Int, key: SymmetricKey, seal: SealPolicy) {
        self.group = group
        self.rank = rank
        self.worldSize = worldSize
        self.key = key
        self.seal = seal
    }

    /// How many higher ranks have connected and authenticated.
    var count: Int { lock.withLock { arrived.count } }

    /// Whether `peer` has connected.
    func hasArrived(_ peer: Int) -> Bool { lock.withLock { arrived[peer] != nil } }

    /// Authenticates `socket` in the background (closed when too many are in flight).
    func handshake(_ socket: Socket, until deadline: Deadline) {
        let admitted = lock.withLock {
            guard inFlight < Self.maxConcurrent else { return false }
            inFlight += 1
            return true
        }
        guard admitted else {
            socket.shutdown()
            return
        }
        let thread = Thread { [self] in
            defer { lock.withLock { inFlight -= 1 } }
            let limit = min(deadline, .after(Self.handshakeTimeout))
            let host = String(socket.peer.prefix { $0 != ":" })  // "a.b.c.d:port"
            guard
                let (claimed, keys) = try? Handshake.accept(
                    socket, key: key, wantsSeal: seal.wantsSeal(peer: host), until: limit),
                let peer = TCPTransport.parseRank(claimed, group: group), peer > rank, peer < worldSize
            else {
                socket.shutdown()
                return
            }
            socket.peer = "rank \(peer)"
            let kept = lock.withLock {
                guard !finished, arrived[peer] == nil else { return false }
                arrived[peer] = (socket, keys.sealed ? FrameSeal(keys) : nil)
                return true
            }
            if !kept { socket.shutdown() }
        }
        thread.name = "flock-mesh-handshake"
        thread.start()
    }

    /// The arrived connections by rank, each with its seal when sealed; this object no
    /// longer owns them, and closes any that finish their handshake later.
    func take() -> [Int: (socket: Socket, seal: FrameSeal?)] {
        lock.withLock {
            finished = true
            defer { arrived = [:] }
            return arrived
        }
    }

    /// Closes the sockets of arrivals nobody took (the mesh failed).
    func closeLeftovers() {
        for link in take().values { link.socket.shutdown() }
    }
}
