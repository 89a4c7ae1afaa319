import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// zlib (for GZIP) and libzstd (for ZSTD), loaded at run time with `dlopen` as FlockTensor
/// loads BLAS: Flock builds without them, and a file that needs a missing one gets an
/// error naming the library to install.
enum SystemCodecs {
    /// zlib's stream functions.
    struct Zlib: @unchecked Sendable {
        typealias Init2 = @convention(c) (UnsafeMutableRawPointer, Int32, UnsafePointer<CChar>, Int32) -> Int32
        typealias DeflateInit2 =
            @convention(c) (UnsafeMutableRawPointer, Int32, Int32, Int32, Int32, Int32, UnsafePointer<CChar>, Int32) ->
            Int32
        typealias Step = @convention(c) (UnsafeMutableRawPointer, Int32) -> Int32
        typealias End = @convention(c) (UnsafeMutableRawPointer) -> Int32
        typealias Bound = @convention(c) (UnsafeMutableRawPointer, UInt) -> UInt
        typealias Version = @convention(c) () -> UnsafePointer<CChar>
        let inflateInit2: Init2
        let inflate: Step
        let inflateEnd: End
        let deflateInit2: DeflateInit2
        let deflate: Step
        let deflateEnd: End
        let deflateBound: Bound
        let version: Version
    }

    /// libzstd's one-shot functions.
    struct Zstd: @unchecked Sendable {
        typealias Decompress = @convention(c) (UnsafeMutableRawPointer?, Int, UnsafeRawPointer?, Int) -> Int
        typealias Compress = @convention(c) (UnsafeMutableRawPointer?, Int, UnsafeRawPointer?, Int, Int32) -> Int
        typealias IsError = @convention(c) (Int) -> UInt32
        typealias ErrorName = @convention(c) (Int) -> UnsafePointer<CChar>
        typealias Bound = @convention(c) (Int) -> Int
        let decompress: Decompress
        let compress: Compress
        let isError: IsError
        let errorName: ErrorName
        let bound: Bound
    }

    /// The first of `names` that loads.
    private static func open(_ names: [String]) -> UnsafeMutableRawPointer? {
        for name in names {
            if let handle = dlopen(name, RTLD_NOW | RTLD_LOCAL) { return handle }
        }
        return nil
    }

    static let zlib: Zlib? = {
        guard let handle = open(["libz.so.1", "libz.so", "libz.dylib"]) else { return nil }
        func symbol<T>(_ name: String, _ type: T.Type) -> T? { dlsym(handle, name).map { unsafeBitCast($0, to: type) } }
        guard let inflateInit2 = symbol("inflateInit2_", Zlib.Init2.self),
            let inflate = symbol("inflate", Zlib.Step.self),
            let inflateEnd = symbol("inflateEnd", Zlib.End.self),
            let deflateInit2 = symbol("deflateInit2_", Zlib.DeflateInit2.self),
            let deflate = symbol("deflate", Zlib.Step.self), let deflateEnd = symbol("deflateEnd", Zlib.End.self),
            let deflateBound = symbol("deflateBound", Zlib.Bound.self),
            let version = symbol("zlibVersion", Zlib.Version.self)
        else { return nil }
        return Zlib(
            inflateInit2: inflateInit2, inflate: inflate, inflateEnd: inflateEnd, deflateInit2: deflateInit2,
            deflate: deflate, deflateEnd: deflateEnd, deflateBound: deflateBound, version: version)
    }()

    static let zstd: Zstd? = {
        guard let handle = open(["libzstd.so.1", "libzstd.so", "libzstd.dylib"]) else { return nil }
        func symbol<T>(_ name: String, _ type: T.Type) -> T? { dlsym(handle, name).map { unsafeBitCast($0, to: type) } }
        guard let decompress = symbol("ZSTD_decompress", Zstd.Decompress.self),
            let compress = symbol("ZSTD_compress", Zstd.Compress.self),
            let isError = symbol("ZSTD_isError", Zstd.IsError.self),
            let errorName = symbol("ZSTD_getErrorName", Zstd.ErrorName.self),
            let bound = symbol("ZSTD_compressBound", Zstd.Bound.self)
        else { return nil }
        return Zstd(decompress: decompress, compress: compress, isError: isError, errorName: errorName, bound: bound)
    }()

    /// zlib's `z_stream` on LP64: 112 bytes; the fields Flock sets, by byte offset.
    private static let streamSize = 112
    private enum Field {
        static let nextIn = 0, availIn = 8, nextOut = 24, availOut = 32, totalOut = 40
    }

    private static func requireZlib() throws -> Zlib {
        guard let zlib else {
            throw DataError.malformedParquet("this file is GZIP-compressed and zlib (libz.so.1) is not installed")
        }
        return zlib
    }

    /// GZIP (or zlib-wrapped) data inflated to exactly `expected` bytes.
    static func gunzip(_ input: ArraySlice<UInt8>, expected: Int) throws -> [UInt8] {
        let zlib = try requireZlib()
        var output = [UInt8](repeating: 0, count: expected)
        return try withStream { stream in
            // 15 + 32: a 32 KiB window, gzip or zlib header detected.
            guard zlib.inflateInit2(stream, 15 + 32, zlib.version(), Int32(streamSize)) == 0 else {
                throw DataError.malformedParquet("zlib could not start inflating")
            }
            defer { _ = zlib.inflateEnd(stream) }
            let (status, produced) = finish(zlib.inflate, stream, Array(input), into: &output)
            guard status == 1, produced == expected else {
                throw DataError.malformedParquet(
                    "GZIP data does not inflate to the page's \(expected) bytes (zlib status \(status))")
            }
            return output
        }
    }

