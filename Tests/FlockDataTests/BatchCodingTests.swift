import Foundation
import Testing

@testable import FlockData

@Suite("Batches as bytes for the object store and the shuffle")
struct BatchCodingTests {
    @Test("every type with nulls round-trips exactly, whole, by columns, and as hash pieces")
    func roundTrip() throws {
        let batch = try ParquetTests.table(rows: 700, seed: 3)
        let whole = BatchCoding.encode(batch)
        #expect(try whole.withUnsafeBytes { try BatchCoding.decode($0) } == batch)
        let some = try whole.withUnsafeBytes { try BatchCoding.decode($0, columns: ["value", "name"]) }
        let expected = [try batch.column("name"), try batch.column("value")]
        #expect(some.names == ["name", "value"] && some.columns == expected)
        // Pieces: equal keys land together, every row lands once, and in its order.
        let pieces = try HashPartitioner.split(batch, keys: ["name", "small"], into: 5)
        let bytes = BatchCoding.encode(pieces: pieces)
        let interner = CategoryInterner()
        let decoded = try bytes.withUnsafeBytes { raw in
            try (0..<5).map { try BatchCoding.decode(piece: $0, of: raw, categories: interner) }
        }
        #expect(decoded == pieces && decoded.reduce(0) { $0 + $1.rowCount } == batch.rowCount)
        let categories = try decoded.map { try $0.column("name").categories }
        #expect(categories.allSatisfy { $0 === categories[0] })
        var owner: [String: Int] = [:]
        for (index, piece) in pieces.enumerated() {
            for row in ParquetTests.values(
                try RecordBatch(names: ["name", "small"], columns: [piece.column("name"), piece.column("small")]))
            {
                #expect(owner.updateValue(index, forKey: "\(row)") ?? index == index, "key \(row) in two pieces")
            }
        }
    }

    @Test("text and categorical keys, and int and float keys compared as floats, hash alike")
    func keysHashAlike() throws {
        let text = try RecordBatch(["k": Column(["a", "b", nil, "c"]), "n": Column([1, 2, 3, 4] as [Int64?])])
        let categorical = try RecordBatch([
            "k": Column(categorical: ["c", nil, "b", "a"]), "n": Column([4.0, 3.0, 2.0, 1.0] as [Double?]),
        ])
        func numbers(_ batch: RecordBatch) throws -> [Int] {
            try HashPartitioner.pieceNumbers(batch, keys: ["k", "n"], asFloat: ["n"], count: 1000)
        }
        #expect(try numbers(text) == numbers(categorical).reversed())
    }

    @Test("distinct keys spread evenly over the pieces (every reducer gets its share)")
    func keysSpread() throws {
        let rows = 40_000
        let batch = try RecordBatch([
            "id": Column((0..<rows).map { Int64($0) } as [Int64?]),
            "name": Column((0..<rows).map { "k\($0 % 997)" } as [String?]),
        ])
        for (keys, distinct) in [(["id"], rows), (["name"], 997), (["id", "name"], rows)] {
            let counts = try HashPartitioner.pieceNumbers(batch, keys: keys, asFloat: [], count: 4)
                .reduce(into: [Int](repeating: 0, count: 4)) { $0[$1] += 1 }
            // A fair split of `distinct` keys: each piece within 20% of a quarter.
            #expect(counts.allSatisfy { abs($0 - rows / 4) < rows / 20 }, "\(keys) (\(distinct) keys): \(counts)")
        }
    }

    @Test("parts encoded as one batch decode to their concatenation: every type, nulls, differing categories")
    func partsEncodeAsOne() throws {
        let table = try ParquetTests.table(rows: 700, seed: 8)
        let parts = [table.slice(0..<1), table.slice(1..<1), table.slice(1..<333), table.slice(333..<700)]
        let whole = try BatchParts(parts)
        let bytes = [UInt8](unsafeUninitializedCapacity: whole.byteCount) { buffer, initialized in
            var sink = ByteSink(UnsafeMutableRawBufferPointer(buffer))
            BatchCoding.write(whole, into: &sink)
            initialized = sink.finished()
        }
        #expect(try bytes.withUnsafeBytes { try BatchCoding.decode($0) } == table)
        #expect(bytes == BatchCoding.encode(table))
        let a = try RecordBatch(names: ["c"], columns: [Column(categorical: ["x", nil, "x"])])
        let b = try RecordBatch(names: ["c"], columns: [Column(categorical: ["z", "x"])])
        let recoded = try EncodedRows(.batch(try BatchParts([a, b]))).bytes.withUnsafeBytes {
            try BatchCoding.decode($0)
        }
        let values = try (0..<5).map { try recoded.column("c")[$0] }
        #expect(values == [.string("x"), nil, .string("x"), .string("z"), .string("x")])
        let other = try RecordBatch(names: ["d"], columns: [Column(categorical: ["x"])])
        #expect(throws: DataError.self) { try BatchParts([a, other]) }
    }

