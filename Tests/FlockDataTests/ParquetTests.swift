import Foundation
import Testing

@testable import FlockData

@Suite("Parquet: Flock's writer and reader agree, corrupt files are errors")
struct ParquetTests {
    /// A table with every type Parquet round-trips: nulls everywhere, categorical and
    /// plain text, narrow integers, dates and timestamps.
    static func table(rows: Int, seed: UInt64) throws -> RecordBatch {
        let reference = ReferenceTable(rows: rows, seed: seed).batch
        var random = RandomStream(seed: seed &+ 1)
        func maybe<T>(_ value: T) -> T? { random.next() % 9 == 0 ? nil : value }
        let extra = try RecordBatch([
            "tiny": Column((0..<rows).map { _ in maybe(Int8(truncatingIfNeeded: random.next())) }),
            "short": Column((0..<rows).map { _ in maybe(Int16(truncatingIfNeeded: random.next())) }),
            "int": Column((0..<rows).map { _ in Int32(truncatingIfNeeded: random.next()) } as [Int32?]),
            "single": Column((0..<rows).map { _ in maybe(Float(Int(random.next() % 1000)) / 8) }),
            "flag": Column((0..<rows).map { _ in maybe(random.next() % 3 == 0) }),
            "day": Column((0..<rows).map { _ in maybe(Int32(random.next() % 20000)) }, as: .date32),
            "time": Column(
                (0..<rows).map { _ in maybe(Int64(random.next() % (1 << 50)) - (1 << 49)) }, as: .timestampMicroseconds),
            "unique": Column((0..<rows).map { i in maybe("row \(i) ✓") }),
        ])
        return try RecordBatch(names: reference.names + extra.names, columns: reference.columns + extra.columns)
    }

    /// The values of `batch`, row by row (categorical read as its text).
    static func values(_ batch: RecordBatch) -> [[Value?]] {
        (0..<batch.rowCount).map { i in batch.columns.map { $0[i] } }
    }

    static func temporaryPath(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("flock-parquet-\(UUID())-\(name)").path
    }

