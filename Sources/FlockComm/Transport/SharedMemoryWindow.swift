import Atomics
import Foundation
import Logging

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Every rank's shared-memory segment mapped into every process of a group whose ranks
/// all run on one host: the data path that lets large all-reduces skip the kernel's two
/// socket copies (the TCP mesh stays the control path, for barriers, timeouts and
/// noticing dead peers).
///
/// Set-up (collective, at group creation): each rank creates `/dev/shm/flock-collective-<uuid>-<rank>`
/// (mode 0600, space reserved with posix_fallocate so a full tmpfs is an error now, not a
/// SIGBUS later), publishes its path in the store, maps every peer's file, and publishes
/// whether that worked. Only if every rank mapped every segment is the window used; in
/// any case each rank then unlinks its own file, so nothing is left in /dev/shm once the
/// processes end (even by kill -9). Ranks on different hosts cannot open each other's
/// files, so such groups fall back to TCP. `FLOCK_SHM=0` turns the window off.
final class SharedMemoryWindow: @unchecked Sendable {
    /// Bytes of one slot: the piece of a message each rank stages at a time. Small enough
    /// that three sets of every rank's slots stay in a last-level cache, large enough that
    /// the barrier between pieces costs little. `FLOCK_SHM_SLOT_KIB` overrides it (every
    /// rank must use the same value, or the group falls back to TCP).
    let slotBytes: Int
    /// Slots per rank; the all-reduce rotates through them (see `SharedMemoryAllReduce`).
    static let slotsPerRank = 3

    private let segments: [UnsafeMutableRawBufferPointer]
    /// The last barrier generation this rank began (see `SharedMemoryBarrier`); only the
    /// communication thread touches it.
    private var generation: UInt64 = 0
    /// The slot the next staged piece goes to. Rotation continues across operations (a
    /// fast rank's next all-reduce must not overwrite a slot a slow rank still reads), so
    /// every rank advances it identically; only the communication thread touches it.
    private var nextSlot = 0

    private init(segments: [UnsafeMutableRawBufferPointer], slotBytes: Int) {
        self.segments = segments
        self.slotBytes = slotBytes
    }

    deinit {
        for segment in segments { munmap(segment.baseAddress, segment.count) }
    }

    /// The index of the slot for the next piece, advancing the rotation.
    func takeSlot() -> Int {
        defer { nextSlot = (nextSlot + 1) % Self.slotsPerRank }
        return nextSlot
    }

    /// Slot `index` of `rank`'s segment (after the segment's control page).
    func slot(_ index: Int, of rank: Int) -> UnsafeMutableRawBufferPointer {
        let start = Self.controlBytes + index * slotBytes
        return segments[rank][bytes: start..<start + slotBytes]
    }

    /// The next barrier generation, advancing it (every rank advances it identically).
    func nextGeneration() -> UInt64 {
        generation += 1
        return generation
    }

    /// `rank`'s barrier flag: the last generation it reached, in its control page.
    func flag(of rank: Int) -> UnsafeAtomic<UInt64> {
        UnsafeAtomic(at: segments[rank].baseAddress!.assumingMemoryBound(to: UnsafeAtomic<UInt64>.Storage.self))
    }

    /// The control page at the start of each segment: the barrier flag (a page, so the
    /// slots stay page-aligned and the flag shares no cache line with data).
    private static let controlBytes = 4096
    private static let logger = Logger(label: "flock.comm")

    /// Builds the window for `group` with the other ranks, or returns nil (every rank
    /// returns nil together) when some rank could not share memory with all others.
    static func establish(
        store: RendezvousStore, group: String, rank: Int, worldSize: Int, until deadline: Deadline
    ) throws -> SharedMemoryWindow? {
        guard worldSize > 1 else { return nil }
        let environment = ProcessInfo.processInfo.environment
        let enabled = environment["FLOCK_SHM"] != "0"
        let slotBytes =
            environment["FLOCK_SHM_SLOT_KIB"].flatMap(Int.init).map { max(4, $0) << 10 }
            ?? CollectiveThresholds.sharedMemorySlotBytes
        let segmentBytes = controlBytes + slotBytes * slotsPerRank
        let path = "/dev/shm/flock-collective-\(UUID().uuidString.lowercased())-\(rank)"
        var own: UnsafeMutableRawBufferPointer?
        if enabled {
            do { own = try map(path, bytes: segmentBytes, creating: true) } catch {
                logger.info("shared memory unavailable, ranks use TCP: \(error)")
            }
        }
        defer { unlink(path) }
        try store.set("\(group)/shm/\(rank)", Array((own == nil ? "" : path).utf8))
        var segments = [UnsafeMutableRawBufferPointer?](repeating: nil, count: worldSize)
        segments[rank] = own
        for peer in 0..<worldSize where peer != rank && own != nil {
            let peerPath = String(
                decoding: try store.get("\(group)/shm/\(peer)", timeout: remaining(deadline)), as: UTF8.self)
            segments[peer] = peerPath.isEmpty ? nil : try? map(peerPath, bytes: segmentBytes, creating: false)
        }
        let mappedAll = segments.allSatisfy { $0 != nil }
        try store.set("\(group)/shm-ok/\(rank)", mappedAll ? [1] : [0])
        var everyone = mappedAll
        for peer in 0..<worldSize where peer != rank {
            everyone = try store.get("\(group)/shm-ok/\(peer)", timeout: remaining(deadline)) == [1] && everyone
        }
        let mapped = segments.compactMap { $0 }
        guard everyone else {
            for segment in mapped { munmap(segment.baseAddress, segment.count) }
            return nil
        }
        return SharedMemoryWindow(segments: mapped, slotBytes: slotBytes)
    }

    private static func remaining(_ deadline: Deadline) -> Duration {
        .milliseconds(Int64(max(1, deadline.pollMilliseconds)))
    }

    /// Maps the `segmentBytes`-long segment at `path`, creating it (exclusively, with its
    /// space reserved) or opening an existing one of that size.
    private static func map(_ path: String, bytes segmentBytes: Int, creating: Bool) throws
        -> UnsafeMutableRawBufferPointer
    {
        let fd = creating ? open(path, O_RDWR | O_CREAT | O_EXCL, 0o600) : open(path, O_RDWR)
        guard fd >= 0 else {
            throw CommError.environment(reason: "cannot open \(path): \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        if creating {
            let status = posix_fallocate(fd, 0, off_t(segmentBytes))
            guard status == 0 else {
                throw CommError.environment(
                    reason: "cannot reserve \(segmentBytes) bytes in \(path): \(String(cString: strerror(status)))")
            }
        } else {
            var info = stat()
            guard fstat(fd, &info) == 0, info.st_size == off_t(segmentBytes) else {
                throw CommError.environment(reason: "\(path) is not a Flock segment of \(segmentBytes) bytes")
            }
        }
        guard let base = mmap(nil, segmentBytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0), base != MAP_FAILED else {
            throw CommError.environment(reason: "cannot map \(path): \(String(cString: strerror(errno)))")
        }
        return UnsafeMutableRawBufferPointer(start: base, count: segmentBytes)
    }
}
