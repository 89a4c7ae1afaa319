import Testing

@testable import FlockData

@Suite("Persisted partitions' columns kept decoded in a worker")
struct PersistedColumnsTests {
    @Test("columns decoded once are returned again; a column not kept is a miss; past capacity the oldest go")
    func keepsAndEvicts() throws {
        let table = try ParquetTests.table(rows: 500, seed: 9)
        let bytes = BatchCoding.encode(table)
        let cache = PersistedColumns(capacity: 1 << 30)
        let names = Set(table.names.prefix(2))
        #expect(cache.batch(1, columns: names) == nil)
        let decoded = try bytes.withUnsafeBytes { try cache.decode(1, $0, columns: names) }
        #expect(decoded.names == table.names.filter(names.contains))
        #expect(cache.batch(1, columns: names) == decoded)
        #expect(cache.batch(1, columns: nil) == nil)  // not every column is kept yet
        let whole = try bytes.withUnsafeBytes { try cache.decode(1, $0, columns: nil) }
        #expect(whole == table && cache.batch(1, columns: nil) == table)
        // A cache that holds one object: reading a second pushes the first out.
        let small = PersistedColumns(capacity: cache.heldBytes)
        _ = try bytes.withUnsafeBytes { try small.decode(1, $0, columns: nil) }
        _ = try bytes.withUnsafeBytes { try small.decode(2, $0, columns: nil) }
        #expect(small.batch(1, columns: nil) == nil && small.batch(2, columns: nil) == table)
        #expect(throws: DataError.self) {
            try [UInt8](repeating: 7, count: 40).withUnsafeBytes { try small.decode(3, $0, columns: nil) }
        }
    }
}
