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
