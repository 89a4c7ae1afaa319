import Testing

@testable import FlockData

@Suite("CSV into record batches")
struct CSVReaderTests {
    @Test("types are inferred per column; empty fields are null; quoted fields keep commas, quotes and line breaks")
    func reads() throws {
        let lines = [
            "id,score,ok,name,note", "1,0.5,true,ann,\"a, b\"", "2,,false,,\"say \"\"hi\"\"\"",
            ",3,true,\"\",\"two\nlines\"",
        ]
        let text = lines.joined(separator: "\r\n") + "\r\n\r\n"  // CRLF, and a blank last line
        let batch = try CSVReader.read(Array(text.utf8))
        #expect(batch.names == ["id", "score", "ok", "name", "note"])
        #expect(batch.columns.map(\.type) == [.int64, .float64, .bool, .utf8, .utf8])
        #expect(try (0..<3).map { try batch.column("id")[$0] } == [.int(1), .int(2), nil])
        #expect(try (0..<3).map { try batch.column("score")[$0] } == [.double(0.5), nil, .double(3)])
        #expect(try (0..<3).map { try batch.column("name")[$0] } == [.string("ann"), nil, .string("")])
        #expect(
            try (0..<3).map { try batch.column("note")[$0] } == [
                .string("a, b"), .string("say \"hi\""), .string("two\nlines"),
            ])
    }

    @Test("quotes are counted eight bytes at a time as one at a time counts them")
    func quoteCounting() {
        var random = RandomStream(seed: 9)
        // Bytes near the quote (0x22, 0xA2, 0x21, 0x23) and zeros, where carries could mislead.
        let alphabet: [UInt8] = [0x22, 0xA2, 0x21, 0x23, 0x00, 0xFF, 0x2C, 0x0A]
        for length in [0, 1, 7, 8, 9, 63, 64, 1_000] {
            let bytes = (0..<length).map { _ in alphabet[Int(random.next() % UInt64(alphabet.count))] }
            let counted = bytes.withUnsafeBufferPointer { CSVReader.quoteCount($0) }
            #expect(counted == bytes.filter { $0 == 0x22 }.count, "\(length) bytes")
        }
    }

    @Test("a file without a final line break, and text that looks like numbers only in part")
    func edges() throws {
        let batch = try CSVReader.read(Array("a,b\n1,x\n2.5,7".utf8))
        #expect(batch.columns.map(\.type) == [.float64, .utf8])
        #expect(try batch.column("b")[1] == .string("7"))
        let headerOnly = try CSVReader.read(Array("a,b\n".utf8))
        #expect(headerOnly.names == ["a", "b"] && headerOnly.rowCount == 0)
    }

    @Test("bad CSV names the source, line and column of the problem")
    func errors() {
        let cases: [(String, String)] = [
            ("a,b\n1,2\n3\n", "data.csv:3:1: 1 fields where the header has 2"),
            ("a,b\n1,\"open\n", "data.csv:2:3: a quoted field is never closed"),
            ("a,b\n1,\"x\"y\n", "data.csv:2:6: a closing quote must end its field"),
            ("a,b\n1,x\"y\n", "data.csv:2:4: a quote inside an unquoted field"),
            ("", "data.csv:1:1: no header line"),
            ("a,a\n1,2\n", "data.csv:1:1: the header is invalid: the column name \"a\" appears twice"),
        ]
        for (text, message) in cases {
            do {
                _ = try CSVReader.read(Array(text.utf8), source: "data.csv")
                Issue.record("read \(text.debugDescription)")
            } catch {
                #expect("\(error)".hasPrefix(message), "\(text.debugDescription): \(error)")
            }
        }
        #expect(throws: DataError.self) { try CSVReader.read([0x61, 0x0A, 0xFF, 0xFE], source: "bytes") }
    }

    /// Random CSV text: quoted fields with commas, quotes and line breaks, CRLF and blank
    /// lines, an int column that turns float late, one that turns text mid-file, one of
    /// nulls until the end.
    static func randomCSV(rows: Int, seed: UInt64) -> [UInt8] {
        var random = RandomStream(seed: seed)
        var lines = ["id,late_float,mid_text,sparse,quoted"]
        for i in 0..<rows {
            let lateFloat = i == rows - 1 ? "2.5" : "\(random.next() % 1000)"
            let midText = i == rows / 2 ? "oops" : (random.next() % 5 == 0 ? "" : "\(random.next() % 100)")
            let sparse = i > rows - 3 ? "\(i)" : ""
            let quoted: String
            switch random.next() % 4 {
            case 0: quoted = "\"a, \"\"b\"\"\nc\""
            case 1: quoted = "\"\""
            case 2: quoted = ""
            default: quoted = "plain\(i)"
            }
            lines.append("\(i),\(lateFloat),\(midText),\(sparse),\(quoted)")
            if random.next() % 50 == 0 { lines.append("") }
        }
        let separator = seed % 2 == 0 ? "\n" : "\r\n"
        return Array(lines.joined(separator: separator).utf8)
    }

    @Test(
        "chunks parsed in parallel give the rows, types and values of one sequential parse",
        arguments: [1, 2, 3] as [UInt64])
    func chunkedEqualsSequential(seed: UInt64) throws {
        let text = Self.randomCSV(rows: 3_000, seed: seed)
        let (whole, pieces) = try text.withUnsafeBufferPointer { bytes in
            (
                try CSVReader.batches(of: bytes, source: "x", chunkBytes: Int.max),
                try CSVReader.batches(of: bytes, source: "x", chunkBytes: 97)
            )
        }
        #expect(whole.count == 1)
        #expect(pieces.count > 100)
        let joined = try RecordBatch.concatenate(pieces, schema: Schema(of: whole[0]))
        #expect(joined.columns.map(\.type) == [.int64, .float64, .utf8, .int64, .utf8])
        #expect(joined.rowCount == 3_000)
        for (a, b) in zip(joined.columns, whole[0].columns) {
            #expect((0..<a.count).allSatisfy { a[$0] == b[$0] })
        }
        let quoted = try joined.column("quoted")
        #expect((0..<quoted.count).contains { quoted[$0] == .string("a, \"b\"\nc") })
        #expect((0..<quoted.count).contains { quoted[$0] == .string("") })
    }

    @Test("with chunks in parallel, the error reported is still the first in the file")
    func firstErrorWins() throws {
        var text = Self.randomCSV(rows: 2_000, seed: 4)
        // A late problem (an unclosed quote at the end) and an earlier one (a short row).
        text += Array("\n1,2,3,4,\"open".utf8)
        let early = text.indices.filter { text[$0] == UInt8(ascii: "\n") }[700]
        text.insert(contentsOf: Array("\n5,6".utf8), at: early)
        do {
            _ = try text.withUnsafeBufferPointer { try CSVReader.batches(of: $0, source: "x.csv", chunkBytes: 128) }
            Issue.record("no error")
        } catch {
            // The short row, not the unclosed quote at the end.
            #expect("\(error)".contains(": 2 fields where the header has 5"), "\(error)")
        }
    }
}

