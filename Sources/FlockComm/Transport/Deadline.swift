#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A point in monotonic time after which a blocking call gives up.
struct Deadline: Comparable {
    let nanoseconds: UInt64

    /// The current monotonic time.
    static var now: Deadline {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Deadline(nanoseconds: UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec))
    }

    /// `duration` from now (a negative or zero duration is already past).
    static func after(_ duration: Duration) -> Deadline {
        let (seconds, attoseconds) = duration.components
        let nanos = max(0, seconds) * 1_000_000_000 + max(0, attoseconds / 1_000_000_000)
        return Deadline(nanoseconds: now.nanoseconds &+ UInt64(clamping: nanos))
    }

    var hasPassed: Bool { Deadline.now >= self }

    /// Milliseconds left, rounded up and capped for poll(2); 0 once past.
    var pollMilliseconds: Int32 {
        let current = Deadline.now.nanoseconds
        guard nanoseconds > current else { return 0 }
        return Int32(clamping: (nanoseconds - current + 999_999) / 1_000_000)
    }

    static func < (lhs: Deadline, rhs: Deadline) -> Bool { lhs.nanoseconds < rhs.nanoseconds }
}
