import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Ports for tests that must tell a process which port to listen on.
public enum FreePort {
    /// A port on 127.0.0.1 that nobody listens on now: the OS picks it (so it is never one a
    /// running connection holds, as a random pick from the ephemeral range can be) and the
    /// probe socket is closed before returning, for a process to bind moments later.
    public static func loopback() -> Int {
        let probe = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        precondition(probe >= 0, "socket() failed: errno \(errno)")
        defer { close(probe) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { generic in
                bind(probe, generic, length) == 0 && getsockname(probe, generic, &length) == 0
            }
        }
        precondition(bound, "binding a probe socket to 127.0.0.1:0 failed: errno \(errno)")
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