    @Test("parts gathered as they are written encode the same bytes as parts gathered first")
    func gatheredPartsEncodeAlike() throws {
        let withNulls = try ParquetTests.table(rows: 700, seed: 9)
        let generated = GroupByData.generate(rows: 3000, groups: 10, batchRows: 1000)
        for parts in [[withNulls.slice(0..<300), withNulls.slice(300..<700)], generated] {
            for piece in 0..<3 {
                let rows = try parts.map {
                    try HashPartitioner.pieceRows($0, keys: [$0.names[0]], asFloat: [], count: 3)[piece]
                }
                let gathered = try BatchParts(gathering: parts, rows: rows)
                let first = try BatchParts(zip(parts, rows).map { $0.gather($1) })
                #expect(gathered.byteCount == first.byteCount)
                #expect(EncodedRows(.batch(gathered)).bytes == EncodedRows(.batch(first)).bytes)
            }
        }
        #expect(throws: DataError.self) { try BatchParts(gathering: generated, rows: [[0]]) }
    }

    @Test("batches decoded together equal their concatenation: copied whole without nulls, decoded with them")
    func decodeConcatenating() throws {
        let interner = CategoryInterner()
        let generated = GroupByData.generate(rows: 5000, groups: 10, batchRows: 1000)
        let noNulls = try RecordBatch.concatenate(generated, schema: Schema(of: generated[0]))
        for table in [try ParquetTests.table(rows: 700, seed: 4), noNulls] {
            let parts = [table.slice(0..<100), table.slice(100..<100), table.slice(100..<table.rowCount)]
            let encoded = parts.map(BatchCoding.encode)
            let whole = try withBuffers(encoded) { try BatchCoding.decode(concatenating: $0, categories: interner) }
            #expect(whole == table)
        }
        // Categorical batches with different categories are re-coded into their union.
        let a = try RecordBatch(names: ["c"], columns: [Column(categorical: ["x", "y", "x"])])
        let b = try RecordBatch(names: ["c"], columns: [Column(categorical: ["z", "x"])])
        let mixed = try withBuffers([a, b].map(BatchCoding.encode)) {
            try BatchCoding.decode(concatenating: $0, categories: CategoryInterner())
        }
        let texts = try (0..<5).map { try mixed.column("c")[$0] }
        #expect(texts == ["x", "y", "x", "z", "x"].map(Value.string))
        let other = try RecordBatch(names: ["d"], columns: [Column(categorical: ["x"])])
        #expect(throws: DataError.self) {
            try withBuffers([a, other].map(BatchCoding.encode)) {
                try BatchCoding.decode(concatenating: $0, categories: CategoryInterner())
            }
        }
        var failures = 0
        let good = BatchCoding.encode(try ParquetTests.table(rows: 200, seed: 6))
        for bad in corruptedCopies(of: good, count: 300, seed: 12) {
            do {
                _ = try withBuffers([good, bad]) { try BatchCoding.decode(concatenating: $0, categories: interner) }
            } catch is DataError {
                failures += 1
            }
        }
        #expect(failures > 100, "only \(failures) of 300 corruptions were noticed")
    }

    /// `body` over the bytes of every one of `arrays` at once.
    private func withBuffers<R>(_ arrays: [[UInt8]], _ body: ([UnsafeRawBufferPointer]) throws -> R) rethrows -> R {
        guard let last = arrays.last else { return try body([]) }
        return try last.withUnsafeBytes { raw in
            try withBuffers(Array(arrays.dropLast())) { try body($0 + [raw]) }
        }
    }

    @Test("truncated and corrupted bytes give a malformed-batch or malformed-column error, never a crash")
    func corruption() throws {
        let good = BatchCoding.encode(
            pieces: try HashPartitioner.split(
                try ParquetTests.table(rows: 200, seed: 5), keys: ["text"], into: 3))
        var failures = 0
        for bad in corruptedCopies(of: good, count: 1000, seed: 11) {
            do {
                _ = try bad.withUnsafeBytes { raw in try (0..<3).map { try BatchCoding.decode(piece: $0, of: raw) } }
            } catch is DataError {
                failures += 1
            }
        }
        #expect(failures > 300, "only \(failures) of 1,000 corruptions were noticed")
    }
}