    /// `input` as a gzip member (level 6).
    static func gzip(_ input: [UInt8]) throws -> [UInt8] {
        let zlib = try requireZlib()
        return try withStream { stream in
            // Deflate, 15 + 16: gzip header; memory level 8, default strategy.
            guard zlib.deflateInit2(stream, 6, 8, 15 + 16, 8, 0, zlib.version(), Int32(streamSize)) == 0 else {
                throw DataError.malformedParquet("zlib could not start deflating")
            }
            defer { _ = zlib.deflateEnd(stream) }
            var output = [UInt8](repeating: 0, count: Int(zlib.deflateBound(stream, UInt(input.count))) + 32)
            let (status, produced) = finish(zlib.deflate, stream, input, into: &output)
            guard status == 1 else { throw DataError.malformedParquet("zlib deflate failed (status \(status))") }
            return Array(output.prefix(produced))
        }
    }

    /// Runs `body` with a zeroed `z_stream`, freed after.
    private static func withStream<R>(_ body: (UnsafeMutableRawPointer) throws -> R) rethrows -> R {
        let stream = UnsafeMutableRawPointer.allocate(byteCount: streamSize, alignment: 8)
        defer { stream.deallocate() }
        stream.initializeMemory(as: UInt8.self, repeating: 0, count: streamSize)
        return try body(stream)
    }

    /// One call of `step` (inflate or deflate) with Z_FINISH over all of `input` into
    /// `output`: zlib's status and the bytes written.
    private static func finish(
        _ step: Zlib.Step, _ stream: UnsafeMutableRawPointer, _ input: [UInt8], into output: inout [UInt8]
    ) -> (status: Int32, produced: Int) {
        let status = input.withUnsafeBytes { source in
            output.withUnsafeMutableBytes { target in
                stream.storeBytes(of: source.baseAddress, toByteOffset: Field.nextIn, as: UnsafeRawPointer?.self)
                stream.storeBytes(of: UInt32(source.count), toByteOffset: Field.availIn, as: UInt32.self)
                stream.storeBytes(
                    of: target.baseAddress, toByteOffset: Field.nextOut, as: UnsafeMutableRawPointer?.self)
                stream.storeBytes(of: UInt32(target.count), toByteOffset: Field.availOut, as: UInt32.self)
                return step(stream, 4)  // Z_FINISH
            }
        }
        return (status, Int(stream.load(fromByteOffset: Field.totalOut, as: UInt.self)))
    }

    private static func requireZstd() throws -> Zstd {
        guard let zstd else {
            throw DataError.malformedParquet("this file is ZSTD-compressed and libzstd (libzstd.so.1) is not installed")
        }
        return zstd
    }

    /// ZSTD frame(s) decompressed to exactly `expected` bytes.
    static func unzstd(_ input: ArraySlice<UInt8>, expected: Int) throws -> [UInt8] {
        let zstd = try requireZstd()
        var output = [UInt8](repeating: 0, count: expected)
        let result = Array(input).withUnsafeBytes { source in
            output.withUnsafeMutableBytes {
                zstd.decompress($0.baseAddress, $0.count, source.baseAddress, source.count)
            }
        }
        guard zstd.isError(result) == 0 else {
            throw DataError.malformedParquet("ZSTD: \(String(cString: zstd.errorName(result)))")
        }
        guard result == expected else {
            throw DataError.malformedParquet("ZSTD data decodes to \(result) bytes, not the page's \(expected)")
        }
        return output
    }

    /// `input` as a ZSTD frame (level 3).
    static func zstdCompress(_ input: [UInt8]) throws -> [UInt8] {
        let zstd = try requireZstd()
        var output = [UInt8](repeating: 0, count: zstd.bound(input.count))
        let result = input.withUnsafeBytes { source in
            output.withUnsafeMutableBytes {
                zstd.compress($0.baseAddress, $0.count, source.baseAddress, source.count, 3)
            }
        }
        guard zstd.isError(result) == 0 else {
            throw DataError.malformedParquet("ZSTD: \(String(cString: zstd.errorName(result)))")
        }
        return Array(output.prefix(result))
    }
}

extension ParquetCodec {
    /// `bytes` decompressed to the page's `expected` size.
    func decompress(_ bytes: ArraySlice<UInt8>, expected: Int) throws -> [UInt8] {
        switch self {
        case .uncompressed:
            guard bytes.count == expected else {
                throw DataError.malformedParquet("an uncompressed page of \(bytes.count) bytes claims \(expected)")
            }
            return Array(bytes)
        case .snappy: return try Snappy.decompress(bytes, expected: expected)
        case .gzip: return try SystemCodecs.gunzip(bytes, expected: expected)
        case .zstd: return try SystemCodecs.unzstd(bytes, expected: expected)
        default:
            throw DataError.malformedParquet(
                "codec \(self) is not supported (Flock reads uncompressed, Snappy, GZIP, ZSTD)")
        }
    }

    /// `bytes` compressed with this codec.
    func compress(_ bytes: [UInt8]) throws -> [UInt8] {
        switch self {
        case .uncompressed: return bytes
        case .snappy: return Snappy.compress(bytes)
        case .gzip: return try SystemCodecs.gzip(bytes)
        case .zstd: return try SystemCodecs.zstdCompress(bytes)
        default: throw DataError.malformedParquet("Flock writes uncompressed, Snappy, GZIP or ZSTD, not \(self)")
        }
    }
}
