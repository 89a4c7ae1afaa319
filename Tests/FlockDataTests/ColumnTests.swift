import Testing

@testable import FlockData

@Suite("Columns in Arrow's layout")
struct ColumnTests {
    @Test("fixed-width columns keep their values little-endian and their nulls in a bitmap")
    func fixedWidth() throws {
        let column = Column([Int64(1), nil, -3, Int64.max])
        #expect(column.type == .int64 && column.count == 4 && column.nullCount == 1)
        #expect(column.values.count == 32)
        #expect(Array(column.values[16..<24]) == [0xFD, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF])
        #expect(column.validity?.bytes == [0b1101])
        #expect(column[0] == .int(1) && column[1] == nil && column[2] == .int(-3) && column[3] == .int(Int64.max))
        #expect(try column.withValues(as: Int64.self) { Array($0) } == [1, 0, -3, Int64.max])
        #expect(throws: DataError.valueType(requested: "Double", column: .int64)) {
            try column.withValues(as: Double.self) { _ in () }
        }
        let dense = Column([Float(1.5), 2.5])
        #expect(dense.validity == nil && dense.nullCount == 0 && dense[1] == .double(2.5))
        let days = Column([Int32(19_000)], as: .date32)
        #expect(days[0] == .date(daysSinceEpoch: 19_000))
        #expect(try days.withValues(as: Int32.self) { $0[0] } == 19_000)
    }

    @Test("booleans are bit-packed, least significant bit first")
    func booleans() {
        let column = Column([true, false, nil, true, true, false, false, false, true] as [Bool?])
        #expect(column.values == [0b0001_1001, 0b1])
        #expect(column.validity?.bytes == [0b1111_1011, 0b1])
        #expect(column[0] == .bool(true) && column[1] == .bool(false) && column[2] == nil && column[8] == .bool(true))
    }

    @Test("text is UTF-8 bytes with count + 1 int32 offsets; a null is an empty slot")
    func text() {
        let column = Column(["ab", nil, "", "日本"] as [String?])
        #expect(column.offsets == [0, 2, 2, 2, 8])
        #expect(column.values == Array("ab日本".utf8))
        #expect(
            column[0] == .string("ab") && column[1] == nil && column[2] == .string("") && column[3] == .string("日本"))
        #expect(column.nullCount == 1)
    }

    @Test("slices of every kind hold the same values as the original")
    func slices() {
        let columns = [
            Column([Int32(1), nil, 3, 4, nil]), Column([true, nil, false, true, true] as [Bool?]),
            Column(["a", "bb", nil, "dddd", "e"] as [String?]), Column([1.0, 2, 3, 4, 5] as [Double?]),
        ]
        for column in columns {
            for range in [0..<5, 1..<4, 2..<2, 4..<5] {
                let slice = column.slice(range)
                #expect(slice.count == range.count)
                #expect((0..<range.count).map { slice[$0] } == range.map { column[$0] }, "\(column.type) \(range)")
            }
        }
    }

    @Test("bitmap slices at every bit offset, and the set bits' indices, match bit-by-bit references")
    func bitmapSlices() {
        var random = RandomStream(seed: 5)
        let bits = (0..<203).map { _ in random.next() % 3 != 0 }
        let bitmap = Bitmap(bits)
        #expect(bitmap.setIndices() == bits.indices.filter { bits[$0] }.map(Int32.init))
        for start in 0..<40 {
            for end in [start, start + 1, start + 9, 150, 203] where end >= start {
                #expect(bitmap.slice(start..<end) == Bitmap(Array(bits[start..<end])), "\(start)..<\(end)")
            }
        }
    }

    @Test("buffers from outside are checked: sizes, offsets and UTF-8, each named")
    func checkedBuffers() throws {
        let ok = try Column(type: .utf8, count: 2, validity: nil, values: Array("abc".utf8), offsets: [0, 1, 3])
        #expect(ok[1] == .string("bc"))
        let cases: [(String, () throws -> Column)] = [
            ("need 3 offsets", { try Column(type: .utf8, count: 2, validity: nil, values: [97], offsets: [0, 1]) }),
            ("run from 0", { try Column(type: .utf8, count: 1, validity: nil, values: [97], offsets: [1, 1]) }),
            (
                "is below",
                { try Column(type: .utf8, count: 3, validity: nil, values: [97, 98], offsets: [0, 2, 1, 2]) }
            ),
            ("not valid UTF-8", { try Column(type: .utf8, count: 1, validity: nil, values: [0xFF], offsets: [0, 1]) }),
            ("need 16 bytes", { try Column(type: .float64, count: 2, validity: nil, values: [0, 0, 0]) }),
            ("need 1 bytes", { try Column(type: .bool, count: 3, validity: nil, values: []) }),
            (
                "validity bitmap of 2 bits",
                { try Column(type: .int8, count: 3, validity: Bitmap(count: 2, value: true), values: [1, 2, 3]) }
            ),
            ("negative length", { try Column(type: .int8, count: -1, validity: nil, values: []) }),
        ]
        for (text, make) in cases {
            #expect(throws: DataError.self, "\(text)") { _ = try make() }
            do { _ = try make() } catch { #expect("\(error)".contains(text), "\(error)") }
        }
    }
}

