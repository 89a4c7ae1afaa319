/// A value that writes its own bytes into the object store: a task result (or a put
/// value) of tens of MiB goes straight into the store's shared memory instead of into a
/// buffer that is then copied there, which costs a copy and, worse, the kernel's zeroing
/// of the buffer's fresh pages. It is stored as a `[UInt8]` of those bytes, so tasks read
/// it in place through `asBytes` (`ObjectRef.withUnsafeElements`).
///
///     struct Rows: WritableObject { ... }   // byteCount, write(into:), init(storedBytes:)
///     let ref = try cluster.submit(MakeRows())           // ObjectRef<Rows>
///     try await ref.asBytes.withUnsafeElements { (bytes: UnsafeBufferPointer<UInt8>) in ... }
public protocol WritableObject: Codable, Sendable {
    /// How many bytes `write(into:)` writes.
    var byteCount: Int { get }
    /// Writes exactly `byteCount` bytes into `target` (which holds that many).
    func write(into target: UnsafeMutableRawBufferPointer)
    /// The value whose bytes `stored` are (what `get()` returns).
    init(storedBytes stored: [UInt8]) throws
}

extension ObjectRef where Value: WritableObject {
    /// The same object read as the bytes its value wrote.
    public var asBytes: ObjectRef<[UInt8]> { ObjectRef<[UInt8]>(id: id, owner: owner) }
}
