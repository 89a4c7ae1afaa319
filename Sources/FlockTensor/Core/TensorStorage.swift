import Foundation

/// The reference-counted buffer behind one or more tensor views.
///
/// Tensors share a storage until one of them is mutated; the mutating tensor then copies
/// it first (copy-on-write), so a storage is never written while shared. The buffer is
/// 64-byte aligned for the vector kernels and comes from `BufferCache`.
final class TensorStorage: @unchecked Sendable {
    let pointer: UnsafeMutableRawPointer
    let count: Int
    let dtype: DType
    private let byteCount: Int

    /// Allocates room for `count` elements, zero-filled when `zeroed`.
    init(count: Int, dtype: DType, zeroed: Bool) {
        self.count = count
        self.dtype = dtype
        byteCount = Swift.max(1, count * dtype.byteSize)
        pointer = BufferCache.shared.allocate(byteCount: byteCount)
        if zeroed { pointer.initializeMemory(as: UInt8.self, repeating: 0, count: byteCount) }
    }

    deinit { BufferCache.shared.release(pointer, byteCount: byteCount) }

    /// The buffer as elements of `T` (which must match `dtype`).
    @inline(__always)
    func typed<T: TensorElement>(_: T.Type) -> UnsafeMutablePointer<T> {
        pointer.assumingMemoryBound(to: T.self)
    }
}

/// Keeps recently freed large buffers for reuse by exact size.
///
/// A fresh multi-megabyte allocation is mapped anew by the C allocator and every page
/// faults on first touch, which costs as much as an elementwise op itself; training and
/// benchmarks allocate the same sizes step after step, so reusing buffers removes that
/// cost. Buffers under 64 KiB go straight to the allocator. At most `capacity` bytes are
/// kept: a release that would exceed it first frees cached buffers of the size least
/// recently used (the sizes a previous job used and the current one does not), so a new
/// job's working set is not evicted by its own churn.
final class BufferCache: @unchecked Sendable {  // state guarded by `lock`
    static let shared = BufferCache(capacity: 512 << 20)
    static let minimumSize = 64 << 10

    private let capacity: Int
    private let lock = NSLock()
    private var free: [Int: [UnsafeMutableRawPointer]] = [:]
    private var lastUse: [Int: Int] = [:]
    private var clock = 0
    private var cachedBytes = 0

    init(capacity: Int) { self.capacity = capacity }

    /// Bytes held for reuse, and how many buffers of `size` are cached (for tests).
    var cachedByteCount: Int { lock.withLock { cachedBytes } }
    func cachedBuffers(ofSize size: Int) -> Int { lock.withLock { free[size]?.count ?? 0 } }

    func allocate(byteCount: Int) -> UnsafeMutableRawPointer {
        if byteCount >= BufferCache.minimumSize {
            let reused: UnsafeMutableRawPointer? = lock.withLock {
                clock += 1
                lastUse[byteCount] = clock
                guard let pointer = free[byteCount]?.popLast() else { return nil }
                cachedBytes -= byteCount
                return pointer
            }
            if let reused { return reused }
        }
        return UnsafeMutableRawPointer.allocate(byteCount: byteCount, alignment: 64)
    }

    func release(_ pointer: UnsafeMutableRawPointer, byteCount: Int) {
        guard byteCount >= BufferCache.minimumSize, byteCount <= capacity else {
            pointer.deallocate()
            return
        }
        let evicted: [UnsafeMutableRawPointer] = lock.withLock {
            var evicted: [UnsafeMutableRawPointer] = []
            clock += 1
            lastUse[byteCount] = clock
            while cachedBytes + byteCount > capacity {
                let candidates = free.filter { !$0.value.isEmpty }.keys
                guard let size = candidates.min(by: { lastUse[$0, default: 0] < lastUse[$1, default: 0] }),
                    let victim = free[size]?.popLast()
                else { break }
                cachedBytes -= size
                evicted.append(victim)
            }
            free[byteCount, default: []].append(pointer)
            cachedBytes += byteCount
            return evicted
        }
        for old in evicted { old.deallocate() }
    }
}
