import Crypto
import Foundation

/// A client of the rendezvous key-value store (`RendezvousServer`): how the processes of
/// a job find each other and agree on small facts (addresses, counters, progress).
///
///     let store = try RendezvousStore(host: "127.0.0.1", port: 29500, token: token)
///     try store.set("address/3", Array("10.0.0.7:41000".utf8))
///     let address = try store.get("address/0", timeout: .seconds(60))
///
/// Requests from several threads are serialised over one connection. When the connection
/// breaks (the server restarted, a network blip), the client reconnects and repeats the
/// request once; `add` may then count twice if the first attempt reached the server.
/// When reconnecting fails for `reconnectWindow` (the store's host died), the store is
/// lost: that request and every later one fail at once naming the store's address, so a
/// job whose store host died ends within seconds instead of retrying each call.
public final class RendezvousStore: @unchecked Sendable {
    private let host: String
    private let port: Int
    private let key: SymmetricKey
    /// How long requests that wait (get, wait) wait by default, and how long connecting
    /// may take.
    public let timeout: Duration
    /// How long a broken connection is retried before the store counts as lost.
    public var reconnectWindow: Duration { min(timeout, .seconds(10)) }
    private let lock = NSLock()
    var socket: Socket?  // internal: tests break it to check reconnecting
    /// The seal of `socket`'s session, when it is sealed (see `SealPolicy`).
    private var seal: FrameSeal?
    private var sequence: UInt64 = 0
    /// Set once reconnecting failed: the store's host is gone for good.
    private var lost: CommError?

    /// Connects to the server at `host:port`, retrying until `timeout` while it starts.
    /// - Throws: `CommError.connectionFailed` or `.handshakeFailed` (a wrong token).
    public init(host: String, port: Int, token: String, timeout: Duration = .seconds(300)) throws {
        self.host = host
        self.port = port
        self.timeout = timeout
        key = Handshake.key(token: token)
        (socket, seal) = try connect(within: timeout)
    }

    /// Sets `key` to `value`, waking everyone waiting for it.
    public func set(_ key: String, _ value: [UInt8]) throws {
        _ = try request(.set(key: key, value: value))
    }

    /// The value of `key`, waiting up to `timeout` (default: the store's) for it to be set.
    public func get(_ key: String, timeout: Duration? = nil) throws -> [UInt8] {
        try request(.get(key: key, timeoutMilliseconds: milliseconds(timeout ?? self.timeout)))
    }

    /// Waits until every key in `keys` exists.
    /// - Throws: `CommError.store` naming the keys still missing at the timeout.
    public func wait(for keys: [String], timeout: Duration? = nil) throws {
        _ = try request(.wait(keys: keys, timeoutMilliseconds: milliseconds(timeout ?? self.timeout)))
    }

    /// Atomically adds `delta` to the integer at `key` (absent counts as 0) and returns
    /// the new value.
    @discardableResult
    public func add(_ key: String, _ delta: Int64) throws -> Int64 {
        var reader = PayloadReader(try request(.add(key: key, delta: delta)), peer: "store")
        return try reader.integer(Int64.self)
    }

    /// Sets `key` to `desired` if its value is `expected` (nil: if it is absent), atomically;
    /// returns the value after the attempt (nil if the key is absent), so the caller
    /// compares it with `desired` to learn whether it won.
    public func compareAndSet(_ key: String, expected: [UInt8]?, desired: [UInt8]) throws -> [UInt8]? {
        var reader = PayloadReader(
            try request(.compareAndSet(key: key, expected: expected, desired: desired)), peer: "store")
        let exists = try reader.integer(UInt8.self) != 0
        let value = try reader.data()
        return exists ? value : nil
    }

    /// Deletes `key`; returns whether it existed.
    @discardableResult
    public func delete(_ key: String) throws -> Bool {
        try request(.delete(key: key)) == [1]
    }

    /// Whether every key in `keys` exists now (does not wait).
    public func contains(_ keys: [String]) throws -> Bool {
        try request(.check(keys: keys)) == [1]
    }

    // MARK: Plumbing