@Suite("NDJSON into record batches")
struct NDJSONReaderTests {
    @Test("keys in first-seen order, nulls for missing keys, types inferred, escapes decoded")
    func reads() throws {
        let text = #"""
            {"id": 1, "score": 0.5, "ok": true, "name": "ann", "tags": "a\"b"}
            {"id": 2, "ok": false, "name": null, "extra": "\u00e9\ud83d\ude00"}

            {"id": 3, "score": 2, "name": "\\n\/", "code": "7"}
            """#
        let batch = try NDJSONReader.read(Array(text.utf8))
        #expect(batch.names == ["id", "score", "ok", "name", "tags", "extra", "code"])
        #expect(batch.columns.map(\.type) == [.int64, .float64, .bool, .utf8, .utf8, .utf8, .utf8])
        #expect(try (0..<3).map { try batch.column("score")[$0] } == [.double(0.5), nil, .double(2)])
        #expect(try batch.column("extra")[1] == .string("é😀"))
        #expect(try batch.column("tags")[0] == .string("a\"b"))
        #expect(try batch.column("name")[2] == .string("\\n/"))
        #expect(try batch.column("code")[2] == .string("7"))  // a JSON string stays text
    }

    @Test("a key mixing numbers and strings reads as text; errors name the line and column")
    func mixedAndErrors() throws {
        let mixed = try NDJSONReader.read(Array("{\"v\": 1}\n{\"v\": \"x\"}\n{\"v\": 2.5}\n".utf8))
        #expect(try (0..<3).map { try mixed.column("v")[$0] } == [.string("1"), .string("x"), .string("2.5")])
        let cases: [(String, String)] = [
            ("{\"a\": 1}\n{\"a\": [1]}\n", "j:2:7: nested objects and arrays are not supported yet"),
            ("{\"a\": 1}\n[1]\n", "j:2:1: a line must be a JSON object"),
            ("{\"a\": 01}\n", "j:1:7: expected a value"),
            ("{\"a\": \"open\n", "j:1:7: a string is never closed"),
            ("{\"a\": 1, \"a\": 2}\n", "j:1:10: key \"a\" appears twice"),
            ("{\"a\": 1} {\"b\": 2}\n", "j:1:10: one JSON object per line"),
        ]
        for (text, message) in cases {
            #expect(throws: DataError.self) { try NDJSONReader.read(Array(text.utf8), source: "j") }
            do {
                _ = try NDJSONReader.read(Array(text.utf8), source: "j")
            } catch {
                #expect("\(error)".hasPrefix(message), "\(text.debugDescription): \(error)")
            }
        }
    }
}