@Suite("Record batches")
struct RecordBatchTests {
    @Test("named columns of equal length; a missing name lists the others; bad shapes are refused")
    func batches() throws {
        let batch = try RecordBatch([
            "id": Column([Int64(1), 2, 3]), "name": Column(["a", nil, "c"] as [String?]),
        ])
        #expect(batch.rowCount == 3 && batch.names == ["id", "name"])
        #expect(try batch.column("name")[2] == .string("c"))
        #expect(throws: DataError.unknownColumn("nmae", available: ["id", "name"])) { try batch.column("nmae") }
        #expect(try batch.slice(1..<3).column("id")[0] == .int(2))
        #expect(throws: DataError.self) { try RecordBatch(["a": Column([Int64(1)]), "b": Column([Int64(1), 2])]) }
        #expect(throws: DataError.self) { try RecordBatch(["a": Column([Int64(1)]), "a": Column([Int64(2)])]) }
    }
}

@Suite("Column buffers from random bytes")
struct ColumnFuzzTests {
    @Test("20,000 random byte strings and mutations of valid ones end in a column or an error, never a crash")
    func randomBuffers() {
        var generator = SystemRandomNumberGenerator()
        let seeds = DataFuzzing.seeds["column"] ?? []
        for round in 0..<20_000 {
            var bytes: [UInt8]
            if round % 2 == 0, let seed = seeds.randomElement(using: &generator) {
                bytes = seed
                bytes[Int.random(in: 0..<bytes.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
            } else {
                bytes = (0..<Int.random(in: 0..<64, using: &generator)).map { _ in UInt8.random(in: 0...255) }
            }
            DataFuzzing.column(bytes)
        }
    }

    @Test("10,000 mutated CSV texts end in a batch or an error, never a crash")
    func randomCSV() {
        var generator = SystemRandomNumberGenerator()
        let seeds = DataFuzzing.seeds["table-csv"] ?? []
        let alphabet = Array("a1,\"\n\r.-e ".utf8) + [0xFF]
        for _ in 0..<10_000 {
            guard var bytes = seeds.randomElement(using: &generator), !bytes.isEmpty else { continue }
            for _ in 0..<Int.random(in: 1...4, using: &generator) {
                let at = Int.random(in: 0..<bytes.count, using: &generator)
                bytes[at] = alphabet.randomElement(using: &generator) ?? 0
            }
            DataFuzzing.csv(bytes)
        }
    }
}

@Suite("Columns to tensors and text")
struct ColumnConversionTests {
    @Test("numeric columns become tensors with one copy; nulls and text are refused, saying why")
    func tensors() throws {
        #expect(try Column([Int64(1), 2, 3]).tensor().scalars(as: Int64.self) == [1, 2, 3])
        #expect(try Column([Float(0.5), 1.5]).tensor().scalars(as: Float.self) == [0.5, 1.5])
        #expect(try Column([Int32(7)], as: .date32).tensor().scalars(as: Int32.self) == [7])
        #expect(throws: DataError.self) { try Column([Int64(1), nil]).tensor() }
        #expect(throws: DataError.self) { try Column(["a"] as [String?]).tensor() }
        let batch = try RecordBatch([
            "x": Column([Int32(1), 2]), "y": Column([0.5, 1.5] as [Double?]), "name": Column(["a", "b"] as [String?]),
        ])
        let features = try batch.matrix(["x", "y"])
        #expect(features.shape == [2, 2] && features.dtype == .float32)
        #expect(try features.scalars(as: Float.self) == [1, 0.5, 2, 1.5])
        do {
            _ = try batch.matrix(["x", "name"])
            Issue.record("a text column became a feature")
        } catch {
            #expect("\(error)".contains("column \"name\" (utf8, 0 nulls) is not a numeric column"), "\(error)")
        }
    }

    @Test("a batch becomes a training set: float32 features, class indices from categories, float targets")
    func dataset() throws {
        let batch = try RecordBatch([
            "x": Column([Int64(1), 2, 3]), "y": Column([0.5, 1.5, 2.5] as [Double?]),
            "class": Column(categorical: ["b", "a", "b"]), "target": Column([Float(1), 2, 3]),
            "gap": Column([Int64(1), nil, 3]),
        ])
        let classes = try batch.dataset(features: ["x", "y"], label: "class")
        #expect(classes.count == 3 && classes.features.shape == [3, 2])
        #expect(try classes.features.scalars(as: Float.self) == [1, 0.5, 2, 1.5, 3, 2.5])
        #expect(try classes.labels.scalars(as: Int64.self) == [0, 1, 0])
        let regression = try DataFrame(batch).filter(col("x") > 1).dataset(features: ["y"], label: "target")
        #expect(try regression.labels.scalars(as: Float.self) == [2, 3])
        #expect(try regression.features.scalars(as: Float.self) == [1.5, 2.5])
        #expect(throws: DataError.self) { try batch.dataset(features: ["x"], label: "gap") }
        #expect(throws: DataError.self) { try batch.dataset(features: ["gap"], label: "x") }
    }

    @Test("show() prints names, types, padded values, null, and the rows left out")
    func show() throws {
        let batch = try RecordBatch([
            "id": Column([Int64(1), 22, nil]), "name": Column(["ann", nil, "c"] as [String?]),
        ])
        #expect(
            batch.show(limit: 2) == """
                id    | name
                int64 | utf8
                ------+-----
                    1 | ann 
                   22 | null
                (1 more rows, 3 in all)
                """)
    }
}
