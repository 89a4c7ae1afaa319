import Crypto
import Foundation
import Logging

/// The rendezvous key-value store's server (in the spirit of PyTorch's TCPStore), hosted
/// by rank 0 or by a launcher. Clients (`RendezvousStore`) authenticate with the job's
/// token, then set, get, wait for, add to, compare-and-set and delete keys.
///
/// One thread accepts, one thread serves each connection: a job has a handful of clients,
/// and blocking waits (`get`, `wait`) then simply park their connection's thread on a
/// condition until the keys appear or the request's timeout passes. The keys live in the
/// server, not in connections, so a client that reconnects finds everything as it was.
/// A connection that fails the handshake or sends a malformed frame is logged and closed;
/// the others are unaffected.
public final class RendezvousServer: @unchecked Sendable {
    /// The port the server listens on (useful when it was started on port 0).
    public let port: Int
    private let listener: Socket
    private let key: SymmetricKey
    private let state = StoreState()
    private let logger = Logger(label: "flock.store")
    private let connectionsLock = NSLock()
    private var connections: [ObjectIdentifier: Socket] = [:]
    private var stopped = false

    /// Starts serving on `host:port` (port 0: any free port, read `port`).
    /// - Throws: `CommError.connectionFailed` when the address cannot be bound.
    public init(host: String = "0.0.0.0", port: Int = 0, token: String) throws {
        listener = try Socket.listen(host: host, port: port)
        self.port = listener.localPort
        key = Handshake.key(token: token)
        let thread = Thread { [self] in acceptLoop() }
        thread.name = "flock-store-accept"
        thread.start()
    }

    deinit { stop() }

    /// Stops accepting and closes every connection.
    public func stop() {
        connectionsLock.lock()
        let open = Array(connections.values)
        let wasStopped = stopped
        stopped = true
        connectionsLock.unlock()
        guard !wasStopped else { return }
        listener.shutdown()
        for socket in open { socket.shutdown() }
        state.wakeAll()
    }

    private var isStopped: Bool {
        connectionsLock.lock()
        defer { connectionsLock.unlock() }
        return stopped
    }

    private func acceptLoop() {
        while !isStopped {
            do {
                guard let client = try listener.accept(until: .after(.seconds(1))) else { continue }
                connectionsLock.lock()
                connections[ObjectIdentifier(client)] = client
                connectionsLock.unlock()
                let thread = Thread { [self] in serve(client) }
                thread.name = "flock-store-client"
                thread.start()
            } catch {
                if !isStopped { logger.error("store stopped accepting: \(error)") }
                return
            }
        }
    }

    private func serve(_ client: Socket) {
        defer {
            client.shutdown()
            connectionsLock.lock()
            connections[ObjectIdentifier(client)] = nil
            connectionsLock.unlock()
        }
        do {
            let identity = try Handshake.accept(client, key: key, until: .after(.seconds(10)))
            client.peer = "\(identity) at \(client.peer)"
        } catch {
            logger.warning("store: refused connection from \(client.peer): \(error)")
            return
        }
        while !isStopped {
            let header: FrameHeader
            let payload: [UInt8]
            do {
                // Idle clients may stay connected for the whole job.
                (header, payload) = try client.receiveFrame(
                    maxLength: StoreRequest.maxPayload, until: .after(.seconds(86_400)))
            } catch is PeerGone {
                return  // The client went away: normal at the end of a job.
            } catch {
                logger.warning("store: closing connection from \(client.peer): \(error)")
                return
            }
            do {
                guard header.kind == .storeRequest else {
                    throw CommError.badFrame(peer: client.peer, reason: "expected a store request, got \(header.kind)")
                }
                let request = try StoreRequest.decode(opcode: header.opcode, payload: payload, peer: client.peer)
                let (status, answer) = state.handle(request)
                try client.sendFrame(
                    FrameHeader(kind: .storeResponse, opcode: status.rawValue, sequence: header.sequence),
                    payload: answer, until: .after(.seconds(30)))
            } catch {
                logger.warning("store: closing connection from \(client.peer): \(error)")
                return
            }
        }
    }
}

/// The store's keys and values, shared by every connection's thread.
final class StoreState: @unchecked Sendable {
    private let condition = NSCondition()
    private var values: [String: [UInt8]] = [:]
    private var shuttingDown = false

    func wakeAll() {
        condition.lock()
        shuttingDown = true
        condition.broadcast()
        condition.unlock()
    }

    /// Runs one request; blocking requests wait here (releasing the lock) for their keys.
    func handle(_ request: StoreRequest) -> (StoreStatus, [UInt8]) {
        condition.lock()
        defer { condition.unlock() }
        switch request {
        case .set(let key, let value):
            values[key] = value
            condition.broadcast()
            return (.ok, [])
        case .get(let key, let timeout):
            guard waitFor([key], milliseconds: timeout) else { return timedOut([key]) }
            return (.ok, values[key] ?? [])
        case .wait(let keys, let timeout):
            guard waitFor(keys, milliseconds: timeout) else { return timedOut(keys) }
            return (.ok, [])
        case .add(let key, let delta):
            let current: Int64
            if let existing = values[key] {
                guard let number = Int64(String(decoding: existing, as: UTF8.self)) else {
                    return failed("add: key \"\(key)\" holds a value that is not an integer")
                }
                current = number
            } else {
                current = 0
            }
            let (sum, overflow) = current.addingReportingOverflow(delta)
            guard !overflow else { return failed("add: key \"\(key)\" would overflow") }
            values[key] = Array(String(sum).utf8)
            condition.broadcast()
            var writer = PayloadWriter()
            writer.integer(sum)
            return (.ok, writer.bytes)
        case .compareAndSet(let key, let expected, let desired):
            if values[key] == expected {
                values[key] = desired
                condition.broadcast()
            }
            var writer = PayloadWriter()
            writer.integer(UInt8(values[key] == nil ? 0 : 1))
            writer.data(values[key] ?? [])
            return (.ok, writer.bytes)
        case .delete(let key):
            let existed = values.removeValue(forKey: key) != nil
            return (.ok, [existed ? 1 : 0])
        case .check(let keys):
            return (.ok, [keys.allSatisfy { values[$0] != nil } ? 1 : 0])
        }
    }

    /// Waits (lock held on entry and exit) until every key exists; false on timeout.
    private func waitFor(_ keys: [String], milliseconds: UInt64) -> Bool {
        let deadline = Date(timeIntervalSinceNow: Double(milliseconds) / 1000)
        while !keys.allSatisfy({ values[$0] != nil }) {
            if shuttingDown || !condition.wait(until: deadline) { return keys.allSatisfy { values[$0] != nil } }
        }
        return true
    }

    private func timedOut(_ keys: [String]) -> (StoreStatus, [UInt8]) {
        let missing = keys.filter { values[$0] == nil }
        var writer = PayloadWriter()
        writer.string("timed out waiting for keys \(missing)")
        return (.timedOut, writer.bytes)
    }

    private func failed(_ reason: String) -> (StoreStatus, [UInt8]) {
        var writer = PayloadWriter()
        writer.string(reason)
        return (.failed, writer.bytes)
    }
}
