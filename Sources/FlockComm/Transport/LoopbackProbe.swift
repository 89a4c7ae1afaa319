import Foundation

/// Measures this machine's loopback TCP bandwidth for one stream (the floor the TCP
/// collectives are compared with): one thread streams `bytes` through a connected
/// socket pair of the same kind the transport uses, the caller's thread receives them.
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
}
