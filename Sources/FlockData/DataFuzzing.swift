import Foundation

/// Fuzz entry points for FlockData's checks of outside bytes (`Fuzz/FlockFuzz`): they must
/// end in a column or a clear `DataError`, never a crash, and a column they accept must
/// read back every value.
package enum DataFuzzing {
    /// Bytes as column buffers: a type byte, a count byte, a validity flag, then the rest
    /// split into a validity bitmap (when flagged), offsets (for text: count + 1
    /// little-endian int32s) and values.
    package static func column(_ bytes: [UInt8]) {
        guard bytes.count >= 3 else { return }
        let type = DataType.allCases[Int(bytes[0]) % DataType.allCases.count]
        let count = Int(bytes[1])
        var rest = Array(bytes.dropFirst(3))
        var validity: Bitmap?
        if bytes[2] & 1 == 1 {
            let length = (count + 7) / 8
            validity = try? Bitmap(bytes: Array(rest.prefix(length)), count: count)
            rest = Array(rest.dropFirst(length))
        }
        var offsets: [Int32]?
        if type == .utf8 {
            let length = (count + 1) * 4
            offsets = littleEndianInt32s(Array(rest.prefix(length)))
            rest = Array(rest.dropFirst(length))
        }
        // Categorical codes index three categories; codes outside them must be refused.
        let categories = type == .categorical ? Categories(["a", "b", "c"]) : nil
        guard
            let column = try? Column(
                type: type, count: count, validity: validity, values: rest, offsets: offsets, categories: categories)
        else { return }
        for index in 0..<column.count { _ = column[index] }
        _ = column.slice(0..<column.count / 2)
    }

    /// CSV text read into a batch: a batch or a `DataError`, never a crash.
    package static func csv(_ bytes: [UInt8]) {
        guard let batch = try? CSVReader.read(bytes, source: "fuzz") else { return }
        _ = batch.show(limit: 5)
    }

    /// NDJSON text read into a batch: a batch or a `DataError`, never a crash.
    package static func ndjson(_ bytes: [UInt8]) {
        guard let batch = try? NDJSONReader.read(bytes, source: "fuzz") else { return }
        _ = batch.show(limit: 5)
    }

    /// A Parquet file read whole: batches or a `DataError`, never a crash, a hang or a
    /// huge allocation; every row group's statistics decoded and tested against filters.
    package static func parquet(_ bytes: [UInt8]) {
        if let file = try? ParquetFile(Data(bytes)) {
            for group in file.metadata.rowGroups.indices {
                let pruning = StatisticsPruning(ranges: file.statisticsRanges(group: group))
                for name in file.leaves.map(\.name) {
                    _ = pruning.mayMatch(col(name) > 0 || col(name) == lit("a") || col(name).isNull())
                }
            }
        }
        guard let batches = try? ParquetReader.read(bytes, source: "fuzz") else { return }
        for batch in batches { _ = batch.show(limit: 3) }
    }

    /// Encoded pieces of a shuffle (`BatchCoding`), every piece decoded: batches or a
    /// `DataError`; a batch it accepts encodes back to the same bytes' batch, and decoded
    /// twice over as one (`decode(concatenating:)`, as the driver reads results) makes the
    /// batch's rows twice.
    package static func batch(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { raw in
            guard let count = try? BatchCoding.pieceCount(raw) else {
                let twice = try? BatchCoding.decode(concatenating: [raw, raw], categories: CategoryInterner())
                guard let batch = try? BatchCoding.decode(raw) else { return }
                let again = BatchCoding.encode(batch)
                precondition(
                    again.withUnsafeBytes { try? BatchCoding.decode($0) } == batch, "a batch did not round-trip")
                precondition(
                    twice == (try? RecordBatch.concatenate([batch, batch], schema: Schema(of: batch))),
                    "a batch decoded twice as one is not its rows twice")
                return
            }
            for piece in 0..<min(count, 64) { _ = (try? BatchCoding.decode(piece: piece, of: raw))?.show(limit: 3) }
        }
    }

    /// A whole batch and the pieces of a shuffle, every column type with nulls.
    private static var batchSeeds: [[UInt8]] {
        // Invariant: equal-length columns with distinct names.
        let batch = try! RecordBatch([
            "k": Column(categorical: ["a", "b", nil, "a"]), "t": Column(["x", nil, "yz", ""]),
            "v": Column([1, 2, nil, 4] as [Int64?]), "f": Column([true, nil, false, true]),
        ])
        // Invariant: "k" is a column of the batch.
        return [
            BatchCoding.encode(batch),
            BatchCoding.encode(pieces: try! HashPartitioner.split(batch, keys: ["k"], into: 3)),
        ]
    }

    /// Small Parquet files Flock writes (snappy and uncompressed, text dictionary-encoded,
    /// nulls, two row groups), the start of the parquet corpus.
    private static var parquetSeeds: [[UInt8]] {
        // Invariant: equal-length columns with distinct names.
        let batch = try! RecordBatch([
            "k": Column(["a", "b", nil, "a", "c"]), "v": Column([1, 2, 3, nil, 5] as [Int64?]),
            "x": Column([0.5, nil, 2, 4, 8]), "f": Column([true, false, nil, true, true]),
        ])
        return [ParquetWriter.Compression.none, .snappy].compactMap { compression in
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("flock-seed-\(UUID()).parquet")
                .path
            defer { try? FileManager.default.removeItem(atPath: path) }
            try? ParquetWriter.write([batch], to: path, compression: compression, rowGroupRows: 3)
            return FileManager.default.contents(atPath: path).map { Array($0) }
        }
    }

    /// A SQL query (UTF-8) parsed and planned over a small table: a lazy frame or a
    /// `DataError`, never a crash or a stack overflow; a frame that plans is also run.
    package static func sql(_ bytes: [UInt8]) {
        var context = SQLContext { path, _ in throw DataError.unreadableFile(path: path, "no files in fuzzing") }
        // Invariant: equal-length columns with distinct names.
        let table = try! RecordBatch([
            "k": Column(["a", "b", nil, "a"]), "v": Column([1, 2, 3, nil] as [Int64?]), "x": Column([0.5, nil, 2, 4]),
        ])
        context.register("t", DataFrame(table))
        do {
            _ = try context.query(String(decoding: bytes, as: UTF8.self)).collect()
        } catch let error as DataError {
            _ = error.description
        } catch {
            fatalError("a SQL query failed with an error that is not a DataError: \(error)")
        }
    }

    /// Whole little-endian int32s of `bytes` (a partial one at the end is dropped).
    private static func littleEndianInt32s(_ bytes: [UInt8]) -> [Int32] {
        stride(from: 0, to: bytes.count - 3, by: 4).map { start in
            var value: UInt32 = 0
            for (shift, byte) in bytes[start..<start + 4].enumerated() { value |= UInt32(byte) << UInt32(8 * shift) }
            return Int32(bitPattern: value)
        }
    }

    /// Valid inputs for each target above, the start of its corpus.
    package static var seeds: [String: [[UInt8]]] {
        func code(_ type: DataType) -> UInt8 { UInt8(DataType.allCases.firstIndex(of: type) ?? 0) }
        return [
            "column": [
                [code(.int32), 2, 0, 1, 0, 0, 0, 2, 0, 0, 0],
                [code(.utf8), 2, 1, 0b01, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 97],
                [code(.bool), 3, 0, 0b101],
                [code(.categorical), 2, 0, 2, 0, 0, 0, 0, 0, 0, 0],
            ],
            "parquet": parquetSeeds,
            "batch": batchSeeds,
            "ndjson": [
                #"{"a": 1, "b": "x\"y", "c": true}"# + "\n" + #"{"a": 2.5, "d": null}"# + "\n\n"
                    + #"{"b": "\u00e9\ud83d\ude00"}"#,
                "{\"n\": -0.5e3}\r\n{}",
            ].map { Array($0.utf8) },
            "sql": [
                "SELECT k, sum(v) AS s, count(*) FROM t WHERE x > 1 OR v IS NULL GROUP BY k HAVING count(*) > 1 ORDER BY s DESC LIMIT 2",
                "SELECT * FROM (SELECT k, row_number() OVER (PARTITION BY k ORDER BY x DESC) AS r FROM t) WHERE r <= 1",
                "SELECT a.k, b.v FROM t a LEFT JOIN t b ON a.k = b.k UNION ALL SELECT k, v FROM t ORDER BY 1",
            ].map { Array($0.utf8) },
            "table-csv": [
                Array("id,score,name\n1,0.5,a\n2,,\"b, c\"\n".utf8), Array("x\r\n\"say \"\"hi\"\"\"\r\n".utf8),
            ],
        ]
    }
}
