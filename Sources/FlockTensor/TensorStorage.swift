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
/// cost. Buffers under 64 KiB go straight to the allocator; at most `capacity` bytes are
/// kept, and a miss with a full cache frees the oldest entries.
final class BufferCache: @unchecked Sendable {  // state guarded by `lock`
    static let shared = BufferCache(capacity: 512 << 20)
    static let minimumSize = 64 << 10

    private struct State {
        var free: [Int: [UnsafeMutableRawPointer]] = [:]
        var order: [(Int, UnsafeMutableRawPointer)] = []
        var cachedBytes = 0
    }

    private let capacity: Int
    private let lock = NSLock()
    private var state = State()

    init(capacity: Int) { self.capacity = capacity }

    func allocate(byteCount: Int) -> UnsafeMutableRawPointer {
        if byteCount >= BufferCache.minimumSize {
            let reused: UnsafeMutableRawPointer? = lock.withLock {
                guard let pointer = state.free[byteCount]?.popLast() else { return nil }
                state.cachedBytes -= byteCount
                state.order.removeAll { $0.1 == pointer }
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
            while state.cachedBytes + byteCount > capacity, !state.order.isEmpty {
                let (size, oldest) = state.order.removeFirst()
                state.free[size]?.removeAll { $0 == oldest }
                state.cachedBytes -= size
                evicted.append(oldest)
            }
            state.free[byteCount, default: []].append(pointer)
            state.order.append((byteCount, pointer))
            state.cachedBytes += byteCount
            return evicted
        }
        for old in evicted { old.deallocate() }
    }
}