    private func connect(within window: Duration) throws -> (Socket, FrameSeal?) {
        let deadline = Deadline.after(window)
        let socket = try Socket.connect(host: host, port: port, until: deadline)
        let keys: Handshake.SessionKeys
        do {
            keys = try Handshake.connect(
                socket, key: key, identity: "store client pid \(getpid())",
                wantsSeal: SealPolicy.configured.wantsSeal(peer: host), until: deadline)
        } catch let gone as PeerGone {
            throw CommError.connectionFailed(
                peer: "store at \(host):\(port)", reason: "during the handshake: \(gone.reason)")
        } catch is TransferTimedOut {
            throw CommError.handshakeFailed(peer: "store at \(host):\(port)", reason: "no answer to the handshake")
        }
        socket.peer = "store at \(host):\(port)"
        return (socket, keys.sealed ? FrameSeal(keys) : nil)
    }

    private func request(_ request: StoreRequest) throws -> [UInt8] {
        lock.lock()
        defer { lock.unlock() }
        if let lost { throw lost }
        for attempt in 0..<2 {
            do {
                let socket: Socket
                var seal: FrameSeal?
                if let open = self.socket {
                    (socket, seal) = (open, self.seal)
                } else {
                    (socket, seal) = try reconnect()
                }
                self.socket = socket
                sequence += 1
                // The server may hold a waiting request for its timeout; allow for that.
                let wait = min(request.serverWaitMilliseconds, StoreState.maxWaitMilliseconds)
                let deadline = Deadline.after(.milliseconds(Int64(wait)) + .seconds(30))
                var requestHeader = FrameHeader(kind: .storeRequest, opcode: request.opcode, sequence: sequence)
                let body = try seal?.seal(&requestHeader, payload: request.encoded()) ?? request.encoded()
                try socket.sendFrame(requestHeader, payload: body, until: deadline)
                let (header, sealedAnswer) = try socket.receiveFrame(
                    maxLength: StoreRequest.maxPayload + UInt64(FrameSeal.overhead), until: deadline)
                let payload: [UInt8]
                do {
                    payload = try seal?.open(header, sealed: sealedAnswer, peer: socket.peer) ?? sealedAnswer
                } catch {
                    socket.shutdown()  // its session can no longer be trusted
                    (self.socket, self.seal) = (nil, nil)
                    throw error
                }
                self.seal = seal
                guard header.kind == .storeResponse, header.sequence == sequence,
                    let status = StoreStatus(rawValue: header.opcode)
                else {
                    throw CommError.badFrame(peer: socket.peer, reason: "unexpected response to request #\(sequence)")
                }
                guard status == .ok else {
                    var reader = PayloadReader(payload, peer: socket.peer)
                    throw CommError.store(reason: (try? reader.string()) ?? "status \(status)")
                }
                return payload
            } catch let error as PeerGone {
                // The connection broke: reconnect and repeat the request once.
                socket = nil
                seal = nil
                if attempt == 1 {
                    throw CommError.connectionFailed(peer: "store at \(host):\(port)", reason: error.reason)
                }
            } catch is TransferTimedOut {
                socket = nil
                seal = nil
                throw CommError.store(reason: "no answer from the store at \(host):\(port)")
            }
        }
        throw CommError.store(reason: "request failed")  // Invariant: the loop returns or throws.
    }

    /// Connects again after the connection broke; marks the store lost when that fails.
    private func reconnect() throws -> (Socket, FrameSeal?) {
        do {
            return try connect(within: reconnectWindow)
        } catch {
            let gone = CommError.connectionFailed(
                peer: "store at \(host):\(port)",
                reason: """
                    the rendezvous store's host stopped answering (reconnecting failed for \
                    \(reconnectWindow.components.seconds) s: \(error)); the job cannot go on without it
                    """)
            lost = gone
            throw gone
        }
    }

    private func milliseconds(_ duration: Duration) -> UInt64 {
        let (seconds, attoseconds) = duration.components
        return UInt64(max(0, seconds * 1000 + attoseconds / 1_000_000_000_000_000))
    }
}
