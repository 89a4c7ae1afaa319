import Foundation

/// Measures this machine's loopback TCP floors: the bandwidth of one stream (what the TCP
/// collectives are compared with) and the round trip of a small message (what remote
/// calls are compared with), over a connected socket pair of the kind the transport uses.
package enum LoopbackProbe {
    /// Bytes per second of one loopback TCP stream.
    package static func bandwidth(bytes: Int = 512 << 20) throws -> Double {
        let listener = try Socket.listen(host: "127.0.0.1", port: 0)
        let deadline = Deadline.after(.seconds(60))
        let sender = try Socket.connect(host: "127.0.0.1", port: listener.localPort, until: deadline)
        guard let receiver = try listener.accept(until: deadline) else {
            throw CommError.connectionFailed(peer: "loopback", reason: "no connection")
        }
        let sink = UnsafeMutableRawBufferPointer.allocate(byteCount: 4 << 20, alignment: 64)
        defer { sink.deallocate() }
        let thread = Thread {
            let block = UnsafeMutableRawBufferPointer.allocate(byteCount: 4 << 20, alignment: 64)
            defer { block.deallocate() }
            block.initializeMemory(as: UInt8.self, repeating: 1)
            var left = bytes
            while left > 0 {
                let part = UnsafeRawBufferPointer(rebasing: block[0..<min(left, block.count)])
                guard (try? sender.sendAll([part], until: deadline)) != nil else { return }
                left -= part.count
            }
        }
        let start = Date()
        thread.start()
        var received = 0
        while received < bytes {
            let part = sink[bytes: 0..<min(sink.count, bytes - received)]
            try receiver.receiveAll(into: part, until: deadline)
            received += part.count
        }
        return Double(bytes) / Date().timeIntervalSince(start)
    }

    /// Seconds per round trip of a 64-byte message between two threads (the median of
    /// `rounds` rounds of 2,000).
    package static func roundTrip(rounds: Int = 5) throws -> Double {
        let listener = try Socket.listen(host: "127.0.0.1", port: 0)
        let deadline = Deadline.after(.seconds(60))
        let client = try Socket.connect(host: "127.0.0.1", port: listener.localPort, until: deadline)
        guard let server = try listener.accept(until: deadline) else {
            throw CommError.connectionFailed(peer: "loopback", reason: "no connection")
        }
        let exchanges = 2_000 * rounds
        let echo = Thread {
            let message = UnsafeMutableRawBufferPointer.allocate(byteCount: 64, alignment: 64)
            defer { message.deallocate() }
            for _ in 0..<exchanges {
                guard (try? server.receiveAll(into: message, until: deadline)) != nil,
                    (try? server.sendAll([UnsafeRawBufferPointer(message)], until: deadline)) != nil
                else { return }
            }
        }
        echo.start()
        let message = UnsafeMutableRawBufferPointer.allocate(byteCount: 64, alignment: 64)
        defer { message.deallocate() }
        message.initializeMemory(as: UInt8.self, repeating: 1)
        var times: [Double] = []
        for _ in 0..<rounds {
            let start = Date()
            for _ in 0..<2_000 {
                try client.sendAll([UnsafeRawBufferPointer(message)], until: deadline)
                try client.receiveAll(into: message, until: deadline)
            }
            times.append(Date().timeIntervalSince(start) / 2_000)
        }
        return times.sorted()[rounds / 2]
    }
}
