#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A non-blocking TCP socket with deadline-bounded blocking helpers. Every wait goes
/// through poll(2) with the caller's deadline, so nothing here can hang forever.
/// `shutdown()` may be called from another thread: it wakes a thread blocked in poll.
final class Socket: @unchecked Sendable {
    let fd: Int32
    /// Who is on the other side, for error messages ("127.0.0.1:41234", "rank 3").
    var peer: String

    private init(fd: Int32, peer: String) {
        self.fd = fd
        self.peer = peer
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
    }

    deinit { close(fd) }

    /// Stops all traffic and wakes any thread waiting on this socket; the descriptor is
    /// closed when the object goes away.
    func shutdown() { systemShutdown(fd) }

    // MARK: Setting up

    /// A listening socket on `host` (an IPv4 address or name; "0.0.0.0" for all) and
    /// `port` (0: the OS picks a free one, read it from `localPort`).
    static func listen(host: String, port: Int) throws -> Socket {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw CommError.connectionFailed(peer: "\(host):\(port)", reason: errnoText("socket")) }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = try resolve(host: host, port: port)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0, systemListen(fd) == 0 else {
            let reason = errnoText("bind/listen")
            close(fd)
            throw CommError.connectionFailed(peer: "\(host):\(port)", reason: reason)
        }
        return Socket(fd: fd, peer: "listener \(host):\(port)")
    }

    /// The port this socket is bound to.
    var localPort: Int {
        var address = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// Waits for one incoming connection until `deadline`; nil when none came.
    func accept(until deadline: Deadline) throws -> Socket? {
        while true {
            var address = sockaddr_in()
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let client = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { systemAccept(fd, $0, &length) }
            }
            if client >= 0 {
                let socket = Socket(fd: client, peer: Socket.describe(address))
                socket.configureForData()
                return socket
            }
            guard errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR else {
                throw CommError.connectionFailed(peer: peer, reason: errnoText("accept"))
            }
            if deadline.hasPassed { return nil }
            guard try wait(for: Int16(POLLIN), until: deadline) else { return nil }
        }
    }

    /// Connects to `host:port`, retrying while nobody listens yet (a server that is still
    /// starting) until `deadline`.
    static func connect(host: String, port: Int, until deadline: Deadline) throws -> Socket {
        var address = try resolve(host: host, port: port)
        var lastError = "timed out"
        while !deadline.hasPassed {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            guard fd >= 0 else {
                throw CommError.connectionFailed(peer: "\(host):\(port)", reason: errnoText("socket"))
            }
            let socket = Socket(fd: fd, peer: "\(host):\(port)")
            let result = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    systemConnect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            if result == 0 || errno == EINPROGRESS {
                if try socket.wait(for: Int16(POLLOUT), until: deadline) {
                    var error: Int32 = 0
                    var length = socklen_t(MemoryLayout<Int32>.size)
                    getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length)
                    if error == 0 {
                        socket.configureForData()
                        return socket
                    }
                    lastError = String(cString: strerror(error))
                }
            } else {
                lastError = errnoText("connect")
            }
            // Refused or reset: the server may not be up yet; try again shortly.
            usleep(20_000)
        }
        throw CommError.connectionFailed(peer: "\(host):\(port)", reason: lastError)
    }

    /// No Nagle delay: small collective messages must leave at once. (Buffer sizes are
    /// left to the kernel's autotuning, which grows them to megabytes; setting SO_SNDBUF
    /// would switch autotuning off and cap them at net.core.wmem_max.)
    private func configureForData() {
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
    }

    // MARK: Moving bytes

    /// Sends what the kernel takes now from `parts` (in order), returning the bytes
    /// written (0 when the buffer is full). Never raises SIGPIPE.
    func sendSome(_ parts: [UnsafeRawBufferPointer]) throws -> Int {
        var vectors = parts.filter { $0.count > 0 }.map {
            iovec(iov_base: UnsafeMutableRawPointer(mutating: $0.baseAddress), iov_len: $0.count)
        }
        if vectors.isEmpty { return 0 }
        let sent = vectors.withUnsafeMutableBufferPointer { buffer -> Int in
            var message = msghdr()
            message.msg_iov = buffer.baseAddress
            message.msg_iovlen = buffer.count
            return sendmsg(fd, &message, Int32(MSG_NOSIGNAL))
        }
        if sent >= 0 { return sent }
        if errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR { return 0 }
        throw PeerGone(reason: errnoText("send"))
    }

    /// Receives what is available now into `buffer`, returning the byte count (0 when
    /// nothing is ready). Throws `PeerGone` when the peer closed the connection.
    func receiveSome(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard buffer.count > 0 else { return 0 }
        let received = recv(fd, buffer.baseAddress, buffer.count, 0)
        if received > 0 { return received }
        if received == 0 { throw PeerGone(reason: "the connection was closed") }
        if errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR { return 0 }
        throw PeerGone(reason: errnoText("receive"))
    }

    /// Sends all of `parts` before `deadline`.
    func sendAll(_ parts: [UnsafeRawBufferPointer], until deadline: Deadline) throws {
        var remaining = parts
        while let first = remaining.first {
            if first.isEmpty {
                remaining.removeFirst()
                continue
            }
            var sent = try sendSome(remaining)
            if sent == 0 {
                guard try wait(for: Int16(POLLOUT), until: deadline) else { throw TransferTimedOut() }
                continue
            }
            while sent > 0, let part = remaining.first {
                let used = min(sent, part.count)
                remaining[0] = UnsafeRawBufferPointer(rebasing: part[used...])
                if remaining[0].isEmpty { remaining.removeFirst() }
                sent -= used
            }
        }
    }

    /// Fills `buffer` completely before `deadline`.
    func receiveAll(into buffer: UnsafeMutableRawBufferPointer, until deadline: Deadline) throws {
        var filled = 0
        while filled < buffer.count {
            let received = try receiveSome(into: UnsafeMutableRawBufferPointer(rebasing: buffer[filled...]))
            if received == 0 {
                guard try wait(for: Int16(POLLIN), until: deadline) else { throw TransferTimedOut() }
            }
            filled += received
        }
    }

    /// Waits until the socket is ready for `events`; false at the deadline.
    func wait(for events: Int16, until deadline: Deadline) throws -> Bool {
        var descriptor = pollfd(fd: fd, events: events, revents: 0)
        while true {
            let ready = poll(&descriptor, 1, deadline.pollMilliseconds)
            if ready > 0 { return true }
            if ready == 0 { return false }
            if errno != EINTR { throw PeerGone(reason: errnoText("poll")) }
        }
    }

    // MARK: Helpers

    private static func resolve(host: String, port: Int) throws -> sockaddr_in {
        guard (0...65535).contains(port) else {
            throw CommError.connectionFailed(peer: "\(host):\(port)", reason: "port \(port) is out of range")
        }
        var hints = addrinfo()
        hints.ai_family = AF_INET
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, nil, &hints, &result)
        guard status == 0, let info = result, let raw = info.pointee.ai_addr else {
            throw CommError.connectionFailed(
                peer: "\(host):\(port)", reason: "cannot resolve host: \(String(cString: gai_strerror(status)))")
        }
        defer { freeaddrinfo(result) }
        var address = raw.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee }
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        return address
    }

    private static func describe(_ address: sockaddr_in) -> String {
        var ip = address.sin_addr
        var text = [CChar](repeating: 0, count: Int(INET_ADDRSTRLEN))
        inet_ntop(AF_INET, &ip, &text, socklen_t(text.count))
        let host = text.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }  // Invariant: NUL-terminated.
        return "\(host):\(UInt16(bigEndian: address.sin_port))"
    }
}

/// The peer closed the connection or the socket failed (internal; the callers turn it
/// into a `CommError` that names the operation).
struct PeerGone: Error {
    let reason: String
}

/// A transfer did not finish before its deadline (internal, like `PeerGone`).
struct TransferTimedOut: Error {}

// The C calls whose names Socket's own methods shadow.
private func systemShutdown(_ fd: Int32) { _ = shutdown(fd, Int32(SHUT_RDWR)) }
private func systemListen(_ fd: Int32) -> Int32 { listen(fd, 128) }
private func systemAccept(_ fd: Int32, _ address: UnsafeMutablePointer<sockaddr>, _ length: inout socklen_t) -> Int32 {
    accept(fd, address, &length)
}
private func systemConnect(_ fd: Int32, _ address: UnsafePointer<sockaddr>, _ length: socklen_t) -> Int32 {
    connect(fd, address, length)
}

/// "what: the C library's text for errno".
func errnoText(_ what: String) -> String {
    "\(what): \(String(cString: strerror(errno)))"
}
