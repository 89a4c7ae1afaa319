/// The reference-counted buffer behind one or more tensor views.
///
/// Tensors share a storage until one of them is mutated; the mutating tensor then copies
/// it first (copy-on-write), so a storage is never written while shared. The buffer is
/// 64-byte aligned for the vector kernels.
final class TensorStorage: @unchecked Sendable {
    let pointer: UnsafeMutableRawPointer
    let count: Int
    let dtype: DType

    /// Allocates room for `count` elements, zero-filled when `zeroed`.
    init(count: Int, dtype: DType, zeroed: Bool) {
        self.count = count
        self.dtype = dtype
        let bytes = max(1, count * dtype.byteSize)
        pointer = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
        if zeroed { pointer.initializeMemory(as: UInt8.self, repeating: 0, count: bytes) }
    }

    deinit { pointer.deallocate() }

    /// The buffer as elements of `T` (which must match `dtype`).
    @inline(__always)
    func typed<T: TensorElement>(_: T.Type) -> UnsafeMutablePointer<T> {
        pointer.assumingMemoryBound(to: T.self)
    }
}
