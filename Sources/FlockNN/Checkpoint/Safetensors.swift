import FlockTensor
import Foundation

/// Why a checkpoint could not be written or read.
public enum CheckpointError: Error, Equatable, CustomStringConvertible {
    /// The file system refused an operation.
    case io(path: String, reason: String)
    /// The file is not a valid safetensors file (truncated, bad header, bad offsets...).
    case malformed(path: String, reason: String)
    /// The data does not match the checksum recorded when it was written.
    case checksumMismatch(path: String, expected: UInt32, actual: UInt32)
    /// A tensor has a dtype safetensors cannot hold, or an unknown dtype was read.
    case unsupportedDType(path: String, name: String, dtype: String)
    /// A required entry is missing.
    case missingEntry(path: String, name: String)

    public var description: String {
        switch self {
        case .io(let path, let reason): "checkpoint \(path): \(reason)"
        case .malformed(let path, let reason): "checkpoint \(path) is corrupted or not a safetensors file: \(reason)"
        case .checksumMismatch(let path, let expected, let actual):
            "checkpoint \(path) is corrupted: data checksum \(String(actual, radix: 16)) does not match the recorded \(String(expected, radix: 16))"
        case .unsupportedDType(let path, let name, let dtype):
            "checkpoint \(path): tensor '\(name)' has unsupported dtype \(dtype)"
        case .missingEntry(let path, let name): "checkpoint \(path) has no entry '\(name)'"
        }
    }
}

/// Reads and writes the safetensors format (Hugging Face's; PyTorch loads it with
/// `safetensors.torch.load_file`): an 8-byte little-endian header length, a JSON header
/// mapping names to dtype, shape and byte offsets (plus `__metadata__` strings), then the
/// raw little-endian tensor bytes. Flock adds a CRC-32 of the data section to the
/// metadata (`flock.crc32`) and verifies it on load; files written atomically.
public enum Safetensors {
    static let checksumKey = "flock.crc32"
    static let dtypeNames: [DType: String] = [
        .float32: "F32", .float64: "F64", .int32: "I32", .int64: "I64", .bool: "BOOL",
    ]

    /// Writes tensors (in the given order) and metadata to `path` atomically.
    public static func write(_ tensors: [(String, Tensor)], metadata: [String: String] = [:], to path: String) throws {
        var header: [String: Any] = [:]
        var offset = 0
        var checksum = CRC32()
        let contiguous = tensors.map { ($0.0, $0.1.contiguous()) }
        for (name, tensor) in contiguous {
            // Invariant: every DType has a name in `dtypeNames`.
            let size = tensor.count * tensor.dtype.byteSize
            header[name] = [
                "dtype": dtypeNames[tensor.dtype]!, "shape": tensor.shape, "data_offsets": [offset, offset + size],
            ]
            offset += size
            try withBytes(of: tensor) { checksum.update($0) }
        }
        var allMetadata = metadata
        allMetadata[checksumKey] = String(checksum.checksum)
        header["__metadata__"] = allMetadata
        var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        while json.count % 8 != 0 { json.append(0x20) }  // pad with spaces, as the reference writer does
        var length = UInt64(json.count).littleEndian
        try AtomicFile.replace(path) { write in
            try withUnsafeBytes(of: &length) { try write($0) }
            try json.withUnsafeBytes { try write($0) }
            for (_, tensor) in contiguous { try withBytes(of: tensor) { try write($0) } }
        }
    }

