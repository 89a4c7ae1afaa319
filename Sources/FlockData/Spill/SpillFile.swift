import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Batches written to a file of their own and read back in the order written: the disk
/// half of spilling. The file is created private (0600, `mkstemp`) and unlinked at once,
/// so it needs no cleanup and vanishes with the last descriptor, even after a crash.
/// Batches are `BatchCoding` bytes back to back; where each ends stays in memory.
final class SpillFile {
    private let descriptor: Int32
    private let statistics: SpillStatistics
    private var ends: [Int] = []

    /// A new, empty spill file in `policy`'s folder, counted in its statistics.
    /// - Throws: `DataError.spillFailed` when the folder does not take a new file.
    init(_ policy: SpillPolicy) throws {
        let directory = policy.directory
        var template = Array((directory + "/flock-spill-XXXXXX").utf8CString)
        let descriptor = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard descriptor >= 0 else {
            throw DataError.spillFailed("cannot create a file in \(directory): \(String(cString: strerror(errno)))")
        }
        template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
        self.descriptor = descriptor
        statistics = policy.statistics
        statistics.recordFile()
    }

    deinit { close(descriptor) }

    /// How many batches the file holds.
    var batchCount: Int { ends.count }

    /// Bytes written so far.
    var byteCount: Int { ends.last ?? 0 }

    /// Writes `batch` after the others.
    /// - Throws: `DataError.spillFailed` when the disk does not take it (full, I/O error).
    func append(_ batch: RecordBatch) throws {
        let bytes = BatchCoding.encode(batch)
        var written = 0
        try bytes.withUnsafeBytes { raw in
            while written < raw.count {
                let count = pwrite(
                    descriptor, raw.baseAddress! + written, raw.count - written, off_t(byteCount + written))
                if count < 0 && errno == EINTR { continue }
                guard count > 0 else {
                    throw DataError.spillFailed(
                        "writing \(raw.count) bytes failed: \(String(cString: strerror(errno)))")
                }
                written += count
            }
        }
        ends.append(byteCount + bytes.count)
        statistics.recordBytes(bytes.count)
    }

    /// Batch `index`, decoded with `categories` (one interner per table keeps its
    /// categorical columns comparable by identity).
    /// - Throws: `DataError.spillFailed` when the bytes cannot be read back, or the decoder's
    ///   error when they do not decode.
    func batch(_ index: Int, categories: CategoryInterner) throws -> RecordBatch {
        let start = index == 0 ? 0 : ends[index - 1]
        let length = ends[index] - start
        let bytes = try [UInt8](unsafeUninitializedCapacity: length) { buffer, initialized in
            var done = 0
            while done < length {
                let count = pread(descriptor, buffer.baseAddress! + done, length - done, off_t(start + done))
                if count < 0 && errno == EINTR { continue }
                guard count > 0 else {
                    throw DataError.spillFailed(
                        "reading back \(length) bytes failed: \(String(cString: strerror(errno)))")
                }
                done += count
            }
            initialized = length
        }
        return try bytes.withUnsafeBytes { try BatchCoding.decode($0, categories: categories) }
    }

    /// Every batch, in the order written.
    func batches(categories: CategoryInterner) throws -> [RecordBatch] {
        try (0..<batchCount).map { try batch($0, categories: categories) }
    }
}
