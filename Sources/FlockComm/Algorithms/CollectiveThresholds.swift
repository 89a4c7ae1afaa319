/// The sizes at which the collectives change algorithm or cut a message into pieces, in one
/// place with the reasons behind them. Change one here, then measure with
/// `flock bench comm` (interleaved before/after runs: the hosts are noisy).
enum CollectiveThresholds {
    /// All-reduces of at most this many bytes use recursive doubling (log2(n) rounds of whole
    /// messages: latency-bound sizes), larger ones the ring (2(n-1)/n of the message per
    /// rank: the bandwidth optimum) or shared memory. The crossover is where the ring's
    /// 2(n-1) steps stop costing more than the doubling's extra bytes; 64 KiB follows Gloo's
    /// and NCCL's defaults and has not been re-measured on this project's machines.
    static let recursiveDoublingLimit = 64 << 10

    /// Broadcasts of at least this many bytes flow down a pipelined chain instead of a
    /// binomial tree (whose root sends the whole message log2(n) times). Not re-measured,
    /// like `recursiveDoublingLimit`.
    static let broadcastChainThreshold = 256 << 10

    /// The chain's chunk: each rank forwards chunk c-1 while it receives chunk c, so a
    /// smaller chunk fills the pipeline sooner and a larger one costs fewer round trips.
    static let broadcastChunkBytes = 1 << 20

    /// The ring reduces this many bytes of a segment at a time as they land, so reducing
    /// overlaps the transfer of the rest.
    static let ringChunkBytes = 256 << 10

    /// Shared-memory all-reduce pieces: with 256 KiB every rank's three slot sets stay in an
    /// 8 MiB L3 at world 4 (BENCHMARKS.md: 1.45-2.03 GB/s against 1.32-1.41 at 512 KiB and
    /// 1.34-1.42 at 2 MiB, world 4, 16 MiB, four interleaved rounds). `FLOCK_SHM_SLOT_KIB`
    /// overrides it.
    static let sharedMemorySlotBytes = 256 << 10

    /// Broadcasts, all-gathers and reduce-scatters of more than this many bytes (the whole
    /// message) go through shared memory when the group has a window; smaller ones stay on
    /// TCP, where one message costs less than the window's TCP barrier plus its copies.
    /// Chosen equal to `recursiveDoublingLimit`, where all-reduce switches; not re-measured.
    static let sharedMemoryMinimumBytes = 64 << 10

    /// Plain bytes per sealed record of a collective message (`FrameSeal`): small enough
    /// that a ring step reduces one record while the next is on the wire; AES-256-GCM seals
    /// and opens records at 3.2-3.9 GB/s on one core here (BENCHMARKS.md), above loopback.
    static let sealedRecordBytes = 64 << 10
}