    /// Reads every tensor and the metadata from `path`, checking the structure and (when
    /// recorded) the checksum.
    /// - Throws: `CheckpointError` describing the first problem found.
    public static func read(from path: String) throws -> (tensors: [String: Tensor], metadata: [String: String]) {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CheckpointError.io(path: path, reason: "cannot open the file")
        }
        return try decode(data, path: path)
    }

    /// Decodes a whole safetensors file's bytes (`path` names it in errors); the fuzz
    /// target's entry point.
    package static func decode(_ data: Data, path: String) throws -> (
        tensors: [String: Tensor], metadata: [String: String]
    ) {
        func malformed(_ reason: String) -> CheckpointError { .malformed(path: path, reason: reason) }
        guard data.count >= 8 else {
            throw malformed("the file has \(data.count) bytes, fewer than the 8-byte header length")
        }
        let headerLength = data.prefix(8).withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
        guard headerLength <= UInt64(data.count - 8), headerLength <= 100_000_000 else {
            throw malformed(
                "the header claims \(headerLength) bytes but the file has \(data.count - 8) after the length")
        }
        let dataStart = 8 + Int(headerLength)
        guard let header = try? JSONSerialization.jsonObject(with: data.subdata(in: 8..<dataStart)) as? [String: Any]
        else {
            throw malformed("the header is not a JSON object")
        }
        var metadata: [String: String] = [:]
        if let raw = header["__metadata__"] {
            guard let strings = raw as? [String: String] else {
                throw malformed("__metadata__ must map strings to strings")
            }
            metadata = strings
        }
        let dataLength = data.count - dataStart
        var tensors: [String: Tensor] = [:]
        var ranges: [(Int, Int)] = []
        for (name, value) in header where name != "__metadata__" {
            guard let entry = value as? [String: Any], let dtypeName = entry["dtype"] as? String,
                let shape = entry["shape"] as? [Int], let offsets = entry["data_offsets"] as? [Int], offsets.count == 2
            else { throw malformed("entry '\(name)' lacks dtype, shape or data_offsets") }
            guard let dtype = dtypeNames.first(where: { $0.value == dtypeName })?.key else {
                throw CheckpointError.unsupportedDType(path: path, name: name, dtype: dtypeName)
            }
            let (begin, end) = (offsets[0], offsets[1])
            guard shape.allSatisfy({ $0 >= 0 }), begin >= 0, begin <= end, end <= dataLength else {
                throw malformed("entry '\(name)' has offsets \(offsets) outside the \(dataLength) data bytes")
            }
            // A crafted shape's product may overflow (also behind a zero extent, in the
            // strides): count in checked arithmetic, zeros counted as ones.
            let span = shape.reduce(Optional(dtype.byteSize)) { product, extent in
                product.flatMap { product in
                    let (next, overflow) = product.multipliedReportingOverflow(by: max(extent, 1))
                    return overflow ? nil : next
                }
            }
            let bytes = shape.contains(0) ? span.map { _ in 0 } : span
            guard let bytes, bytes == end - begin else {
                throw malformed(
                    "entry '\(name)' of shape \(shape) \(dtypeName) needs "
                        + "\(bytes.map(String.init) ?? "more than Int.max") bytes, has \(end - begin)")
            }
            // An empty tensor occupies no bytes: it may sit at any offset, even inside
            // another's range (a writer puts it where the previous one ended).
            if end > begin { ranges.append((begin, end)) }
            tensors[name] = try tensor(from: data, start: dataStart + begin, shape: shape, dtype: dtype)
        }
        ranges.sort { $0.0 < $1.0 }
        for (previous, next) in zip(ranges, ranges.dropFirst()) where previous.1 > next.0 {
            throw malformed("tensor data ranges overlap")
        }
        if let recorded = metadata[checksumKey] {
            guard let expected = UInt32(recorded) else { throw malformed("\(checksumKey) is not a number") }
            var checksum = CRC32()
            for (begin, end) in ranges {
                data.withUnsafeBytes {
                    checksum.update(UnsafeRawBufferPointer(rebasing: $0[(dataStart + begin)..<(dataStart + end)]))
                }
            }
            guard checksum.checksum == expected else {
                throw CheckpointError.checksumMismatch(path: path, expected: expected, actual: checksum.checksum)
            }
        }
        return (tensors, metadata)
    }

    static func withBytes<R>(of tensor: Tensor, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        // Safetensors stores bool as one byte per element, like Swift's Bool.
        switch tensor.dtype {
        case .float32: try tensor.withUnsafeScalars(as: Float.self) { try body(UnsafeRawBufferPointer($0)) }
        case .float64: try tensor.withUnsafeScalars(as: Double.self) { try body(UnsafeRawBufferPointer($0)) }
        case .int32: try tensor.withUnsafeScalars(as: Int32.self) { try body(UnsafeRawBufferPointer($0)) }
        case .int64: try tensor.withUnsafeScalars(as: Int64.self) { try body(UnsafeRawBufferPointer($0)) }
        case .bool: try tensor.withUnsafeScalars(as: Bool.self) { try body(UnsafeRawBufferPointer($0)) }
        }
    }

    private static func tensor(from data: Data, start: Int, shape: [Int], dtype: DType) throws -> Tensor {
        let count = shape.reduce(1, *)
        func load<T: TensorElement>(_: T.Type) throws -> Tensor {
            let values = data.withUnsafeBytes { bytes in
                (0..<count).map { bytes.loadUnaligned(fromByteOffset: start + $0 * MemoryLayout<T>.stride, as: T.self) }
            }
            return try Tensor(values, shape: shape)
        }
        switch dtype {
        case .float32: return try load(Float.self)
        case .float64: return try load(Double.self)
        case .int32: return try load(Int32.self)
        case .int64: return try load(Int64.self)
        case .bool:
            let bytes = data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in (0..<count).map { raw[start + $0] != 0 }
            }
            return try Tensor(bytes, shape: shape)
        }
    }
}