    @Test(
        "every type, with nulls, over several row groups, in every codec, reads back exactly",
        arguments: ParquetWriter.Compression.allCases)
    func roundTrip(compression: ParquetWriter.Compression) throws {
        let batch = try Self.table(rows: 2_500, seed: 5)
        let path = Self.temporaryPath("round.parquet")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try ParquetWriter.write(
            [batch.slice(0..<1000), batch.slice(1000..<2500)], to: path, compression: compression, rowGroupRows: 700)
        let groups = try ParquetReader.read(path: path)
        #expect(groups.map(\.rowCount) == [700, 700, 700, 400])
        let read = try DataFrame(batches: groups).collect()
        #expect(read.names == batch.names)
        // Text comes back categorical where every page was dictionary encoded, else utf8.
        #expect(
            read.columns.map { $0.type.isText ? .utf8 : $0.type }
                == batch.columns.map { $0.type.isText ? .utf8 : $0.type })
        #expect(try read.column("name").type == .categorical)
        #expect(try read.column("unique").type == .utf8)
        #expect(Self.values(read) == Self.values(batch))
        let projected = try ParquetReader.read(path: path, columns: ["value", "name"])
        #expect(projected[0].names == ["value", "name"])
    }

    @Test("Snappy: compressed data of every shape decodes back; copies that overlap by 1 to 9 bytes repeat")
    func snappy() throws {
        var random = RandomStream(seed: 21)
        for length in [0, 1, 15, 16, 17, 100, 4_096, 70_000] {
            // Runs of a short period (overlapping copies), repeats from far back, and noise.
            var bytes: [UInt8] = []
            while bytes.count < length {
                switch random.next() % 3 {
                case 0:
                    bytes += [UInt8](
                        repeating: UInt8(truncatingIfNeeded: random.next()), count: Int(random.next() % 40))
                case 1 where bytes.count > 8:
                    let start = Int(random.next() % UInt64(bytes.count - 8))
                    bytes += bytes[start..<Swift.min(bytes.count, start + Int(random.next() % 90))]
                default: bytes += (0..<Int(random.next() % 30)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
                }
            }
            bytes = Array(bytes.prefix(length))
            let compressed = Snappy.compress(bytes)
            #expect(try Snappy.decompress(compressed[...], expected: bytes.count) == bytes, "\(length) bytes")
        }
        // Hand-made: a literal "abcdefghi", then copies of every offset 1...9, 4 to 64 bytes.
        for offset in 1...9 {
            for length in [4, 7, 8, 11, 33, 64] {
                let literal = Array("abcdefghi".utf8)
                var stream: [UInt8] = [UInt8(literal.count + length), UInt8((literal.count - 1) << 2)] + literal
                stream += [UInt8((length - 1) << 2 | 2), UInt8(offset), 0]
                var expected = literal
                for _ in 0..<length { expected.append(expected[expected.count - offset]) }
                #expect(
                    try Snappy.decompress(stream[...], expected: expected.count) == expected, "\(offset), \(length)")
            }
        }
    }

    @Test("bit-unpacking of every width 1...32 matches a bit-by-bit reader, short input reading zeros")
    func unpacking() {
        var random = RandomStream(seed: 4)
        for width in 1...32 {
            for count in [1, 7, 8, 9, 64, 100] {
                let bytes = (0..<(count * width + 7) / 8 - (count % 3 == 0 ? 1 : 0)).map { _ in
                    UInt8(truncatingIfNeeded: random.next())
                }
                let expected = (0..<count).map { i -> UInt32 in
                    var value: UInt32 = 0
                    for b in 0..<width where (i * width + b) / 8 < bytes.count {
                        value |= UInt32((bytes[(i * width + b) / 8] >> UInt8((i * width + b) % 8)) & 1) << UInt32(b)
                    }
                    return value
                }
                #expect(
                    ParquetEncodings.unpack(bytes[...], bitWidth: width, count: count) == expected,
                    "\(width) x \(count)")
            }
        }
    }

    @Test("SQL reads a Parquet file and writes one; empty and all-null columns survive")
    func sqlAndEdges() throws {
        let path = Self.temporaryPath("edges.parquet")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let edges = try RecordBatch([
            "nothing": Column([nil, nil, nil] as [Int64?]), "same": Column(["a", "a", "a"]),
            "blank": Column(["", nil, ""]),
        ])
        try ParquetWriter.write([edges], to: path)
        #expect(try Self.values(DataFrame(batches: ParquetReader.read(path: path)).collect()) == Self.values(edges))
        let empty = Self.temporaryPath("empty.parquet")
        defer { try? FileManager.default.removeItem(atPath: empty) }
        try ParquetWriter.write([edges.slice(0..<0)], to: empty)
        #expect(try ParquetReader.read(path: empty).map(\.rowCount) == [0])
        let query = try SQLContext().query("SELECT same, count(*) AS n FROM '\(path)' GROUP BY same")
        #expect(Self.values(try query.collect()) == [[.string("a"), .int(3)]])
        // Projection push-down: the scan decodes only the column the query mentions.
        let scan = query.explain().split(separator: "\n").first { $0.contains("Scan ") } ?? ""
        #expect(scan.hasSuffix("-> [same: categorical]"), "\(scan)")
        let counted = try SQLContext().query("SELECT count(*) AS n FROM '\(path)'").collect()
        #expect(Self.values(counted) == [[.int(3)]])
        // One file's text is dictionary encoded (categorical), the other's plain (utf8):
        // read together they are utf8.
        let folder = Self.temporaryPath("mixed")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try ParquetWriter.write([try RecordBatch(["t": Column(["x", "x", "x", "y"])])], to: folder + "/a.parquet")
        let unique = (0..<40).map { "u\($0 + 10)" }
        try ParquetWriter.write([try RecordBatch(["t": Column(unique)])], to: folder + "/b.parquet")
        #expect(try ParquetReader.read(path: folder + "/b.parquet")[0].columns[0].type == .utf8)
        #expect(try ParquetReader.read(path: folder + "/a.parquet")[0].columns[0].type == .categorical)
        let mixed = try SQLContext().query("SELECT t FROM '\(folder)/*.parquet' ORDER BY t").collect()
        #expect(mixed.columns[0].type == .utf8)
        #expect(Self.values(mixed).map { $0[0] } == (unique + ["x", "x", "x", "y"]).map { .string($0) })
    }

    @Test("truncated and corrupted files give a malformed-Parquet error naming the file, never a crash")
    func corruption() throws {
        let path = Self.temporaryPath("good.parquet")
        defer { try? FileManager.default.removeItem(atPath: path) }
        for compression in ParquetWriter.Compression.allCases {
            try ParquetWriter.write(
                [try Self.table(rows: 300, seed: 9)], to: path, compression: compression, rowGroupRows: 128)
            let good = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
            var failures = 0
            for bad in corruptedCopies(of: good, count: 400, seed: 77) {
                do {
                    _ = try ParquetReader.read(bad, source: "bad.parquet")
                } catch let error as DataError {
                    failures += 1
                    #expect("\(error)".contains("bad.parquet") || "\(error)".contains("column"), "\(error)")
                }
            }
            #expect(failures > 100, "\(compression): only \(failures) of 400 corruptions were noticed")
        }
        let notParquet = Self.message { _ = try ParquetReader.read(Array("id,v\n1,2\n".utf8), source: "x.csv") }
        #expect(notParquet.contains("x.csv: not a Parquet file"), "\(notParquet)")
    }

    static func message(_ body: () throws -> Void) -> String {
        do {
            try body()
            return ""
        } catch {
            return "\(error)"
        }
    }

    @Test("chunk statistics hold each column's min, max (NaN ignored) and null count")
    func statistics() throws {
        let path = Self.temporaryPath("stats.parquet")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let batch = try RecordBatch([
            "i": Column([3, nil, -2] as [Int64?]), "f": Column([1.5, .nan, -0.5]), "t": Column(["b", "a", nil]),
            "c": Column(categorical: ["y", "x", "y"]), "b": Column([true, true, nil]),
            "d": Column([Int32(5), 2, 9], as: .date32),
        ])
        try ParquetWriter.write([batch], to: path, compression: .none)
        let file = try ParquetFile(try Data(contentsOf: URL(fileURLWithPath: path)))
        let stats = file.metadata.rowGroups[0].columns.map { $0.statistics }
        func le<T: FixedWidthInteger>(_ x: T) -> [UInt8] {
            (0..<(T.bitWidth / 8)).map { UInt8(truncatingIfNeeded: x >> T(8 * $0)) }
        }
        #expect(stats[0]?.minimum == le(Int64(-2)) && stats[0]?.maximum == le(Int64(3)) && stats[0]?.nullCount == 1)
        #expect(stats[1]?.minimum == le((-0.5).bitPattern) && stats[1]?.maximum == le(1.5.bitPattern))
        #expect(
            stats[2]?.minimum == Array("a".utf8) && stats[2]?.maximum == Array("b".utf8) && stats[2]?.nullCount == 1)
        #expect(stats[3]?.minimum == Array("x".utf8) && stats[3]?.maximum == Array("y".utf8))
        #expect(stats[4]?.minimum == [1] && stats[4]?.maximum == [1])
        #expect(stats[5]?.minimum == le(Int32(2)) && stats[5]?.maximum == le(Int32(9)))
    }
}
