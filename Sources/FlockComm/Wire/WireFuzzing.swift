/// Entry points for the fuzz targets in `Fuzz/` (libFuzzer): each feeds arbitrary bytes to
/// one of FlockComm's decoders of peer input. A decoder must throw on bad input, never
/// trap; what decodes must survive a re-encode with the same value. A broken round trip
/// stops the process (`preconditionFailure`), which is how a fuzzer reports a finding.
package enum CommFuzzing {
    /// The 40-byte frame header: decoded (any limit), re-encoded byte for byte.
    package static func frameHeader(_ bytes: [UInt8]) {
        guard bytes.count >= FrameHeader.size + 8 else { return }
        let limit = bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: FrameHeader.size, as: UInt64.self) }
        let header = bytes.withUnsafeBytes {
            try? FrameHeader.decode(
                UnsafeRawBufferPointer(rebasing: $0[..<FrameHeader.size]), maxLength: limit, peer: "fuzz")
        }
        guard let header else { return }
        roundTripHolds(header.encoded() == Array(bytes[..<FrameHeader.size]), "frame header \(header)")
    }

    /// A store request (first byte: opcode; the rest: payload).
    package static func storeRequest(_ bytes: [UInt8]) {
        guard let opcode = bytes.first else { return }
        guard let request = try? StoreRequest.decode(opcode: opcode, payload: Array(bytes.dropFirst()), peer: "fuzz")
        else { return }
        let again = try? StoreRequest.decode(opcode: request.opcode, payload: request.encoded(), peer: "fuzz")
        roundTripHolds(again == request, "store request \(request)")
    }

    /// The handshake as both halves see a peer's frames: the acceptor checks an
    /// authenticate payload; the connector reads a hello, then an answer (first byte: its
    /// frame kind; the input is split in two at byte 1's value).
    package static func handshake(_ bytes: [UInt8]) {
        let key = Handshake.key(token: "fuzz")
        _ = try? Handshake.Acceptor(key: key).verify(authenticate: bytes, peer: "fuzz")
        guard bytes.count >= 2 else { return }
        let split = min(Int(bytes[1]) + 2, bytes.count)
        var connector = Handshake.Connector(key: key, identity: "fuzz")
        guard (try? connector.authenticate(hello: Array(bytes[2..<split]), peer: "fuzz")) != nil,
            let kind = FrameHeader.Kind(rawValue: bytes[0])
        else { return }
        _ = try? connector.finish(kind: kind, payload: Array(bytes[split...]), peer: "fuzz")
    }

    /// Valid inputs for each target above, the start of its corpus.
    package static var seeds: [String: [[UInt8]]] {
        var header = FrameHeader(kind: .collective, opcode: 3, dtype: 1, reduce: 2, sequence: 9, count: 4, length: 16)
            .encoded()
        header += withUnsafeBytes(of: UInt64(1 << 20).littleEndian, Array.init)
        let requests: [StoreRequest] = [
            .set(key: "world/address/0", value: Array("127.0.0.1:4000".utf8)),
            .get(key: "k", timeoutMilliseconds: 30_000), .wait(keys: ["a", "b"], timeoutMilliseconds: 5),
            .add(key: "n", delta: -3), .compareAndSet(key: "c", expected: nil, desired: [1]),
            .compareAndSet(key: "c", expected: [1], desired: [2]), .delete(key: "k"), .check(keys: ["x"]),
        ]
        let acceptor = Handshake.Acceptor(key: Handshake.key(token: "fuzz"))
        var connector = Handshake.Connector(key: Handshake.key(token: "fuzz"), identity: "group world rank 1")
        let authenticate = (try? connector.authenticate(hello: acceptor.hello, peer: "seed")) ?? []
        let accept = (try? acceptor.verify(authenticate: authenticate, peer: "seed").accept) ?? []
        let hello = acceptor.hello
        return [
            "frame-header": [header],
            "store-request": requests.map { [$0.opcode] + $0.encoded() },
            "handshake": [authenticate, [FrameHeader.Kind.accept.rawValue, UInt8(hello.count - 2)] + hello + accept],
        ]
    }

    /// Stops the process when a decoded value did not survive re-encoding.
    package static func roundTripHolds(_ holds: Bool, _ what: @autoclosure () -> String) {
        if !holds { preconditionFailure("fuzz: \(what()) does not decode to itself after encoding") }
    }
}
