/// The store's requests as they travel: a `storeRequest` frame whose opcode names the
/// request and whose payload holds its arguments (PayloadWriter encoding). The response is
/// a `storeResponse` frame with the same sequence number and a status in its opcode.
enum StoreRequest: Equatable {
    case set(key: String, value: [UInt8])
    /// Waits (on the server) until the key exists, then returns its value.
    case get(key: String, timeoutMilliseconds: UInt64)
    case wait(keys: [String], timeoutMilliseconds: UInt64)
    case add(key: String, delta: Int64)
    /// Sets `desired` if the current value equals `expected` (nil: the key is absent);
    /// answers the value after the attempt.
    case compareAndSet(key: String, expected: [UInt8]?, desired: [UInt8])
    case delete(key: String)
    /// Whether all keys exist now (no waiting).
    case check(keys: [String])

    /// The largest value or key list a request may carry.
    static let maxPayload: UInt64 = 64 << 20

    var opcode: UInt8 {
        switch self {
        case .set: 1
        case .get: 2
        case .wait: 3
        case .add: 4
        case .compareAndSet: 5
        case .delete: 6
        case .check: 7
        }
    }

    /// How long the server may hold the request (for the client's read deadline).
    var serverWaitMilliseconds: UInt64 {
        switch self {
        case .get(_, let timeout), .wait(_, let timeout): timeout
        default: 0
        }
    }

    func encoded() -> [UInt8] {
        var writer = PayloadWriter()
        switch self {
        case .set(let key, let value):
            writer.string(key)
            writer.data(value)
        case .get(let key, let timeout):
            writer.string(key)
            writer.integer(timeout)
        case .wait(let keys, let timeout):
            writer.integer(UInt32(keys.count))
            for key in keys { writer.string(key) }
            writer.integer(timeout)
        case .add(let key, let delta):
            writer.string(key)
            writer.integer(delta)
        case .compareAndSet(let key, let expected, let desired):
            writer.string(key)
            writer.integer(UInt8(expected == nil ? 0 : 1))
            writer.data(expected ?? [])
            writer.data(desired)
        case .delete(let key):
            writer.string(key)
        case .check(let keys):
            writer.integer(UInt32(keys.count))
            for key in keys { writer.string(key) }
        }
        return writer.bytes
    }

    static func decode(opcode: UInt8, payload: [UInt8], peer: String) throws -> StoreRequest {
        var reader = PayloadReader(payload, peer: peer)
        func keys() throws -> [String] {
            let count = Int(try reader.integer(UInt32.self))
            guard count <= payload.count else { throw CommError.badFrame(peer: peer, reason: "key count \(count)") }
            return try (0..<count).map { _ in try reader.string() }
        }
        let request: StoreRequest
        switch opcode {
        case 1: request = .set(key: try reader.string(), value: try reader.data())
        case 2: request = .get(key: try reader.string(), timeoutMilliseconds: try reader.integer(UInt64.self))
        case 3: request = .wait(keys: try keys(), timeoutMilliseconds: try reader.integer(UInt64.self))
        case 4: request = .add(key: try reader.string(), delta: try reader.integer(Int64.self))
        case 5:
            let key = try reader.string()
            let hasExpected = try reader.integer(UInt8.self) != 0
            let expected = try reader.data()
            request = .compareAndSet(key: key, expected: hasExpected ? expected : nil, desired: try reader.data())
        case 6: request = .delete(key: try reader.string())
        case 7: request = .check(keys: try keys())
        default: throw CommError.badFrame(peer: peer, reason: "unknown store request \(opcode)")
        }
        try reader.finish()
        return request
    }
}

/// A response's status, carried in the frame's opcode.
enum StoreStatus: UInt8 {
    case ok = 0
    case timedOut = 1
    case failed = 2
}
